class MessagesController < ApplicationController
  PAGE_SIZE = 40

  before_action :set_room
  before_action :set_own_message, only: %i[edit update destroy]

  # Older messages, requested by the lazy frame at the top of the room.
  def index
    @before = @room.messages.find(params.require(:before))
    messages = @room.messages.where(id: ...@before.id)
      .includes(:author)
      .order(id: :desc)
      .limit(PAGE_SIZE + 1)
      .to_a

    @has_earlier = messages.size > PAGE_SIZE
    @messages = messages.first(PAGE_SIZE).reverse
  end

  def create
    @message = @room.messages.build(message_params.merge(author: Current.user))

    respond_to do |format|
      if @message.save
        format.turbo_stream
        format.html { redirect_to @room }
      else
        format.turbo_stream do
          render turbo_stream: turbo_stream.replace("message_composer", partial: "messages/form",
                                                                         locals: { room: @room, message: @message }),
                 status: :unprocessable_entity
        end
        format.html { redirect_to @room, alert: @message.errors.full_messages.to_sentence }
      end
    end
  end

  # Also what "Cancel" loads back into the message's body frame.
  def show
    @message = @room.messages.find(params[:id])
  end

  def edit
  end

  def update
    if @message.update(message_params)
      respond_to do |format|
        format.turbo_stream { render turbo_stream: turbo_stream.replace(@message, partial: "messages/message", locals: { message: @message }) }
        format.html { redirect_to @room }
      end
    else
      render :edit, status: :unprocessable_entity
    end
  end

  def destroy
    @message.destroy!

    respond_to do |format|
      format.turbo_stream { render turbo_stream: turbo_stream.remove(@message) }
      format.html { redirect_to @room, status: :see_other }
    end
  end

  private

  def set_room
    @room = Current.user.rooms.find(params[:room_id])
  end

  def set_own_message
    @message = @room.messages.where(author: Current.user).find(params[:id])
  end

  def message_params
    params.require(:message).permit(:body)
  end
end
