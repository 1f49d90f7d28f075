class Message < ApplicationRecord
  belongs_to :room, touch: :last_message_at
  belongs_to :author, class_name: "User"

  validates :body, presence: true, length: { maximum: 4_000 }

  scope :chronological, -> { order(:id) }

  # Everyone in the room is subscribed with `turbo_stream_from @room`.
  # messages/_message must not depend on the current user: these render in a job.
  after_create_commit -> {
    broadcast_append_later_to room,
      target: ActionView::RecordIdentifier.dom_id(room, :messages),
      partial: "messages/message",
      locals: { message: self }
  }
  after_update_commit -> { broadcast_replace_later_to room }
  after_destroy_commit -> { broadcast_remove_to room }

  def edited?
    updated_at > created_at + 1.second
  end
end
