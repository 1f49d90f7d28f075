class PostsController < ApplicationController
  PER_PAGE = 10

  before_action :set_post, only: :show
  before_action :set_own_post, only: %i[edit update destroy]

  def index
    @page = [params.fetch(:page, 1).to_i, 1].max
    posts = Post.published.recent_first.includes(:author)
      .offset((@page - 1) * PER_PAGE)
      .limit(PER_PAGE + 1)
      .to_a

    @next_page = @page + 1 if posts.size > PER_PAGE
    @posts = posts.first(PER_PAGE)
  end

  def show
    @comments = @post.comments.includes(:author).order(:created_at)
    @comment = Comment.new(post: @post)
  end

  def new
    @post = Current.user.posts.build
  end

  def create
    @post = Current.user.posts.build(post_params)

    if @post.save
      redirect_to @post, notice: "Your post is live."
    else
      render :new, status: :unprocessable_entity
    end
  end

  def edit
  end

  def update
    # Inline edits submit from inside the post's frame; the redirect is
    # followed by Turbo and the matching frame is pulled out of posts/show.
    if @post.update(post_params)
      redirect_to @post, notice: "Post updated."
    else
      render :edit, status: :unprocessable_entity
    end
  end

  def destroy
    @post.destroy!
    redirect_to posts_path, notice: "Post deleted.", status: :see_other
  end

  private

  def set_post
    @post = Post.published.find(params[:id])
  end

  def set_own_post
    @post = Current.user.posts.find(params[:id])
  end

  def post_params
    params.require(:post).permit(:title, :body, :published_at)
  end
end
