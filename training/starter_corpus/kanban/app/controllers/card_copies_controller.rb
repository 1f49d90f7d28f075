class CardCopiesController < ApplicationController
  def create
    card = Card.joins(:column).merge(Column.where(board: Current.user.boards)).find(params[:card_id])
    copy = card.duplicate!

    respond_to do |format|
      format.turbo_stream do
        render turbo_stream: [
          turbo_stream.after(card, partial: "cards/card", locals: { card: copy }),
          turbo_stream.update(helpers.dom_id(card.column, :count), card.column.cards.count)
        ]
      end
      format.html { redirect_to card.board, notice: "Card duplicated." }
    end
  end
end
