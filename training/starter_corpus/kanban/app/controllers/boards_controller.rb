class BoardsController < ApplicationController
  def index
    @boards = Current.user.boards.order(:name)
  end

  def show
    @board = Current.user.boards.find(params[:id])
    # One query per level instead of one per column and per card.
    @columns = @board.columns.includes(cards: :assignee)
  end
end
