class ListsController < ApplicationController
  before_action :set_list, only: %i[stats destroy]

  def index
    # includes(:todos) so list.todos.size in the view does not query per list.
    @lists = List.includes(:todos).order(:name)
  end

  def show
    @list = List.includes(:todos).find(params[:id])
  end

  def new
    @list = List.new
  end

  def create
    @list = List.new(list_params)

    if @list.save
      redirect_to @list, notice: "List created."
    else
      render :new, status: :unprocessable_entity
    end
  end

  def destroy
    @list.destroy
    redirect_to lists_path, notice: "List deleted.", status: :see_other
  end

  # Response for the lazy <turbo-frame id="stats_list_N"> on lists#show.
  def stats
    render partial: "stats", locals: { list: @list }
  end

  private

  def set_list
    @list = List.find(params[:id])
  end

  def list_params
    params.require(:list).permit(:name)
  end
end
