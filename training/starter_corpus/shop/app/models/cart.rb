class Cart < ApplicationRecord
  belongs_to :user, optional: true
  has_many :line_items, dependent: :destroy
  has_many :products, through: :line_items

  # Returns an unsaved line item so the caller decides how to respond
  # to validation errors (e.g. not enough stock).
  def add(product, quantity: 1)
    line_item = line_items.find_or_initialize_by(product: product)
    line_item.quantity = line_item.quantity.to_i + quantity.to_i
    line_item.unit_price_cents = product.price_cents
    line_item
  end

  def items_count
    line_items.sum(:quantity)
  end

  def subtotal_cents
    line_items.sum("line_items.quantity * line_items.unit_price_cents")
  end

  def empty?
    !line_items.exists?
  end
end
