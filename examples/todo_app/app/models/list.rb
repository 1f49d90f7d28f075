class List < ApplicationRecord
  NAME_MAX_LENGTH = 80

  # inverse_of lets todos loaded through the (scoped) association reuse this
  # list instead of querying it again for every todo.
  has_many :todos, -> { order(:created_at) }, dependent: :destroy, inverse_of: :list

  validates :name, presence: true, length: { maximum: NAME_MAX_LENGTH }

  # Creates refresh the "lists" stream (lists#index); updates and destroys
  # refresh this list's own stream (lists#show). Pages morph in place.
  broadcasts_refreshes
end
