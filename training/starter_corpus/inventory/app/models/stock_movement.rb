class StockMovement < ApplicationRecord
  KINDS = %w[receipt issue adjustment].freeze

  belongs_to :item
  belongs_to :recorded_by, class_name: "User"

  validates :kind, inclusion: { in: KINDS }
  validates :quantity, numericality: { only_integer: true, other_than: 0 }
  validates :note, length: { maximum: 500 }
  validate :stock_cannot_go_negative

  after_create :apply_to_item
  after_create_commit -> {
    broadcast_prepend_later_to item,
      target: ActionView::RecordIdentifier.dom_id(item, :movements),
      partial: "stock_movements/stock_movement",
      locals: { stock_movement: self }
  }

  # Receipts always add and issues always subtract; adjustments keep their sign.
  def delta
    case kind
    when "receipt" then quantity.to_i.abs
    when "issue" then -quantity.to_i.abs
    else quantity.to_i
    end
  end

  private

  def stock_cannot_go_negative
    return if item.nil? || item.quantity_on_hand + delta >= 0

    errors.add(:quantity, "would leave #{item.name} with negative stock")
  end

  # Goes through update! (not increment!) so Item's broadcasts fire.
  def apply_to_item
    item.lock!
    item.update!(quantity_on_hand: item.quantity_on_hand + delta)
  end
end
