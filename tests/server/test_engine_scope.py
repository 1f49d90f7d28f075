"""Engine rules from the fifth round of holes cut in real apps: which controllers a new `data-action` can
reach (a target on the element, a closed sibling's declaration, a partial's own references), one-line
buttons and links closed with a label, and a controller file's comments. Each on a small app written
here; the hole is cut before anything is indexed."""

from __future__ import annotations

from engine_app import JS, ask, make_app


def controller(*methods: str) -> str:
    return "export default class extends Controller {\n" + "".join(f"  {m}() {{}}\n" for m in methods) + "}\n"


# --- which controllers a data-action reaches -----------------------------------------------------------


def test_a_target_on_the_element_puts_it_in_its_controllers_scope(tmp_path):
    """No declaration in the partial, but the button is `data-manual-payee-target`: it is inside that
    controller, and wired to it (silence before)."""
    root = make_app(tmp_path, {JS.format("manual_payee"): controller("enable"), JS.format("menu"): controller("open")})
    text = (
        '<div class="row">\n'
        '  <button type="button" data-manual-payee-target="enableButton" data-action="manual-payee#enable">\n'
        "    Enter details\n  </button>\n</div>\n"
    )
    found = ask(root, "app/views/payments/_picker.html.erb", text, "data-action")
    assert found and found[0].text == '="manual-payee#enable">', [(c.text, c.score) for c in found]


def test_a_closed_siblings_declaration_is_not_the_enclosing_controller(tmp_path):
    """`<input data-controller="autocomplete">` and a block-less ERB tag declaring `rich-text` are closed
    before the cursor: the button belongs to the `composer` around them."""
    files = {
        JS.format("composer"): controller("toggleToolbar"),
        JS.format("autocomplete"): controller("search"),
        JS.format("rich_text"): controller("blur"),
    }
    root = make_app(tmp_path, files)
    text = (
        '<div class="composer" data-controller="composer">\n'
        '  <input type="text" data-controller="autocomplete" data-action="input->autocomplete#search">\n'
        '  <%= form.text_area :body, data: { controller: "rich-text", action: "blur->rich-text#blur" } %>\n'
        '  <button type="button" data-action="composer#toggleToolbar">\n'
        '    <img src="x.svg">\n  </button>\n</div>\n'
    )
    found = ask(root, "app/views/rooms/_composer.html.erb", text, "data-action")
    assert found[0].text == '="composer#toggleToolbar">', [(c.text, c.score) for c in found]


def test_a_partial_without_declarations_wires_the_controllers_its_other_lines_use(tmp_path):
    files = {JS.format("payout_methods"): controller("editRow"), JS.format("menu"): controller("open")}
    root = make_app(tmp_path, files)
    text = (
        '<tr data-payout-methods-target="row">\n'
        '  <td data-payout-methods-target="label"><%= method.name %></td>\n'
        '  <td><button type="button" data-action="payout-methods#editRow">\n    Edit row\n  </button></td>\n'
        "</tr>\n"
    )
    found = ask(root, "app/views/users/_payout_method_row.html.erb", text, "data-action")
    assert found and found[0].text == '="payout-methods#editRow">', [(c.text, c.score) for c in found]


# --- one-line buttons --------------------------------------------------------------------------------------


def test_a_one_line_button_is_closed_with_a_label_after_its_action(tmp_path):
    """No `</button>` below before the next button: this one closes on its own line, as the app's one-line
    buttons do; its label is named after its action."""
    root = make_app(tmp_path, {JS.format("chart"): controller("selectAll")})
    text = (
        '<div data-controller="chart">\n'
        '  <button type="button" data-action="chart#selectAll">Select all</button>\n'
        '  <button type="button" class="b">Other</button>\n</div>\n'
    )
    found = ask(root, "app/views/reports/_chart.html.erb", text, "data-action")
    assert found[0].text == '="chart#selectAll">Select all</button>', [(c.text, c.score) for c in found]


def test_the_apps_own_button_for_the_action_beats_the_guessed_label(tmp_path):
    """The app writes this action's button with more attributes and its own label (`class=… >Cancel`), though
    not always alike: its commonest such line, not the label guessed from the method name (`>Close`)."""
    cancel = '  <button type="button" data-action="modal#close" class="btn btn-secondary">Cancel</button>\n'
    others = [
        cancel,
        cancel,
        '  <button type="button" data-action="modal#close" class="btn">Dismiss</button>\n',
        '  <button type="button" data-action="modal#open" class="btn">Open</button>\n',
        '  <button type="button" data-action="modal#open" class="btn btn-primary">Edit</button>\n',
    ]
    views = {
        f"app/views/p{k}/_dialog.html.erb": f'<div data-controller="modal">\n{x}</div>\n' for k, x in enumerate(others)
    }
    root = make_app(tmp_path, {JS.format("modal"): controller("open", "close"), **views})
    text = f'<div data-controller="modal">\n{cancel}  <p>Sure?</p>\n</div>\n'
    found = ask(root, "app/views/q/_dialog.html.erb", text, "data-action")
    assert found[0].text == '="modal#close" class="btn btn-secondary">Cancel</button>', [
        (c.text, c.source, c.score) for c in found
    ]


def test_a_button_closed_below_gets_no_label(tmp_path):
    root = make_app(tmp_path, {JS.format("chart"): controller("selectAll")})
    text = (
        '<div data-controller="chart">\n'
        '  <button type="button" data-action="chart#selectAll">\n    <%= icon "check" %>\n  </button>\n</div>\n'
    )
    found = ask(root, "app/views/reports/_chart.html.erb", text, "data-action")
    assert found[0].text == '="chart#selectAll">', [(c.text, c.score) for c in found]


# --- a controller file's comments ----------------------------------------------------------------------


def test_a_block_comment_in_a_controller_names_its_own_identifier(tmp_path):
    root = make_app(tmp_path, {"app/views/a/_a.html.erb": "<p>x</p>\n"})
    text = '/**\n * Connects to data-controller="file-input"\n */\n' + controller("pick")
    found = ask(root, JS.format("file_input"), text, "data-controller")
    assert found[0].text == '="file-input"'
    text = '/*\n * Usage:\n * <div data-controller="file-input">\n */\n' + controller("pick")
    found = ask(root, JS.format("file_input"), text, "data-controller")
    assert found[0].text == '="file-input">'


# --- a frame nothing else names -----------------------------------------------------------------------


def _frames(n: int, folder: str = "other") -> dict[str, str]:
    """`n` pages of a folder, each with a frame of its own, ids written as symbols."""
    return {f"app/views/{folder}/page{k}.html.erb": f"<%= turbo_frame_tag :box{k} do %>\n<% end %>\n" for k in range(n)}


def test_a_frame_nothing_names_is_named_after_its_partial_quoted_as_the_app_quotes(tmp_path):
    root = make_app(tmp_path, _frames(3))
    text = "<%= turbo_frame_tag :recent_activity do %>\n  <p>Hi</p>\n<% end %>\n"
    found = ask(root, "app/views/events/_recent_activity.html.erb", text, "turbo_frame_tag")
    assert found[0].text == " :recent_activity do %>", [(c.text, c.score) for c in found]


def test_a_frame_without_a_block_below_ends_the_tag(tmp_path):
    """No `<% end %>` below closes a block: the frame is empty (lazy) and the tag ends on the line; a resource's
    index page names it after the resource."""
    root = make_app(tmp_path, _frames(3))
    text = "<h1>Tasks</h1>\n<%= turbo_frame_tag :tasks %>\n<p>More</p>\n"
    found = ask(root, "app/views/tasks/index.html.erb", text, "turbo_frame_tag")
    assert found[0].text == " :tasks %>", [(c.text, c.score) for c in found]


def test_a_frame_most_pages_of_the_section_repeat_wins_over_the_name(tmp_path):
    """Three of the four framed pages under `events/` open with the same frame: that line, not a name."""
    files = {
        f"app/views/events/{tab}/index.html.erb": "<%= turbo_frame_tag dom_id(@event), target: :_top do %>\n<% end %>\n"
        for tab in ("talks", "speakers", "videos")
    }
    files["app/views/events/other/index.html.erb"] = "<%= turbo_frame_tag :other do %>\n<% end %>\n"
    root = make_app(tmp_path, files)
    text = "<%= turbo_frame_tag dom_id(@event), target: :_top do %>\n  <p>x</p>\n<% end %>\n"
    found = ask(root, "app/views/events/cfp/index.html.erb", text, "turbo_frame_tag")
    assert found[0].text == " dom_id(@event), target: :_top do %>", [(c.text, c.score) for c in found]


# --- the attributes a controller's element must carry -----------------------------------------------------


def test_a_controller_no_other_view_declares_comes_with_the_attributes_its_code_reads(tmp_path):
    """`boost-delete` is declared nowhere else: its element carries the classes the code uses unchecked and
    the values it reads without a default (an Array's empty value is `[]`: `""` would not parse); the
    optional class (`hasHiddenClass`) and the value with a default stay out."""
    js = (
        "export default class extends Controller {\n"
        '  static classes = ["perform", "hidden"]\n'
        "  static values = { boosterId: Number, tags: Array, delay: { type: Number, default: 5 } }\n"
        "  go() {\n    this.element.classList.add(this.performClass)\n"
        "    if (this.hasHiddenClass) this.element.classList.add(this.hiddenClass)\n"
        "    fetch(this.boosterIdValue, this.tagsValue, this.delayValue)\n  }\n}\n"
    )
    root = make_app(tmp_path, {JS.format("boost_delete"): js})
    text = '<div class="boost" data-controller="boost-delete">\n  <span data-action="click->boost-delete#go">x</span>\n'
    found = ask(root, "app/views/boosts/_boost.html.erb", text, "data-controller")
    assert found[0].text == (
        '="boost-delete" data-boost-delete-perform-class="" data-boost-delete-booster-id-value="0"'
        ' data-boost-delete-tags-value="[]">'
    ), [(c.text, c.score) for c in found]


# --- a stream line written as the app writes them --------------------------------------------------------


def test_a_records_stream_names_its_partial_and_locals_where_the_apps_streams_do(tmp_path):
    """Most of the app's stream lines of a record name the partial and its locals, in parentheses: the update
    template's `replace` of its record does too, with the record's own partial. (Streams of other things,
    `"flash"` with its partial, say nothing of how the app streams records: the quickstart's todo app.)"""
    files = {
        f"app/views/things{k}/update.turbo_stream.erb": f"<%= turbo_stream.replace(@row, "
        f'partial: "things{k}/row", locals: {{ row: @row }}) %>\n'
        for k in range(3)
    }
    files["app/controllers/cards/comments_controller.rb"] = (
        "class Cards::CommentsController < ApplicationController\n  def update\n"
        "    @comment = Comment.find(params[:id])\n    @comment.update!(x)\n  end\nend\n"
    )
    files["app/views/cards/comments/_comment.html.erb"] = "<div><%= comment.body %></div>\n"
    root = make_app(tmp_path, files)
    text = '<%= turbo_stream.replace(@comment, partial: "cards/comments/comment", locals: { comment: @comment }) %>\n'
    found = ask(root, "app/views/cards/comments/update.turbo_stream.erb", text, "turbo_stream.")
    assert found[0].text == 'replace(@comment, partial: "cards/comments/comment", locals: { comment: @comment }) %>', [
        (c.text, c.score) for c in found
    ]


def test_a_method_not_wired_yet_is_written_as_the_files_twin_line_writes_its_sibling(tmp_path):
    """The two lines above start like the cursor's and wire `theme`'s other methods with `click->` and a
    target: the third method is written the same way (only the method differs), not bare."""
    root = make_app(tmp_path, {JS.format("theme"): controller("setLight", "setDark", "setAuto")})
    row = '  <input type="radio" name="theme" data-action="click->theme#set{0}" data-theme-target="{1}Button">\n'
    text = row.format("Light", "light") + row.format("Dark", "dark") + row.format("Auto", "auto")
    found = ask(root, "app/views/users/_theme.html.erb", text, "data-action")
    assert found[0].text == '="click->theme#setAuto" data-theme-target="darkButton">', [
        (c.text, c.score) for c in found
    ]


def test_a_named_frame_whose_options_go_on_below_ends_with_a_comma(tmp_path):
    root = make_app(tmp_path, _frames(3))
    text = "<%= turbo_frame_tag :tasks,\n      src: tasks_path, loading: :lazy do %>\n<% end %>\n"
    found = ask(root, "app/views/tasks/index.html.erb", text, "turbo_frame_tag")
    assert found[0].text == " :tasks,", [(c.text, c.score) for c in found]
