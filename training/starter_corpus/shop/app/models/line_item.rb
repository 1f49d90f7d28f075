class LineItem < ApplicationRecord
  belongs_to :cart, touch: true
  belongs_to :product

  validates :quantity, numericality: { only_integer: true, greater_than: 0, less_than_or_equal_to: 99 }
  validates :unit_price_cents, numericality: { only_integer: true, greater_than_or_equal_to: 0 }
  validate :quantity_available

  def total_cents
    quantity * unit_price_cents
  end

  private

  def quantity_available
    return if product.nil? || quantity.to_i <= product.stock_count

    errors.add(:quantity, "is more than we have (#{product.stock_count} left)")
  end
end
