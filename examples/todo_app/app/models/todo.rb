class Todo < ApplicationRecord
  TITLE_MAX_LENGTH = 140

  belongs_to :list

  validates :title, presence: true, length: { maximum: TITLE_MAX_LENGTH }

  scope :completed, -> { where(completed: true) }
  scope :pending, -> { where(completed: false) }

  # Any change to a todo asks every other browser showing its list to refresh;
  # with turbo_refreshes_with method: :morph the page is morphed, not replaced.
  # The browser that made the change is skipped (Turbo matches the request id).
  broadcasts_refreshes_to :list
end
