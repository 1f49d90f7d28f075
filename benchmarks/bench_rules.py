"""Time the rules engine on ~1,000 generated files of a realistic Rails app, and one re-check.

Run: python benchmarks/bench_rules.py [--resources 90] [--no-external]
Prints seconds; asserts nothing (targets: <= 10 s for 1,000 files on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from hotwire_assist.core.appindex import index_app
from hotwire_assist.core.rules import check_paths, check_source
from hotwire_assist.core.rules.ruby_worker import shared_worker

MODEL = """class {C} < ApplicationRecord
  belongs_to :account
  has_many :notes, dependent: :destroy
  validates :name, presence: true
  broadcasts_refreshes
end
"""
CONTROLLER = """class {P}Controller < ApplicationController
  before_action :set_{s}, only: %i[show edit update destroy]

  def index
    @{p} = {C}.includes(:notes).order(:name)
  end

  def show
  end

  def create
    @{s} = {C}.new({s}_params)
    respond_to do |format|
      if @{s}.save
        format.turbo_stream
        format.html {{ redirect_to @{s} }}
      else
        format.html {{ render :new, status: :unprocessable_entity }}
      end
    end
  end

  def update
    if @{s}.update({s}_params)
      redirect_to @{s}, notice: "Saved."
    else
      render :edit, status: :unprocessable_entity
    end
  end

  private

  def set_{s}
    @{s} = {C}.find(params[:id])
  end

  def {s}_params
    params.require(:{s}).permit(:name, :body)
  end
end
"""
INDEX = """<% content_for :title, "{P}" %>
<%= turbo_stream_from "{p}" %>
<h1>{P}</h1>
<div id="{p}" data-controller="{d}-list">
  <%= render @{p} %>
</div>
<%= link_to "New", new_{s}_path, class: "button" %>
"""
PARTIAL = """<%= turbo_frame_tag dom_id({s}) do %>
  <article class="{s}">
    <h2><%= link_to {s}.name, {s} %></h2>
    <p><%= {s}.notes.size %> notes</p>
    <button type="button" data-action="{d}-list#toggle" aria-expanded="false">Details</button>
    <%= link_to "Edit", edit_{s}_path({s}) %>
  </article>
<% end %>
"""
FORM = """<%= form_with model: {s} do |form| %>
  <div class="field">
    <%= form.label :name %>
    <%= form.text_field :name, required: true %>
  </div>
  <div class="field">
    <%= form.label :body %>
    <%= form.text_area :body, rows: 4 %>
  </div>
  <%= form.submit %>
<% end %>
"""
SHOW = """<% content_for :title, @{s}.name %>
<%= turbo_frame_tag dom_id(@{s}) do %>
  <h1><%= @{s}.name %></h1>
  <%= simple_format @{s}.body %>
<% end %>
<%= turbo_frame_tag dom_id(@{s}, :notes), src: {s}_notes_path(@{s}), loading: :lazy %>
"""
EDIT = """<%= turbo_frame_tag dom_id(@{s}) do %>
  <%= render "form", {s}: @{s} %>
<% end %>
"""
STREAM = """<%= turbo_stream.prepend "{p}", @{s} %>
<%= turbo_stream.update "flash", partial: "shared/flash" %>
"""
JS = """import {{ Controller }} from "@hotwired/stimulus"

export default class extends Controller {{
  static targets = ["item"]
  static values = {{ open: Boolean }}

  toggle(event) {{
    this.openValue = !this.openValue
    event.currentTarget.setAttribute("aria-expanded", this.openValue)
  }}
}}
"""
LAYOUT = """<!DOCTYPE html>
<html lang="en">
  <head><title>Bench</title><%= csrf_meta_tags %><%= javascript_importmap_tags %></head>
  <body>
    <div id="flash" role="status"><%= render "shared/flash" %></div>
    <main><%= yield %></main>
  </body>
</html>
"""


def generate(root: Path, resources: int) -> int:
    files = {
        "Gemfile": 'source "https://rubygems.org"\ngem "rails"\n',
        "Gemfile.lock": "GEM\n  specs:\n    rails (7.2.1)\n    turbo-rails (2.0.11)\n    stimulus-rails (1.3.4)\n",
        "app/views/layouts/application.html.erb": LAYOUT,
        "app/views/shared/_flash.html.erb": "<% flash.each do |t, m| %><p><%= m %></p><% end %>\n",
    }
    for i in range(resources):
        s, p, d = f"widget{i}", f"widget{i}s", f"widget{i}"
        v = dict(s=s, p=p, C=f"Widget{i}", P=f"Widget{i}s", d=d)
        files[f"app/models/{s}.rb"] = MODEL.format(**v)
        files[f"app/controllers/{p}_controller.rb"] = CONTROLLER.format(**v)
        files[f"app/views/{p}/index.html.erb"] = INDEX.format(**v)
        files[f"app/views/{p}/_{s}.html.erb"] = PARTIAL.format(**v)
        files[f"app/views/{p}/_form.html.erb"] = FORM.format(**v)
        files[f"app/views/{p}/show.html.erb"] = SHOW.format(**v)
        files[f"app/views/{p}/edit.html.erb"] = EDIT.format(**v)
        files[f"app/views/{p}/new.html.erb"] = EDIT.format(**v).replace("dom_id(@", "dom_id(@")
        files[f"app/views/{p}/create.turbo_stream.erb"] = STREAM.format(**v)
        files[f"app/javascript/controllers/{d}_list_controller.js"] = JS.format(**v)
        files[f"app/helpers/{p}_helper.rb"] = f"module {v['P']}Helper\nend\n"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return len(files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--resources", type=int, default=90, help="11 files each (90 -> ~1,000 files)")
    ap.add_argument("--no-external", action="store_true", help="tree-sitter only")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench_app"
        n = generate(root, args.resources)
        print(f"generated {n} files in {root} ({os.cpu_count()} cores)")
        t = time.perf_counter()
        internal = check_paths([root], external=False)
        print(f"check {n} files, tree-sitter only: {time.perf_counter() - t:.2f} s ({len(internal.findings)} findings)")
        if not args.no_external:
            shared_worker().close()  # count the Ruby start-up too
            t = time.perf_counter()
            full = check_paths([root], external=True)
            dt = time.perf_counter() - t
            print(
                f"check {n} files with {', '.join(full.checkers.values())}: {dt:.2f} s ({len(full.findings)} findings)"
            )
        index = index_app(root)
        edited = root / "app/views/widget0s/_widget0.html.erb"
        text = edited.read_text().replace("notes</p>", 'notes</p>\n    <%= link_to "Del", widget0, method: :delete %>')
        t = time.perf_counter()
        index.update_file(edited, text)
        found = check_source(str(edited), text, index, external=False)
        print(f"re-check one edited file (index update + rules, tree-sitter): {1000 * (time.perf_counter() - t):.1f} ms"
              f" ({len(found)} findings)")  # fmt: skip
        if not args.no_external:
            check_source(str(edited), text, index, external=True)  # warm the Ruby worker
            t = time.perf_counter()
            found = check_source(str(edited), text, index, external=True)
            print(f"re-check one edited file with warm Ruby worker + herb-lint: {time.perf_counter() - t:.2f} s")
        shared_worker().close()


if __name__ == "__main__":
    main()
