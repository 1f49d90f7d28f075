"""Defect kinds the held-out rounds found missed (issue 15), each in a small app written for this test: the
defect reported, the clean idioms beside it not."""

from __future__ import annotations

from pathlib import Path

from support.small_app import findings_of, write_app

ROUTES = "Rails.application.routes.draw do\n  resources :posts\nend\n"
CONTROLLER = "class PostsController < ApplicationController\n  def index; end\n  def show; end\n  def edit; end\nend\n"


def _posts_app(root: Path, index: str, extra: dict[str, str] | None = None) -> Path:
    return write_app(
        root,
        {
            "config/routes.rb": ROUTES,
            "app/controllers/posts_controller.rb": CONTROLLER,
            "app/views/posts/index.html.erb": index,
            "app/views/posts/show.html.erb": '<%= turbo_frame_tag "post_details" do %>\n  <p>Post</p>\n<% end %>\n',
            "app/views/posts/edit.html.erb": '<h1>Edit</h1>\n<%= render "form" %>\n',
            "app/views/posts/_form.html.erb": '<%= turbo_frame_tag "post_form" do %>\n  <p>Form</p>\n<% end %>\n',
            **(extra or {}),
        },
    )


def test_link_inside_a_frame_to_a_page_without_that_frame(tmp_path: Path):
    index = (
        '<%= turbo_frame_tag "post_summary" do %>\n'
        '  <%= link_to "Edit", edit_post_path(@post) %>\n'  # edit has no post_summary frame: Content missing
        '  <%= link_to "Out", edit_post_path(@post), data: { turbo_frame: "_top" } %>\n'  # leaves the frame
        '  <%= link_to "New tab", post_path(@post), target: "_blank" %>\n'
        '  <%= link_to "Preview", edit_post_path(@post), data: { turbo_stream: true } %>\n'  # a stream answers
        "<% end %>\n"
        '<%= turbo_frame_tag "post_form" do %>\n'
        '  <%= link_to "Edit", edit_post_path(@post) %>\n'  # edit renders _form, which has the frame
        "<% end %>\n"
        '<%= turbo_frame_tag "nav", target: "_top" do %>\n'
        '  <%= link_to "Show", post_path(@post) %>\n'  # the frame sends its links to the page
        "<% end %>\n"
        '<turbo-frame id="post_details">\n'
        "  <%= link_to post_path(@post) do %>Show<% end %>\n"  # show has the frame
        "</turbo-frame>\n"
    )
    app = _posts_app(tmp_path / "a", index)
    assert findings_of(app, "turbo/frame-missing-in-response") == [("index.html.erb", 2, "error")]
    # an app that recovers from a missing frame itself (visits the response as a page) is left alone
    handled = _posts_app(
        tmp_path / "b",
        index,
        {
            "app/javascript/application.js": (
                'document.addEventListener("turbo:frame-missing", (e) => {\n'
                "  e.preventDefault(); e.detail.visit(e.detail.response)\n})\n"
            )
        },
    )
    assert findings_of(handled, "turbo/frame-missing-in-response") == []


def test_stream_content_through_a_local_variable(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/controllers/posts_controller.rb": (
                "class PostsController < ApplicationController\n"
                "  def destroy\n"
                '    note = "Deleted #{params[:title]}"\n'
                '    render turbo_stream: turbo_stream.update("flash", note)\n'  # request data, unescaped
                "  end\n"
                "  def archive\n"
                '    note = "Archived #{helpers.h(params[:title])}"\n'
                '    render turbo_stream: turbo_stream.update("flash", note)\n'  # escaped first
                "  end\n"
                "  def publish(params)\n"
                '    note = "Published #{params[:title]}"\n'  # a method's own argument, not the request
                '    turbo_stream.update("flash", note)\n'
                "  end\n"
                "  def compare\n"
                "    post = Post.find(params[:post_id])\n"  # a record, inside a tag helper that escapes it
                '    render turbo_stream: turbo_stream.append("list", helpers.tag.li(post.title, id: post.id))\n'
                "  end\n"
                "  def rename\n"
                "    name = params[:name]\n"
                '    render turbo_stream: turbo_stream.update("flash", ["Renamed to ", name.strip].join)\n'
                "  end\n"
                "end\n"
            ),
            "app/views/posts/update.turbo_stream.erb": (
                '<% label = "Saved #{params[:name]}" %>\n<%= turbo_stream.update "flash", label %>\n'
                '<% count = "#{@posts.size} posts" %>\n<%= turbo_stream.update "counter", count %>\n'
            ),
            "app/views/posts/index.html.erb": '<div id="flash"></div><div id="counter"></div>\n',
        },
    )
    assert findings_of(app, "security/stream-content") == [
        ("posts_controller.rb", 4, "error"),
        ("posts_controller.rb", 20, "error"),
        ("update.turbo_stream.erb", 2, "error"),
    ]
