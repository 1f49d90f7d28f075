class Loan < ApplicationRecord
  belongs_to :book
  belongs_to :member

  validates :due_on, presence: true
  scope :overdue, -> { where(returned_at: nil).where("due_on < ?", Date.current) }

  after_create_commit -> { broadcast_prepend_later_to member, :loans, target: "loans" }
  after_update_commit -> { broadcast_replace_later_to member, :loans }
  after_destroy_commit -> { broadcast_remove_to member, :loans }

  def returned?
    returned_at.present?
  end
end
