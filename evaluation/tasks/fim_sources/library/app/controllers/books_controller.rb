class BooksController < ApplicationController
  before_action :set_book, only: %i[show edit update destroy]

  def index
    @books = Book.order(:title).includes(:author)
  end

  def show
  end

  def new
    @book = Book.new
  end

  def create
    @book = Book.new(book_params)
    respond_to do |format|
      if @book.save
        format.turbo_stream
        format.html { redirect_to books_path, notice: "Book added." }
      else
        format.html { render :new, status: :unprocessable_entity }
      end
    end
  end

  def update
    if @book.update(book_params)
      redirect_to @book, notice: "Book updated."
    else
      render :edit, status: :unprocessable_entity
    end
  end

  def destroy
    @book.destroy
    respond_to do |format|
      format.turbo_stream { render turbo_stream: turbo_stream.remove(@book) }
      format.html { redirect_to books_path, status: :see_other }
    end
  end

  private

  def set_book
    @book = Book.find(params[:id])
  end

  def book_params
    params.require(:book).permit(:title, :author_id, :isbn)
  end
end
