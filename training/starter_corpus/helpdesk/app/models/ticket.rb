class Ticket < ApplicationRecord
  belongs_to :account
  belongs_to :requester, class_name: "Customer"
  belongs_to :assignee, class_name: "User", optional: true
  has_many :replies, -> { order(:created_at) }, dependent: :destroy, inverse_of: :ticket

  enum :status, { open: 0, pending: 1, solved: 2, closed: 3 }, default: :open
  enum :priority, { low: 0, normal: 1, high: 2, urgent: 3 }, default: :normal, prefix: true

  # The inbox (tickets/index) and each ticket page morph on any change.
  broadcasts_refreshes_to ->(ticket) { [ticket.account, :tickets] }
  broadcasts_refreshes

  validates :subject, presence: true, length: { maximum: 200 }
  validate :assignee_belongs_to_account

  before_create :assign_number

  def to_s
    "##{number} #{subject}"
  end

  def accepting_replies?
    !closed?
  end

  private

  def assign_number
    self.number ||= (account.tickets.maximum(:number) || 1000) + 1
  end

  def assignee_belongs_to_account
    return if assignee.nil? || assignee.account_id == account_id

    errors.add(:assignee, "must be an agent on this account")
  end
end
