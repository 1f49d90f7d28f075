class TicketsController < ApplicationController
  before_action :set_event

  def create
    @ticket = @event.tickets.build(ticket_params.merge(buyer: Current.user))
    if @ticket.save
      respond_to do |format|
        format.turbo_stream do
          render turbo_stream: [
            turbo_stream.replace(dom_id(@event, :availability), partial: "events/availability", locals: { event: @event }),
            turbo_stream.append("tickets", partial: "tickets/ticket", locals: { ticket: @ticket })
          ]
        end
        format.html { redirect_to @event, notice: "Ticket booked." }
      end
    else
      render turbo_stream: turbo_stream.replace("ticket_form", partial: "tickets/form", locals: { ticket: @ticket }),
             status: :unprocessable_entity
    end
  end

  private

  def set_event
    @event = Event.find(params[:event_id])
  end

  def ticket_params
    params.require(:ticket).permit(:quantity, :tier)
  end
end
