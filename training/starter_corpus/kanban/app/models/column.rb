class Column < ApplicationRecord
  belongs_to :board, touch: true
  has_many :cards, -> { order(:position) }, dependent: :destroy, inverse_of: :column

  validates :name, presence: true, length: { maximum: 40 }
  validates :position, numericality: { only_integer: true, greater_than_or_equal_to: 0 }

  before_validation :place_last, on: :create

  private

  def place_last
    self.position ||= board.columns.maximum(:position).to_i + 1
  end
end
