# PATCH /columns/:column_id/card_position
# Called by the sortable Stimulus controller after a drag and drop.
class CardPositionsController < ApplicationController
  def update
    @column = Column.where(board: Current.user.boards).find(params[:column_id])
    @card = @column.board.cards.find(card_position_params[:card_id])
    @source_column = @card.column

    @card.move_to(@column, card_position_params[:position].to_i)

    respond_to do |format|
      format.turbo_stream
      format.html { redirect_to @column.board, status: :see_other }
    end
  rescue ActiveRecord::RecordNotFound
    # Someone deleted the card (or column) while it was being dragged. Tell the
    # page to re-fetch itself; request_id: nil so this tab doesn't ignore it.
    render turbo_stream: turbo_stream.refresh(request_id: nil), status: :conflict
  end

  private

  def card_position_params
    params.require(:card_position).permit(:card_id, :position)
  end
end
