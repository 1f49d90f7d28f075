class ProductsController < ApplicationController
  def index
    @categories = Category.order(:name)
    @products = Product.available
      .search(params[:q])
      .in_category(params[:category_id])
      .sorted_by(params[:sort])
      .with_attached_photo
      .page(params[:page])
      .per(24)
  end

  def show
    @product = Product.available.with_attached_photo.find(params[:id])
  end
end
