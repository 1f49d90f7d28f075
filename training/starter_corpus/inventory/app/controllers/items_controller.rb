class ItemsController < ApplicationController
  PER_PAGE = 50

  before_action :set_warehouse

  def index
    @query = params[:q].to_s.strip
    @page = [params[:page].to_i, 1].max

    scope = @warehouse.items.search(@query)
    scope = scope.needs_reorder if params[:reorder] == "1"

    @total = scope.count
    @items = scope.includes(:category)
      .order(:sku)
      .offset((@page - 1) * PER_PAGE)
      .limit(PER_PAGE)
    @last_page = [(@total / PER_PAGE.to_f).ceil, 1].max
  end

  def show
    @item = @warehouse.items.includes(:category).find(params[:id])
  end

  private

  def set_warehouse
    @warehouse = Current.warehouse
  end
end
