class CommentsController < ApplicationController
  before_action :set_post

  def create
    @comment = @post.comments.build(comment_params.merge(author: Current.user))

    respond_to do |format|
      if @comment.save
        flash.now[:notice] = "Thanks! Your comment is live."
        format.turbo_stream
        format.html { redirect_to post_path(@post, anchor: helpers.dom_id(@comment)), notice: "Comment added." }
      else
        format.turbo_stream do
          render turbo_stream: turbo_stream.replace("new_comment",
            partial: "comments/form", locals: { post: @post, comment: @comment }),
            status: :unprocessable_entity
        end
        format.html do
          @comments = @post.comments.includes(:author).order(:created_at)
          render "posts/show", status: :unprocessable_entity
        end
      end
    end
  end

  def destroy
    @comment = Current.user.comments.where(post: @post).find(params[:id])
    @comment.destroy!

    respond_to do |format|
      format.turbo_stream
      format.html { redirect_to @post, notice: "Comment deleted.", status: :see_other }
    end
  end

  private

  def set_post
    @post = Post.published.find(params[:post_id])
  end

  def comment_params
    params.require(:comment).permit(:body)
  end
end
