class Room < ApplicationRecord
  has_many :memberships, dependent: :destroy
  has_many :members, through: :memberships, source: :user
  has_many :messages, dependent: :destroy

  validates :name, presence: true, length: { maximum: 60 }, uniqueness: { case_sensitive: false }
  validates :topic, length: { maximum: 200 }

  scope :by_activity, -> { order(Arel.sql("last_message_at DESC NULLS LAST"), :name) }

  def member?(user)
    memberships.exists?(user: user)
  end
end
