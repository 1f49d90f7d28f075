class ContactsController < ApplicationController
  RESULTS_LIMIT = 25

  before_action :set_contact, only: %i[show edit update]

  def index
    @query = params[:q].to_s.strip
    @contacts = Current.account.contacts
      .search(@query)
      .includes(:company)
      .alphabetical
      .limit(RESULTS_LIMIT)
  end

  def show
    @notes = @contact.notes.includes(:author).newest_first.limit(50)
    @note = Note.new(contact: @contact)
  end

  def edit
  end

  def update
    respond_to do |format|
      if @contact.update(contact_params)
        flash.now[:notice] = "Saved changes to #{@contact.name}."
        format.turbo_stream
        format.html { redirect_to @contact, notice: "Contact saved." }
      else
        # Re-rendered inside the contact's frame with the errors.
        format.html { render :edit, status: :unprocessable_entity }
      end
    end
  end

  private

  def set_contact
    @contact = Current.account.contacts.includes(:company, :owner).find(params[:id])
  end

  def contact_params
    params.require(:contact).permit(:first_name, :last_name, :email, :phone, :job_title, :owner_id)
  end
end
