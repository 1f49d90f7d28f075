class TicketsController < ApplicationController
  before_action :set_ticket, only: %i[show update]
  before_action :set_agents, only: %i[show update]

  def index
    @status = params[:status].presence_in(Ticket.statuses.keys) || "open"
    @counts = Current.account.tickets.group(:status).count
    @tickets = Current.account.tickets
      .where(status: @status)
      .includes(:requester, :assignee)
      .order(priority: :desc, updated_at: :desc)
      .limit(50)
  end

  def show
    load_conversation
  end

  def update
    respond_to do |format|
      if @ticket.update(ticket_params)
        # A status change refreshes the whole page (see update.turbo_stream.erb),
        # so the message has to survive into that next request.
        if @ticket.saved_change_to_status?
          flash[:notice] = "Ticket marked #{@ticket.status}."
        else
          flash.now[:notice] = "Ticket updated."
        end

        format.turbo_stream
        format.html { redirect_to @ticket }
      else
        format.turbo_stream do
          flash.now[:alert] = @ticket.errors.full_messages.to_sentence
          render turbo_stream: turbo_stream.update("flash", partial: "shared/flash_messages"),
                 status: :unprocessable_entity
        end
        format.html do
          load_conversation
          render :show, status: :unprocessable_entity
        end
      end
    end
  end

  private

  def set_ticket
    @ticket = Current.account.tickets.find(params[:id])
  end

  def set_agents
    @agents = Current.account.users.agents.order(:name)
  end

  def load_conversation
    @replies = @ticket.replies.includes(:author)
    @reply = Reply.new(ticket: @ticket)
    @canned_responses = Current.account.canned_responses.order(:title)
  end

  def ticket_params
    params.require(:ticket).permit(:status, :priority, :assignee_id)
  end
end
