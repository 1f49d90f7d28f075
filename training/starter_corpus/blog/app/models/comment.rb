class Comment < ApplicationRecord
  belongs_to :post, counter_cache: true, touch: true
  belongs_to :author, class_name: "User"

  validates :body, presence: true, length: { maximum: 1_000 }

  # Readers on posts/show are subscribed with `turbo_stream_from @post, :comments`.
  # Rendering happens in a background job so the request isn't held up.
  after_create_commit -> {
    broadcast_append_later_to post, :comments,
      target: "comments",
      partial: "comments/comment",
      locals: { comment: self }
  }
  after_update_commit -> {
    broadcast_replace_later_to post, :comments,
      partial: "comments/comment",
      locals: { comment: self }
  }
  after_destroy_commit -> { broadcast_remove_to post, :comments }

  def authored_by?(user)
    user.present? && author_id == user.id
  end
end
