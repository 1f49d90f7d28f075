class RepliesController < ApplicationController
  before_action :set_ticket

  def create
    @reply = @ticket.replies.build(reply_params.merge(author: Current.user))

    respond_to do |format|
      if @ticket.accepting_replies? && @reply.save
        format.turbo_stream
        format.html { redirect_to ticket_path(@ticket, anchor: helpers.dom_id(@reply)) }
      else
        @reply.errors.add(:base, "This ticket is closed.") unless @ticket.accepting_replies?

        format.turbo_stream do
          render turbo_stream: turbo_stream.replace("reply_form", partial: "replies/form",
                                                                   locals: { ticket: @ticket, reply: @reply }),
                 status: :unprocessable_entity
        end
        format.html do
          @replies = @ticket.replies.includes(:author)
          @agents = Current.account.users.agents.order(:name)
          @canned_responses = Current.account.canned_responses.order(:title)
          render "tickets/show", status: :unprocessable_entity
        end
      end
    end
  end

  private

  def set_ticket
    @ticket = Current.account.tickets.find(params[:ticket_id])
  end

  def reply_params
    params.require(:reply).permit(:body, :internal)
  end
end
