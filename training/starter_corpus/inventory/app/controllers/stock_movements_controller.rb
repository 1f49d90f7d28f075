class StockMovementsController < ApplicationController
  PER_PAGE = 20

  before_action :set_item

  # Rendered into the lazy history frame on items/show.
  def index
    @page = [params[:page].to_i, 1].max
    movements = @item.stock_movements
      .includes(:recorded_by)
      .order(created_at: :desc)
      .offset((@page - 1) * PER_PAGE)
      .limit(PER_PAGE + 1)
      .to_a

    @next_page = @page + 1 if movements.size > PER_PAGE
    @stock_movements = movements.first(PER_PAGE)
  end

  # Opened in the "modal" frame from the layout.
  def new
    @stock_movement = @item.stock_movements.build(kind: params.fetch(:kind, "receipt"))
  end

  def create
    @stock_movement = @item.stock_movements.build(stock_movement_params.merge(recorded_by: Current.user))

    respond_to do |format|
      if @stock_movement.save
        flash.now[:notice] = "Recorded #{@stock_movement.kind} of #{@stock_movement.quantity.abs} × #{@item.name}."

        format.turbo_stream
        format.html { redirect_to @item, notice: "Stock movement recorded." }
      else
        # Same frame ("modal") comes back with the errors.
        format.html { render :new, status: :unprocessable_entity }
      end
    end
  end

  private

  def set_item
    @item = Current.warehouse.items.find(params[:item_id])
  end

  def stock_movement_params
    params.require(:stock_movement).permit(:kind, :quantity, :note)
  end
end
