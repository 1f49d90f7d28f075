"""Engine rules from the third round of holes cut in real apps: values read from every attribute form, the
declaration style by the app's own habits, and lines copied from a place like the cursor's. Each on a
small app written here; the hole is cut before anything is indexed."""

from __future__ import annotations

from pathlib import Path

from engine_app import JS, ask, make_app

from hotwire_assist.server.completion import MODEL_CONFIDENCE
from hotwire_assist.server.engine import SHOW, confident
from hotwire_assist.server.engine.cursor import SOURCE_PRIORS

# --- static values ------------------------------------------------------------------------------------


def test_values_are_read_from_hyphenated_attributes_and_helper_hash_keys(tmp_path):
    """`data-boost-delete-booster-id-value` is one word of the line store, and so is `composer_room_id_value`:
    both are found, and `<%= boost.booster.id %>` / `room.id` make Numbers; a Ruby string literal is a String
    whatever it holds."""
    root = make_app(
        tmp_path,
        {
            "app/views/boosts/_boost.html.erb": '<div data-controller="boost-delete" '
            'data-boost-delete-booster-id-value="<%= boost.booster.id %>">\n</div>\n',
            "app/helpers/rooms_helper.rb": "module RoomsHelper\n  def composer_data(room)\n"
            '    { controller: "composer", composer_room_id_value: room.id,\n'
            '      composer_selector_value: "[data-x=true]" }\n  end\nend\n',
        },
    )
    text = "export default class extends Controller {\n  static values = { boosterId: Number }\n}\n"
    found = ask(root, JS.format("boost_delete"), text, "static values")
    assert found[0].text == " = { boosterId: Number }"
    text = "export default class extends Controller {\n  static values = { roomId: Number, selector: String }\n}\n"
    found = ask(root, JS.format("composer"), text, "static values")
    assert found[0].text == " = { roomId: Number, selector: String }"


def test_a_truthiness_check_on_a_url_does_not_make_it_a_boolean(tmp_path):
    root = make_app(tmp_path, {"app/views/a/_a.html.erb": '<div data-controller="share"></div>\n'})
    text = (
        "export default class extends Controller {\n  static values = { url: String }\n"
        "  share() { if (this.urlValue) { open(this.urlValue) } }\n}\n"
    )
    found = ask(root, JS.format("share"), text, "static values")
    assert found[0].text == " = { url: String }"


def test_values_listed_on_the_next_lines_make_the_line_end_with_the_brace(tmp_path):
    root = make_app(tmp_path, {"app/views/a/_a.html.erb": '<div data-controller="dialog"></div>\n'})
    text = (
        "export default class extends Controller {\n  static values = {\n"
        "    modal: { type: Boolean, default: false },\n    sizing: Boolean\n  }\n"
        "  open() { if (this.modalValue && this.sizingValue) {} }\n}\n"
    )
    found = ask(root, JS.format("dialog"), text, "static values")
    assert found[0].text == " = {"
    assert found[0].source == "index"


def test_values_with_defaults_go_over_several_lines_where_the_app_writes_them_so(tmp_path):
    """The app writes one-line declarations for values its views pass, and multi-line ones (with defaults)
    for values no view passes: a controller whose values no view passes gets `= {`, one whose values a
    view passes gets the one-line form."""
    files = {
        JS.format(
            f"one{k}"
        ): f"export default class extends Controller {{\n  static values = {{ url{k}: String }}\n}}\n"
        for k in range(3)
    }
    for k in range(2):
        files[JS.format(f"multi{k}")] = (
            "export default class extends Controller {\n  static values = {\n"
            f'    label{k}: {{ type: String, default: "x" }}\n  }}\n}}\n'
        )
    files["app/views/a/_a.html.erb"] = '<div data-controller="passed" data-passed-url-value="/x"></div>\n'
    root = make_app(tmp_path, files)
    text = "export default class extends Controller {\n  static values = {\n  go() { this.delayValue }\n}\n"
    assert ask(root, JS.format("lonely"), text, "static values")[0].text == " = {"
    text = "export default class extends Controller {\n  static values = { url: String }\n  go() { this.urlValue }\n}\n"
    assert ask(root, JS.format("passed"), text, "static values")[0].text == " = { url: String }"


# --- a place like this one ------------------------------------------------------------------------------

_STREAM = (
    '<%= turbo_stream.replace("{first}", partial: "boards/{first}", locals: {{ board: @board }}) %>\n'
    "\n"
    "<% if @source_column %>\n"
    '  <%= turbo_stream.replace(dom_id(@source_column), partial: "boards/column") %>\n'
    "<% elsif @was_in_stream %>\n"
    '  <%= turbo_stream.replace("maybe", partial: "boards/stream", locals: {{ board: @board, page: @page }}) %>\n'
    "<% end %>\n"
)


def test_a_line_in_a_copy_of_this_place_answers(tmp_path):
    """`closures/create` is `not_nows/create` but for its first line: the line whose neighbours are the
    cursor's goes on as the cursor's line, though most of the app's `turbo_stream.replace(` lines do not."""
    files = {"app/views/cards/not_nows/create.turbo_stream.erb": _STREAM.format(first="not-now")}
    for k in range(3):
        files[f"app/views/things{k}/update.turbo_stream.erb"] = f'<%= turbo_stream.replace("thing{k}", @thing) %>\n'
    root = make_app(tmp_path, files)
    text = _STREAM.format(first="closed-cards")
    found = ask(root, "app/views/cards/closures/create.turbo_stream.erb", text, "turbo_stream.")
    assert found[0].text == 'replace("maybe", partial: "boards/stream", locals: { board: @board, page: @page }) %>'
    assert found[0].source == "retrieval" and confident(found)  # answers without the model


def test_places_alike_that_go_on_differently_answer_nothing_confidently(tmp_path):
    """Two copies of the place with different lines at the cursor: the neighbours tell nothing."""
    files = {}
    for name in ("closed", "stream"):
        files[f"app/views/columns/{name}s/show.html.erb"] = (
            '<section class="column" data-controller="column">\n'
            '  <h2 class="column__title">Cards</h2>\n'
            f"  <%= turbo_frame_tag :{name}_column do %>\n"
            '    <%= render "columns/cards" %>\n'
            "  <% end %>\n</section>\n"
        )
    root = make_app(tmp_path, files)
    text = files["app/views/columns/closeds/show.html.erb"].replace(":closed_column", ":later_column")
    found = ask(root, "app/views/columns/laters/show.html.erb", text, "turbo_frame_tag")
    assert not found or found[0].score < 0.3, [(c.text, c.score) for c in found]


def test_neighbours_the_app_writes_everywhere_tell_no_place_apart(tmp_path):
    """`respond_to do |format|` / `format.html { redirect_to … }` are in many controllers: sharing them
    makes no copy, and the line most controllers have wins."""
    files = {}
    for k in range(6):
        render = "render_card_replacement" if k < 4 else f"render_other{k}"
        files[f"app/controllers/things{k}_controller.rb"] = (
            f"class Things{k}Controller < ApplicationController\n  def create\n"
            "    respond_to do |format|\n"
            f"      format.turbo_stream {{ {render} }}\n"
            "      format.html { redirect_back fallback_location: root_path }\n"
            "    end\n  end\nend\n"
        )
    root = make_app(tmp_path, files)
    text = files["app/controllers/things5_controller.rb"].replace("Things5", "Pins")
    found = ask(root, "app/controllers/pins_controller.rb", text, "format.turbo_stream")
    assert found[0].text.strip() == "{ render_card_replacement }"


# --- the app's own line where nothing is sure -----------------------------------------------------------


def test_the_commonest_way_on_is_shown_where_no_way_is_sure_and_the_model_is_still_asked(tmp_path):
    """Seven other lines start like the cursor's and go on six ways (2, 1, 1, 1, 1, 1): no majority, so
    nothing is confident, but the commonest is shown rather than nothing, above the embedded model's text."""
    rests = ['"browse/a" %>', '"browse/a" %>'] + [f'"browse/{c}" %>' for c in "bcefg"]
    files = {f"app/views/p{k}/show.html.erb": f"<div>\n  <%= render {r}\n</div>\n" for k, r in enumerate(rests)}
    root = make_app(tmp_path, files)
    text = '<div>\n  <%= render "browse/d" %>\n</div>\n'
    found = ask(root, "app/views/q/show.html.erb", text, "render")
    assert found[0].text.strip() == '"browse/a" %>'
    assert not confident(found)
    assert found[0].score >= SHOW and found[0].score > SOURCE_PRIORS["model"] * MODEL_CONFIDENCE


def test_the_same_files_way_on_comes_before_a_commoner_one_elsewhere(tmp_path):
    files = {
        f"app/controllers/t{k}_controller.rb": "class T < ApplicationController\n  def create\n"
        f"    respond_to do |format|\n      format.turbo_stream {{ render_t{k % 2} }}\n    end\n  end\nend\n"
        for k in range(4)
    }
    root = make_app(tmp_path, files)
    text = (
        "class PinsController < ApplicationController\n  def create\n    respond_to do |format|\n"
        "      format.turbo_stream { render_pin }\n    end\n  end\n\n  def destroy\n"
        "    @pin.destroy\n    respond_to do |format|\n      format.turbo_stream { render_pin }\n    end\n  end\nend\n"
    )
    found = ask(root, "app/controllers/pins_controller.rb", text, "format.turbo_stream")
    assert found[0].text.strip() == "{ render_pin }"


def test_data_controller_goes_on_as_the_apps_commonest_element_with_that_controller(tmp_path):
    """Lines that end after `data-controller="dialog"` (the element goes on below) say nothing about the rest:
    of the others, two go on with the modal value and one ends: the commonest way on comes with the name."""
    rests = ["", "", "", ' data-dialog-modal-value="true">', ' data-dialog-modal-value="true">', ">"]
    files = {
        f"app/views/p{k}/_menu.html.erb": f'<div data-controller="dialog"{r}\n  <button data-action="dialog#open">'
        "Open</button>\n</div>\n"
        for k, r in enumerate(rests)
    }
    files["app/javascript/controllers/dialog_controller.js"] = (
        "export default class extends Controller {\n  open() {}\n  close() {}\n}\n"
    )
    root = make_app(tmp_path, files)
    text = '<div data-controller="dialog">\n  <button data-action="dialog#close">Close</button>\n</div>\n'
    found = ask(root, "app/views/q/_menu.html.erb", text, "data-controller")
    assert found[0].text == '="dialog" data-dialog-modal-value="true">'


# --- frames ---------------------------------------------------------------------------------------------

_BOOSTS = (
    "<%= turbo_frame_tag message, :boosting do %>\n"
    '  <div class="boosts">\n'
    '    <%= render partial: "messages/boosts/boost", collection: message.boosts %>\n'
    "    <%= turbo_frame_tag message, :new_boost do %>\n"
    '      <%= link_to new_message_boost_path(message), class: "btn" do %>\n'
    "        Add a boost\n"
    "      <% end %>\n"
    "    <% end %>\n"
    "  </div>\n"
    "<% end %>\n"
)
_ROUTES = (
    "Rails.application.routes.draw do\n  resources :messages do\n    scope module: :messages do\n"
    "      resources :boosts\n    end\n  end\nend\n"
)


def test_a_link_loads_into_the_innermost_frame_around_it(tmp_path):
    """The link to boosts/new sits in `:new_boost`, itself inside `:boosting`: boosts/new answers the inner one."""
    root = make_app(tmp_path, {"app/views/messages/boosts/_boosts.html.erb": _BOOSTS})
    (root / "config" / "routes.rb").write_text(_ROUTES)
    text = "<%= turbo_frame_tag @message, :new_boost do %>\n  <%= form_with model: Boost.new %>\n<% end %>\n"
    found = ask(root, "app/views/messages/boosts/new.html.erb", text, "turbo_frame_tag")
    assert found[0].text == " @message, :new_boost do %>"


def test_a_partials_frame_is_the_frame_of_the_view_its_links_load_with_its_own_locals(tmp_path):
    """Writing `_boosts`'s inner frame: the link below leads to boosts/new, whose frame is
    `dom_id(@message, :new_boost)`; the partial names `message`, so the id uses the local, written as the
    file's other frame writes its id (`message, :boosting`, or `dom_id(message, :boosting)`)."""
    root = make_app(
        tmp_path,
        {
            "app/views/messages/boosts/new.html.erb": "<%= turbo_frame_tag dom_id(@message, :new_boost) do %>\n"
            "  <%= form_with model: [ @message, Boost.new ] %>\n<% end %>\n"
        },
    )
    (root / "config" / "routes.rb").write_text(_ROUTES)
    rel = "app/views/messages/boosts/_boosts.html.erb"
    found = ask(root, rel, _BOOSTS, "turbo_frame_tag")
    assert found[0].text == " message, :new_boost do %>"
    assert found[0].source == "index"
    text = _BOOSTS.replace("message, :boosting", "dom_id(message, :boosting)")
    assert ask(root, rel, text, "turbo_frame_tag")[0].text == " dom_id(message, :new_boost) do %>"


# --- streams and actions ----------------------------------------------------------------------------------


def test_no_record_stream_where_the_controller_sets_no_record(tmp_path):
    """`closures#destroy` reopens `@card` (set elsewhere): there is no `@closure` to remove."""
    root = make_app(
        tmp_path,
        {
            "app/controllers/cards/closures_controller.rb": "class Cards::ClosuresController < ApplicationController\n"
            "  def destroy\n    @card.reopen\n  end\nend\n",
            "app/controllers/messages_controller.rb": "class MessagesController < ApplicationController\n"
            "  def destroy\n    @message = Message.find(params[:id])\n    @message.destroy\n  end\nend\n",
        },
    )
    text = "<%= turbo_stream.remove @x %>\n"
    found = ask(root, "app/views/cards/closures/destroy.turbo_stream.erb", text, "turbo_stream.")
    assert not [c for c in found if c.source == "index"]
    found = ask(root, "app/views/messages/destroy.turbo_stream.erb", text, "turbo_stream.")
    assert found[0].text == "remove @message %>" and found[0].source == "index"


def test_an_action_line_wiring_only_other_controllers_gives_way_to_the_enclosing_controllers(tmp_path):
    """The app's commonest `<button data-action` line wires `content-row`; under a `video-player` element
    the player's own method comes first."""
    files = {
        f"app/views/rows/_row{k}.html.erb": '<div data-controller="content-row">\n'
        '  <button data-action="click->content-row#scrollLeft">Left</button>\n</div>\n'
        for k in range(3)
    }
    files["app/javascript/controllers/content_row_controller.js"] = (
        "export default class extends Controller {\n  scrollLeft() {}\n}\n"
    )
    files["app/javascript/controllers/video_player_controller.js"] = (
        "export default class extends Controller {\n  resumePlayback() {}\n}\n"
    )
    root = make_app(tmp_path, files)
    text = '<div data-controller="video-player">\n  <button data-action="click->video-player#resumePlayback">\n</div>\n'
    found = ask(root, "app/views/talks/_player.html.erb", text, "data-action")
    assert "video-player#resumePlayback" in found[0].text, [(c.text, c.score) for c in found]


class _Says:
    """A backend that always answers `text`."""

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


async def test_the_apps_commonest_way_on_stays_above_the_models_text_once_the_model_has_answered():
    """The model is asked (nothing is sure) and answers; ranking its text with the cheap candidates must not
    weigh those by their source's prior a second time: the fallback stays first, the model's text second."""
    from hotwire_assist.core.config import Config
    from hotwire_assist.core.request import build_request
    from hotwire_assist.server.completion import CompletionEngine

    engine = CompletionEngine(
        Config.model_validate({"completion": {"debounce_ms": 0, "cache_size": 0}}), _Says(' "browse/z" %>')
    )
    rests = ['"browse/a" %>', '"browse/a" %>'] + [f'"browse/{c}" %>' for c in "bcefg"]
    for k, r in enumerate(rests):
        engine.lines.set_file(f"app/views/p{k}/show.html.erb", f"<div>\n  <%= render {r}\n</div>\n")
    text = "<div>\n  <%= render\n</div>\n"
    request = build_request("app/views/q/show.html.erb", text, text.index("\n</div>"), None)
    s = await engine.complete("doc", request)
    engine.close()
    assert engine.generations_started == 1
    assert s is not None and s.items[:2] == [' "browse/a" %>', ' "browse/z" %>'], s


def test_a_list_is_written_as_the_files_other_lists_are(tmp_path):
    files = {
        JS.format(f"padded{k}"): f'export default class extends Controller {{\n  static targets = [ "x{k}" ]\n}}\n'
        for k in range(3)
    }
    files["app/views/a/_a.html.erb"] = '<div data-controller="tight"><p data-tight-target="field"></p></div>\n'
    root = make_app(tmp_path, files)
    text = 'export default class extends Controller {\n  static classes = ["active"]\n  static targets = ["field"]\n}\n'
    assert ask(root, JS.format("tight"), text, "static targets")[0].text == ' = ["field"]'
    text = 'export default class extends Controller {\n  static targets = [ "field" ]\n}\n'
    assert ask(root, JS.format("tight"), text, "static targets")[0].text == ' = [ "field" ]'


async def test_a_fragment_of_a_word_is_no_word_the_app_knows():
    """`nd` stands in `2nd` but is no word of the app: the embedded model's `nd` is not shown."""
    from hotwire_assist.core.config import Config
    from hotwire_assist.core.request import build_request
    from hotwire_assist.server.completion import CompletionEngine

    config = Config.model_validate({"completion": {"debounce_ms": 0, "cache_size": 0}})
    request = build_request("app/models/a.rb", "  rescue \n", len("  rescue "), None)
    for text, shown in (("nd", False), ("second", True)):
        engine = CompletionEngine(config, _Says(text))
        engine.lines.set_file("app/models/b.rb", 'class B < ActiveRecord::Base\n  LABEL = "2nd second"\nend\n')
        s = await engine.complete("doc", request)
        engine.close()
        assert (s is not None and s.text == text) is shown, text


# --- a view reads its controller's instance variables ------------------------------------------------


def _stream_app(tmp_path: Path) -> Path:
    """Three templates stream on `@filter` (the app's commonest stream line), one on `@card` (set by the
    concern the steps controller includes)."""
    line = '<%= turbo_stream.replace("toggle", partial: "filters/toggle", locals: { filter: @filter }) %>\n'
    return make_app(
        tmp_path,
        {
            "app/controllers/filters_controller.rb": "class FiltersController < ApplicationController\n"
            "  def update\n    @filter = Filter.find(params[:id])\n  end\nend\n",
            "app/controllers/concerns/card_scoped.rb": "module CardScoped\n  private\n"
            "  def set_card\n    @card = Card.find(params[:card_id])\n  end\nend\n",
            "app/controllers/cards/steps_controller.rb": "class Cards::StepsController < ApplicationController\n"
            "  include CardScoped\n  def update\n    @step = @card.steps.find(params[:id])\n  end\nend\n",
            "app/views/filters/update.turbo_stream.erb": line,
            "app/views/filters/create.turbo_stream.erb": line,
            "app/views/filters/destroy.turbo_stream.erb": line,
            "app/views/cards/pins/create.turbo_stream.erb": "<%= turbo_stream.replace([ @card, :pin ], "
            'partial: "cards/pin", locals: { card: @card }) %>\n',
        },
    )


def test_a_view_gets_no_line_on_an_instance_variable_its_controller_never_sets(tmp_path):
    """The app's commonest `turbo_stream.` line reads `@filter`; the steps controller (and the concern it
    includes) set `@card` and `@step`, never `@filter`: the line on `@card` comes first there. In a filters
    template the `@filter` line is still the answer."""
    root = _stream_app(tmp_path)
    found = ask(root, "app/views/cards/steps/edit.turbo_stream.erb", "<%= turbo_stream.\n", "turbo_stream.")
    shown = [c for c in found if c.score >= SHOW]
    assert shown and "@card" in shown[0].text and "@filter" not in shown[0].text, shown[:3]
    found = ask(root, "app/views/filters/edit.turbo_stream.erb", "<%= turbo_stream.\n", "turbo_stream.")
    assert "@filter" in found[0].text, found[:3]


def test_an_instance_variable_no_app_code_sets_is_no_sign_of_another_view(tmp_path):
    """`@page` is assigned nowhere in the app (a gem's helper sets it): a line reading it is not held back
    in a view whose controller does not mention it."""
    root = _stream_app(tmp_path)
    (root / "app/views/filters/update.turbo_stream.erb").unlink()
    (root / "app/views/filters/create.turbo_stream.erb").unlink()
    (root / "app/views/cards/pins/create.turbo_stream.erb").unlink()
    (root / "app/views/boards").mkdir()
    (root / "app/views/boards/show.turbo_stream.erb").write_text(
        '<%= turbo_stream.append("more", partial: "boards/page", locals: { page: @page }) %>\n'
    )
    found = ask(root, "app/views/cards/steps/edit.turbo_stream.erb", "<%= turbo_stream.\n", "turbo_stream.")
    assert found and "@page" in found[0].text, found[:3]


def test_another_views_instance_variable_becomes_the_one_named_alike_here(tmp_path):
    """The right-positions template streams after `@right_column`; in the left-positions template, whose
    controller sets `@left_column` (and `@column`), that line is written with `@left_column`."""
    root = make_app(
        tmp_path,
        {
            "app/controllers/columns/right_positions_controller.rb": "class Columns::RightPositionsController\n"
            "  def create\n    @column = Column.find(params[:column_id])\n"
            "    @right_column = @column.right\n  end\nend\n",
            "app/controllers/columns/left_positions_controller.rb": "class Columns::LeftPositionsController\n"
            "  def create\n    @column = Column.find(params[:column_id])\n"
            "    @left_column = @column.left\n  end\nend\n",
            "app/views/columns/right_positions/create.turbo_stream.erb": "<%= turbo_stream.after(@right_column, "
            'partial: "columns/column", locals: { column: @column }) %>\n',
        },
    )
    text = "<%= turbo_stream.\n"
    found = ask(root, "app/views/columns/left_positions/create.turbo_stream.erb", text, "turbo_stream.")
    assert found and found[0].text.startswith("after(@left_column, "), found[:3]
