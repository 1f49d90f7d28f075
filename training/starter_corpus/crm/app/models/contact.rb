class Contact < ApplicationRecord
  belongs_to :account
  belongs_to :company, optional: true
  belongs_to :owner, class_name: "User", optional: true
  has_many :notes, dependent: :destroy

  # Teammates looking at the same contact get a morphing refresh on changes.
  broadcasts_refreshes

  normalizes :email, with: ->(email) { email.strip.downcase }
  normalizes :phone, with: ->(phone) { phone.gsub(/[^\d+]/, "") }

  validates :first_name, presence: true, length: { maximum: 80 }
  validates :last_name, length: { maximum: 80 }
  validates :email, format: { with: URI::MailTo::EMAIL_REGEXP }, allow_blank: true
  validates :email, uniqueness: { scope: :account_id }, allow_blank: true

  scope :alphabetical, -> { order(:last_name, :first_name) }
  scope :search, ->(query) {
    next all if query.blank?

    term = "%#{sanitize_sql_like(query.strip)}%"
    where("contacts.first_name ILIKE :term OR contacts.last_name ILIKE :term " \
          "OR contacts.email ILIKE :term OR contacts.phone ILIKE :term", term: term)
  }

  def name
    [first_name, last_name].compact_blank.join(" ")
  end

  def initials
    name.split.map(&:first).first(2).join.upcase
  end
end
