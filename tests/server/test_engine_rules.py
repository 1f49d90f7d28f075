"""The engine's rules learnt from holes cut in real apps (benchmarks/bench_fim.py), each on a small app
written here: the hole is cut before anything is indexed, and the original rest of the line must come first.
"""

from __future__ import annotations

from engine_app import ask, make_app

from hotwire_assist.server.engine import Candidate, Cursor, LineStore, confident, rank

DIALOG_JS = """import { Controller } from "@hotwired/stimulus"

export default class extends Controller {
  captureKey(event) {}
  open() { this.element.showModal() }
  close() { this.element.close() }
  toggle() {}
}
"""


# --- data-action ------------------------------------------------------------------------------------


def _dialog_views() -> dict[str, str]:
    views = {"app/javascript/controllers/dialog_controller.js": DIALOG_JS}
    for k in range(3):
        views[f"app/views/things{k}/_menu.html.erb"] = (
            '<div data-controller="dialog">\n'
            f'  <button class="btn btn--plain" data-action="click->dialog#open:stop">Menu {k}</button>\n'
            '  <dialog data-action="keydown->dialog#captureKey"></dialog>\n'
            "</div>\n"
        )
    return views


def test_data_action_offers_the_method_the_app_wires_most_as_the_app_writes_it(tmp_path):
    root = make_app(tmp_path, _dialog_views())
    text = (
        '<div data-controller="dialog">\n  <button class="other" data-action="click->dialog#open:stop">\n'
        "    Open menu\n  </button>\n</div>\n"
    )
    found = ask(root, "app/views/posts/_menu.html.erb", text, "data-action")
    # `open` is wired in 3 views (captureKey once each on a dialog, declared first): with its event and option
    assert found[0].text == '="click->dialog#open:stop">'
    assert found[0].source == "index"


def test_data_action_on_an_element_without_a_default_event_writes_one(tmp_path):
    root = make_app(tmp_path, _dialog_views())
    text = '<div data-controller="dialog">\n  <dialog class="p" data-action="keydown->dialog#captureKey"></dialog>\n'
    found = ask(root, "app/views/posts/_menu.html.erb", text, "data-action")
    index_items = [c.text for c in found if c.source == "index" or "index" in c.support]
    assert index_items and all("->" in t for t in index_items), index_items  # a <dialog> has no default event
    assert found[0].text == '="keydown->dialog#captureKey">'


def test_most_lines_with_the_same_start_beat_an_index_guess(tmp_path):
    """Where most of the app's lines that start like the cursor's go on the same way, that rest wins over
    the index's method guess (which knows the method, not the rest of the line)."""
    files = _dialog_views()
    for k in range(3):
        files[f"app/views/forms{k}/_cancel.html.erb"] = (
            '<div data-controller="dialog">\n'
            '  <button type="button" class="btn" data-action="dialog#close">Cancel</button>\n'
            "</div>\n"
        )
    for k in range(4):  # many other data-action lines that start differently dilute retrieval's share
        files[f"app/views/other{k}/show.html.erb"] = "".join(
            f'<input class="f{j}" data-action="input->search{j}#filter">\n' for j in range(10)
        )
    root = make_app(tmp_path, files)
    text = (
        '<div data-controller="dialog">\n  <a href="#" data-action="dialog#close">x</a>\n'
        '  <button type="button" class="btn" data-action="dialog#close">Cancel</button>\n'
    )
    found = ask(root, "app/views/posts/_cancel.html.erb", text, "data-action")
    assert found[0].text == '="dialog#close">Cancel</button>'
    assert confident(found)


# --- retrieval --------------------------------------------------------------------------------------


def test_a_controllers_own_actions_answer_for_its_other_actions(tmp_path):
    """`format.turbo_stream { render_pin_button_replacement }` in create is the best guess for destroy of
    the same controller, over what the other controllers of the folder render."""
    others = {
        f"app/controllers/cards/{name}_controller.rb": (
            f"class Cards::{name.title()}Controller < ApplicationController\n"
            "  def create\n    respond_to do |format|\n"
            f"      format.turbo_stream {{ render_{name} }}\n    end\n  end\nend\n"
        )
        for name in ("golds", "stars")
    }
    root = make_app(tmp_path, others)
    text = (
        "class Cards::PinsController < ApplicationController\n"
        "  def create\n    respond_to do |format|\n      format.turbo_stream { render_pin_button_replacement }\n"
        "    end\n  end\n\n  def destroy\n    respond_to do |format|\n"
        "      format.turbo_stream { render_pin_button_replacement }\n"
        "    end\n  end\nend\n"
    )
    found = ask(root, "app/controllers/cards/pins_controller.rb", text, "format.turbo_stream")
    assert found[0].text.strip() == "{ render_pin_button_replacement }"


def test_the_apps_style_is_read_from_its_own_lines_not_the_curated_ones(tmp_path):
    """`static values = {` on its own line when the app writes its declarations so, however many curated
    one-line declarations the line store holds."""
    files = {}
    for k in range(3):
        files[f"app/javascript/controllers/c{k}_controller.js"] = (
            'import { Controller } from "@hotwired/stimulus"\n\nexport default class extends Controller {\n'
            "  static values = {\n    url: String,\n    delay: Number\n  }\n}\n"
        )
    root = make_app(tmp_path, files)

    def curated(store: LineStore) -> None:
        lines = "\n".join("static values = { a: String, b: Number }" for _ in range(500))
        store.set_file("curated:many.js", lines, curated=True)

    text = (
        'import { Controller } from "@hotwired/stimulus"\n\nexport default class extends Controller {\n'
        "  static values = {\n\n  connect() { fetch(this.urlValue); setTimeout(() => {}, this.delayValue) }\n}\n"
    )
    found = ask(root, "app/javascript/controllers/search_controller.js", text, "static values", curated)
    assert found[0].text.strip() == "= {"


# --- ranking ----------------------------------------------------------------------------------------


def test_a_weak_agreeing_line_does_not_lift_a_guess_over_a_confident_candidate():
    ranked = rank(
        [
            Candidate('="dialog#captureKey">', "index", 0.5),
            Candidate('="dialog#captureKey">', "retrieval", 0.02),  # one stray line agrees
            Candidate('="dialog#open">', "retrieval", 0.75),  # most lines that start alike
        ]
    )
    assert ranked[0].text == '="dialog#open">'


def test_a_confident_longer_candidate_agreeing_with_the_index_comes_first():
    ranked = rank(
        [
            Candidate('="pagination">', "index", 0.75),
            Candidate('="pagination" data-pagination-auto-value="true">', "retrieval", 0.75),
        ]
    )
    assert ranked[0].text == '="pagination" data-pagination-auto-value="true">'
    assert "index" in ranked[0].support


def test_curated_lines_never_make_a_majority_of_the_apps_lines(tmp_path):
    """The curated examples fill in where the app has no such line, as the weakest evidence: two curated
    lines that start like the cursor's are not the app's majority (whose rest is confident)."""
    from hotwire_assist.server.engine import retrieve
    from hotwire_assist.server.engine.retrieval import LONE_SCORE, MAJORITY_SCORE

    store = LineStore()
    for k in range(2):
        store.set_file(f"curated:c{k}.js", "this.counterTarget.textContent = `${n} left`\n", curated=True)
    cursor = Cursor("app/javascript/controllers/form_controller.js", "    this.counterTarget.textContent =", "\n")
    found = retrieve(store, cursor)
    assert found and found[0].text.strip() == "`${n} left`"
    assert found[0].score < LONE_SCORE
    store.set_file("app/javascript/controllers/other_controller.js", "this.counterTarget.textContent = `${n} left`\n")
    store.set_file("app/javascript/controllers/third_controller.js", "this.counterTarget.textContent = `${n} left`\n")
    assert retrieve(store, cursor)[0].score >= MAJORITY_SCORE  # two of the app's own lines are


# --- Turbo frames and streams -----------------------------------------------------------------------

ROUTES = """Rails.application.routes.draw do
  resources :boards
  resources :cards do
    scope module: :cards do
      resource :board
    end
  end
end
"""


def test_a_frame_id_comes_from_the_views_that_load_this_view_by_its_route(tmp_path):
    """boards/show is what `board_path` leads to; `edit_card_board_path` leads to cards/boards#edit (the
    routes say so), not to boards: its frame is not boards/show's, however often the app loads it."""
    files = {
        "app/views/boards/index.html.erb": "<% @boards.each do |board| %>\n"
        "  <%= turbo_frame_tag dom_id(board), src: board_path(board) %>\n<% end %>\n",
        "app/controllers/boards_controller.rb": "class BoardsController < ApplicationController\n"
        "  def show\n    @board = Board.find(params[:id])\n  end\nend\n",
    }
    for k in range(2):
        files[f"app/views/cards/_card{k}.html.erb"] = (
            '<%= turbo_frame_tag "board_picker", src: edit_card_board_path(card) %>\n'
        )
    root = make_app(tmp_path, files)
    (root / "config" / "routes.rb").write_text(ROUTES)
    found = ask(
        root,
        "app/views/boards/show.html.erb",
        "<h1>Board</h1>\n<%= turbo_frame_tag dom_id(@board) do %>\n",
        "turbo_frame_tag",
    )
    assert found[0].text == " dom_id(@board) do %>"
    found = ask(
        root, "app/views/cards/boards/edit.html.erb", '<%= turbo_frame_tag "board_picker" do %>\n', "turbo_frame_tag"
    )
    assert found[0].text == ' "board_picker" do %>'


def test_a_show_page_subscribes_to_the_record_it_shows(tmp_path):
    root = make_app(
        tmp_path,
        {
            "app/controllers/boards_controller.rb": "class BoardsController < ApplicationController\n"
            "  before_action :set_board\n  def show; end\n\n  private\n"
            "  def set_board\n    @board = Board.find(params[:id])\n  end\nend\n",
        },
    )
    found = ask(
        root, "app/views/boards/show.html.erb", "<%= turbo_stream_from @board %>\n<h1>Board</h1>\n", "turbo_stream_from"
    )
    assert found[0].text == " @board %>"
    assert confident(found)


def test_a_nested_new_views_frame_has_the_parent_record_as_an_instance_variable(tmp_path):
    """`turbo_frame_tag card, :assignment, src: new_card_assignment_path(card)` loads cards/assignments/new,
    whose frame is `@card, :assignment` (the symbol stays a symbol)."""
    root = make_app(
        tmp_path,
        {
            "app/views/cards/_assignees.html.erb": "<%= turbo_frame_tag card, :assignment, "
            "src: new_card_assignment_path(card), loading: :lazy %>\n"
        },
    )
    (root / "config" / "routes.rb").write_text(
        "Rails.application.routes.draw do\n  resources :cards do\n    scope module: :cards do\n"
        "      resources :assignments\n    end\n  end\nend\n"
    )
    text = "<%= turbo_frame_tag @card, :assignment do %>\n  <p>Assign</p>\n<% end %>\n"
    found = ask(root, "app/views/cards/assignments/new.html.erb", text, "turbo_frame_tag")
    assert found[0].text == " @card, :assignment do %>"


# --- the veto and the model's text ----------------------------------------------------------------


def _c(path: str, line_prefix: str) -> Cursor:
    return Cursor(path, line_prefix, "\n")


JS, ERB = "app/javascript/controllers/a_controller.js", "app/views/posts/show.html.erb"


def test_a_closer_the_line_did_not_open_is_vetoed():
    from hotwire_assist.server.engine import why_not

    assert why_not("}", _c(JS, "  static values")) == "only closes a block the line did not open"
    assert why_not("end", _c("app/models/a.rb", "  rescue ")) is not None
    assert why_not("</div>", _c(ERB, "<%= turbo_frame_tag")) is not None
    assert why_not("}", _c(JS, "  connect() {")) is None  # the line opened it
    assert why_not("</p>", _c(ERB, "  <p>Hello")) is None


def test_an_element_inside_an_open_tag_or_inside_ruby_is_vetoed():
    from hotwire_assist.server.engine import why_not

    assert why_not('<div id="x">', _c(ERB, '<button class="b" data-action')) == "starts an element inside an open tag"
    assert why_not("<p>", _c(ERB, "<%= button_to ")) is not None
    assert why_not('="dialog#open">', _c(ERB, '<button class="b" data-action')) is None
    assert why_not('<%= dom_id(post) %>">', _c(ERB, '<div id="')) is None  # ERB in an attribute value is fine


def test_a_dot_in_code_must_be_followed_by_a_method_and_one_letter_is_never_worth_showing():
    from hotwire_assist.server.engine import why_not

    assert why_not("(1)", _c(ERB, "<%= turbo_stream.")) is not None
    assert why_not('append "posts", @post %>', _c(ERB, "<%= turbo_stream.")) is None
    assert why_not(" See you", _c(ERB, "<p>Thanks.")) is None  # a sentence, not code
    assert why_not("d", _c("app/models/a.rb", "  def ")) == "a single letter"


class _Says:
    """A backend that always answers `text` (the small model's fragments)."""

    name = model_id = "says"

    def __init__(self, text: str) -> None:
        self.text = text

    def generate(self, prompt, params, cancel):
        yield self.text

    def health(self): ...

    def vocabulary_has(self, tokens):
        return None

    def close(self):
        pass


async def test_the_models_text_must_begin_with_a_word_the_app_knows():
    from hotwire_assist.core.config import Config
    from hotwire_assist.core.request import build_request
    from hotwire_assist.server.completion import CompletionEngine

    config = Config.model_validate({"completion": {"debounce_ms": 0, "cache_size": 0}})
    request = build_request("app/models/a.rb", "  rescue \n", len("  rescue "), None)
    for text, shown in (("nd", False), ("ActiveRecord::RecordNotFound", True)):
        engine = CompletionEngine(config, _Says(text))
        engine.lines.set_file("app/models/b.rb", "class B < ActiveRecord::Base\n")
        s = await engine.complete("doc", request)
        assert (s is not None and s.text == text) is shown, text
        engine.close()
    engine = CompletionEngine(config, _Says("ting in the frame"))  # `turbo_frame_tagting` is no word
    engine.lines.set_file("app/views/a.html.erb", "<%= render post %>\n")
    request = build_request(ERB, "<%= turbo_frame_tag\n", len("<%= turbo_frame_tag"), None)
    assert await engine.complete("doc", request) is None
    engine.close()
    # a model the user configured may name what the app does not have yet: its new words are shown
    new_method = build_request("app/models/a.rb", "  def \n", len("  def "), None)
    for settings in (
        {"model": {"backend": "openai", "url": "http://127.0.0.1:9"}},
        {"completion": {"known_words_only": False}},
    ):
        merged = {**settings, "completion": {"debounce_ms": 0, "cache_size": 0, **settings.get("completion", {})}}
        engine = CompletionEngine(Config.model_validate(merged), _Says("archive_completed"))
        engine.lines.set_file("app/models/b.rb", "class B < ActiveRecord::Base\n")
        s = await engine.complete("doc", new_method)
        assert s is not None and s.text == "archive_completed", settings
        engine.close()
    engine = CompletionEngine(config, _Says("archive_completed"))  # the embedded small model: held back
    engine.lines.set_file("app/models/b.rb", "class B < ActiveRecord::Base\n")
    assert await engine.complete("doc", new_method) is None
    engine.close()
