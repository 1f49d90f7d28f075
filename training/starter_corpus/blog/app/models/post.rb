class Post < ApplicationRecord
  belongs_to :author, class_name: "User"
  has_many :comments, dependent: :destroy

  # Any change to a post morphs the pages subscribed to it
  # (see `turbo_stream_from @post` in posts/show).
  broadcasts_refreshes

  validates :title, presence: true, length: { maximum: 120 }
  validates :body, presence: true

  scope :published, -> { where.not(published_at: nil).where(published_at: ..Time.current) }
  scope :recent_first, -> { order(published_at: :desc, id: :desc) }

  def published?
    published_at.present? && published_at <= Time.current
  end

  def reading_time
    minutes = (body.to_s.split.size / 220.0).ceil
    [minutes, 1].max
  end

  def share_url
    Rails.application.routes.url_helpers.post_url(self)
  end
end
