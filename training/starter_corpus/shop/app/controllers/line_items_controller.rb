class LineItemsController < ApplicationController
  before_action :set_cart
  before_action :set_line_item, only: %i[update destroy]

  def create
    product = Product.available.find(params.require(:product_id))
    @line_item = @cart.add(product, quantity: params.fetch(:quantity, 1))
    @added = @line_item.new_record?

    respond_to do |format|
      if @line_item.save
        flash.now[:notice] = "#{product.name} is in your cart."
        format.turbo_stream
        format.html { redirect_to cart_path, notice: "#{product.name} is in your cart." }
      else
        message = @line_item.errors.full_messages.to_sentence
        format.turbo_stream do
          render turbo_stream: turbo_stream.update("flash", partial: "layouts/flash", locals: { alert: message }),
                 status: :unprocessable_entity
        end
        format.html { redirect_to product, alert: message }
      end
    end
  end

  def update
    respond_to do |format|
      if @line_item.update(line_item_params)
        format.turbo_stream
        format.html { redirect_to cart_path, notice: "Cart updated." }
      else
        format.turbo_stream do
          render turbo_stream: turbo_stream.replace(@line_item, partial: "line_items/line_item",
                                                                locals: { line_item: @line_item }),
                 status: :unprocessable_entity
        end
        format.html { redirect_to cart_path, alert: @line_item.errors.full_messages.to_sentence }
      end
    end
  end

  def destroy
    @line_item.destroy!

    respond_to do |format|
      format.turbo_stream
      format.html { redirect_to cart_path, notice: "Item removed.", status: :see_other }
    end
  end

  private

  def set_cart
    @cart = Current.cart
  end

  # Scoped through the cart so nobody can edit someone else's items by id.
  def set_line_item
    @line_item = @cart.line_items.includes(:product).find(params[:id])
  end

  def line_item_params
    params.require(:line_item).permit(:quantity)
  end
end
