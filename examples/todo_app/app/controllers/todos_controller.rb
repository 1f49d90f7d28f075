class TodosController < ApplicationController
  before_action :set_list
  before_action :set_todo, only: %i[edit update destroy toggle]

  def new
    @todo = @list.todos.build
  end

  def create
    @todo = @list.todos.build(todo_params)

    respond_to do |format|
      if @todo.save
        format.turbo_stream { flash.now[:notice] = "Todo added." }
        format.html { redirect_to @list, notice: "Todo added." }
      else
        format.html { render :new, status: :unprocessable_entity }
      end
    end
  end

  def edit
  end

  def update
    respond_to do |format|
      if @todo.update(todo_params)
        format.turbo_stream { flash.now[:notice] = "Todo updated." }
        format.html { redirect_to @list, notice: "Todo updated." }
      else
        format.html { render :edit, status: :unprocessable_entity }
      end
    end
  end

  def toggle
    @todo.toggle!(:completed)

    respond_to do |format|
      format.turbo_stream { render :update }
      format.html { redirect_to @list, status: :see_other }
    end
  end

  def destroy
    @todo.destroy

    respond_to do |format|
      format.turbo_stream { flash.now[:notice] = "Todo deleted." }
      format.html { redirect_to @list, notice: "Todo deleted.", status: :see_other }
    end
  end

  private

  def set_list
    @list = List.find(params[:list_id])
  end

  def set_todo
    @todo = @list.todos.find(params[:id])
  end

  def todo_params
    params.require(:todo).permit(:title, :due_on)
  end
end
