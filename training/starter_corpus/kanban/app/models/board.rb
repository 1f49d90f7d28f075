class Board < ApplicationRecord
  belongs_to :owner, class_name: "User"
  has_many :memberships, dependent: :destroy
  has_many :members, through: :memberships, source: :user
  has_many :columns, -> { order(:position) }, dependent: :destroy, inverse_of: :board
  has_many :cards, through: :columns

  # Columns and cards touch their board, so any change anywhere on the
  # board results in one debounced refresh for everyone looking at it.
  broadcasts_refreshes

  validates :name, presence: true, length: { maximum: 80 }

  def accessible_by?(user)
    owner_id == user.id || members.exists?(user.id)
  end
end
