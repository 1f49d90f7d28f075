class NotesController < ApplicationController
  before_action :set_contact

  def create
    @note = @contact.notes.build(note_params.merge(author: Current.user))

    respond_to do |format|
      if @note.save
        flash.now[:notice] = "Note added."
        format.turbo_stream
        format.html { redirect_to @contact, notice: "Note added." }
      else
        format.turbo_stream do
          render turbo_stream: turbo_stream.replace("note_form", partial: "notes/form",
                                                                  locals: { contact: @contact, note: @note }),
                 status: :unprocessable_entity
        end
        format.html do
          @notes = @contact.notes.includes(:author).newest_first.limit(50)
          render "contacts/show", status: :unprocessable_entity
        end
      end
    end
  end

  def destroy
    @note = @contact.notes.find(params[:id])
    @note.destroy!

    respond_to do |format|
      format.turbo_stream do
        render turbo_stream: [
          turbo_stream.remove(@note),
          turbo_stream.update(helpers.dom_id(@contact, :notes_count), @contact.notes.count)
        ]
      end
      format.html { redirect_to @contact, notice: "Note deleted.", status: :see_other }
    end
  end

  private

  def set_contact
    @contact = Current.account.contacts.find(params[:contact_id])
  end

  def note_params
    params.require(:note).permit(:body, :pinned)
  end
end
