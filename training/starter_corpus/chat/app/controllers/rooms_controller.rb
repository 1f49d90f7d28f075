class RoomsController < ApplicationController
  PAGE_SIZE = 40

  # Rendered into the lazy "rooms_sidebar" frame on rooms/show.
  def index
    @rooms = Current.user.rooms.by_activity.limit(100)
  end

  def show
    @room = Current.user.rooms.find(params[:id])

    messages = @room.messages.includes(:author).order(id: :desc).limit(PAGE_SIZE + 1).to_a
    @has_earlier = messages.size > PAGE_SIZE
    @messages = messages.first(PAGE_SIZE).reverse
  end
end
