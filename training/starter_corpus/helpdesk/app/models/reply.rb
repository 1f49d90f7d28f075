class Reply < ApplicationRecord
  belongs_to :ticket, inverse_of: :replies
  belongs_to :author, polymorphic: true

  validates :body, presence: true, length: { maximum: 20_000 }

  scope :public_replies, -> { where(internal: false) }

  after_create_commit :broadcast_to_ticket
  after_create_commit :reopen_ticket, unless: :internal?

  private

  def broadcast_to_ticket
    broadcast_append_later_to ticket,
      target: ActionView::RecordIdentifier.dom_id(ticket, :replies),
      partial: "replies/reply",
      locals: { reply: self }
  end

  # A customer answering a solved ticket puts it back in the queue.
  def reopen_ticket
    ticket.open! if author_type == "Customer" && ticket.solved?
  end
end
