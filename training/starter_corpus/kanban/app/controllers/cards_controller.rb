class CardsController < ApplicationController
  before_action :set_column, only: %i[new create]
  before_action :set_card, only: %i[show edit update destroy]

  def show
  end

  def new
    @card = @column.cards.build
  end

  def create
    @card = @column.cards.build(card_params)

    respond_to do |format|
      if @card.save
        format.turbo_stream
        format.html { redirect_to @column.board }
      else
        # Rendered into the column's "new card" frame that submitted the form.
        format.html { render :new, status: :unprocessable_entity }
      end
    end
  end

  def edit
  end

  def update
    respond_to do |format|
      if @card.update(card_params)
        format.turbo_stream { render turbo_stream: turbo_stream.replace(@card, partial: "cards/card", locals: { card: @card }) }
        format.html { redirect_to @card.board }
      else
        format.html { render :edit, status: :unprocessable_entity }
      end
    end
  end

  def destroy
    @card.destroy!
    @column = @card.column

    respond_to do |format|
      format.turbo_stream do
        render turbo_stream: [
          turbo_stream.remove(@card),
          turbo_stream.update(helpers.dom_id(@column, :count), @column.cards.count)
        ]
      end
      format.html { redirect_to @column.board, status: :see_other }
    end
  end

  private

  def set_column
    @column = Column.where(board: Current.user.boards).find(params[:column_id])
  end

  def set_card
    @card = Card.joins(:column).merge(Column.where(board: Current.user.boards)).find(params[:id])
  end

  def card_params
    params.require(:card).permit(:title, :description, :due_on, :assignee_id)
  end
end
