class CartsController < ApplicationController
  before_action :set_cart

  def show
    @line_items = @cart.line_items
      .includes(product: { photo_attachment: :blob })
      .order(:created_at)
  end

  # Loaded lazily into the "cart_recommendations" frame on carts/show.
  def recommendations
    @products = Product.available
      .where.not(id: @cart.line_items.select(:product_id))
      .with_attached_photo
      .order(units_sold: :desc)
      .limit(4)
  end

  private

  def set_cart
    @cart = Current.cart
  end
end
