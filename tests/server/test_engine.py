"""The completion engine's sources, ranking and veto on a small app whose right answers are known.

Every case cuts the rest of a line from a copy of tests/fixtures/engine_app **on disk** (as the benchmark
does), indexes the copy, and asks for the candidates at the cut: the original rest of the line must come
first, and the engine must never have seen it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotwire_assist.core.appindex import index_app, read_text
from hotwire_assist.server.engine import (
    Candidate,
    Cursor,
    LineStore,
    allowed,
    cheap_candidates,
    confident,
    index_candidates,
    rank,
    retrieve,
    why_not,
)
from hotwire_assist.server.engine.retrieval import add_curated

APP = Path(__file__).resolve().parents[1] / "fixtures" / "engine_app"


@pytest.fixture
def app(tmp_path) -> Path:
    return Path(shutil.copytree(APP, tmp_path / "engine_app"))


def cut_at(root: Path, rel: str, line: int, marker: str):
    """Cut line `line` (1-based) right after `marker` on disk; index it. -> (cursor, index, store, expected)."""
    path = root / rel
    lines = path.read_text().split("\n")
    col = lines[line - 1].index(marker) + len(marker)
    expected = lines[line - 1][col:]
    lines[line - 1] = lines[line - 1][:col]
    text = "\n".join(lines)
    path.write_text(text)
    index = index_app(root)
    store = LineStore()
    store.sync(index.files, lambda p: read_text(Path(p)), index.rel)
    prefix = "\n".join([*lines[: line - 1], lines[line - 1]])
    suffix = text[len(prefix) :]
    return Cursor(rel, prefix, suffix), index, store, expected


def best(cursor, index, store) -> str:
    ranked = cheap_candidates(cursor, index, store)
    return ranked[0].text if ranked else ""


# --- the app index ----------------------------------------------------------------------------------


def test_static_targets_come_from_the_code_and_views_in_the_apps_style(app):
    cursor, index, store, expected = cut_at(app, "app/javascript/controllers/search_controller.js", 5, "static targets")
    found = index_candidates(cursor, index, store)
    assert found[0].text == ' = [ "query", "results" ]' == " " + expected.strip()
    assert found[0].source == "index"


def test_static_values_in_order_of_use_with_the_types_the_views_pass(app):
    cursor, index, store, expected = cut_at(app, "app/javascript/controllers/search_controller.js", 6, "static values")
    found = index_candidates(cursor, index, store)[0].text.strip()
    assert found == expected.strip() == "= { delay: Number, url: String }"


def test_a_controller_files_connects_comment_names_its_own_identifier(app):
    cursor, index, store, expected = cut_at(
        app, "app/javascript/controllers/toggle_controller.js", 3, "data-controller"
    )
    assert best(cursor, index, store) == expected == '="toggle"'


def test_data_controller_is_the_controller_whose_targets_the_children_use(app):
    cursor, index, store, _expected = cut_at(app, "app/views/items/index.html.erb", 3, "data-controller")
    found = index_candidates(cursor, index, store)
    assert found[0].text.startswith('="search"')


def test_data_action_offers_the_enclosing_controllers_method_not_wired_yet(app):
    cursor, index, store, _expected = cut_at(app, "app/views/items/index.html.erb", 5, "data-action")
    texts = [c.text for c in index_candidates(cursor, index, store)]
    # submit is wired on the input above; clear is not. The button closes on its line: with a label
    assert texts[0] == _expected == '="search#clear">Clear</button>'


def test_turbo_stream_in_a_create_template_appends_the_record_to_its_container(app):
    cursor, index, store, expected = cut_at(app, "app/views/items/create.turbo_stream.erb", 1, "turbo_stream.")
    assert index_candidates(cursor, index, store)[0].text == expected == 'append "items", @item %>'
    cursor, index, store, expected = cut_at(app, "app/views/items/destroy.turbo_stream.erb", 1, "turbo_stream.")
    assert best(cursor, index, store) == expected == "remove @item %>"


def test_a_response_views_frame_has_the_id_of_the_frame_that_requested_it(app):
    cursor, index, store, expected = cut_at(app, "app/views/items/edit.html.erb", 3, "turbo_frame_tag")
    assert best(cursor, index, store) == expected == " dom_id(@item) do %>"
    cursor, index, store, expected = cut_at(app, "app/views/items/new.html.erb", 3, "turbo_frame_tag")
    assert best(cursor, index, store) == expected == ' "new_item" do %>'


# --- workspace retrieval ----------------------------------------------------------------------------


def test_retrieval_continues_the_same_line_start_from_the_same_file_first(app):
    cursor, _index, store, expected = cut_at(app, "app/controllers/items_controller.rb", 38, "respond_to")
    found = retrieve(store, cursor)
    assert found[0].text == expected == " do |format|"
    assert found[0].source == "retrieval"


def test_retrieval_never_reads_the_hole_from_disk_nor_from_an_old_buffer(app):
    """The disk copy still holds the line (the user deleted it in the buffer and is retyping it):
    retrieval reads the buffer for the cursor's own file, so the original is not offered."""
    rel = "app/views/items/create.turbo_stream.erb"
    index = index_app(app)  # indexed with the original line on disk
    store = LineStore()
    store.sync(index.files, lambda p: read_text(Path(p)), index.rel)
    unique = '<%= turbo_stream.update "new_item", partial: "items/form", locals: { item: Item.new } %>'
    buffer = (app / rel).read_text().replace(unique, "<%= turbo_stream.upd")
    prefix = buffer[: buffer.index("<%= turbo_stream.upd") + len("<%= turbo_stream.upd")]
    cursor = Cursor(rel, prefix, buffer[len(prefix) :])
    assert all("new_item" not in c.text for c in retrieve(store, cursor))


def test_curated_lines_answer_only_where_the_app_has_no_such_line(tmp_path):
    store = LineStore()
    folder = tmp_path / "curated" / "app" / "controllers"
    folder.mkdir(parents=True)
    (folder / "posts_controller.rb").write_text("  respond_to do |format|\n    format.turbo_stream do\n")
    add_curated(store, [tmp_path / "curated"])
    cursor = Cursor("app/controllers/a_controller.rb", "    respond_to", "\n")
    assert retrieve(store, cursor)[0].text == " do |format|"
    store.set_file("app/controllers/b_controller.rb", "    respond_to :html, :json\n")
    assert retrieve(store, cursor)[0].text == " :html, :json"


# --- ranking ----------------------------------------------------------------------------------------


def test_agreement_between_sources_lifts_a_candidate_over_a_stronger_single_one():
    ranked = rank(
        [
            Candidate('="dialog#close">Cancel</button>', "retrieval", 0.5),
            Candidate('="dialog#close"', "index", 0.3),
            Candidate('="menu#open">', "retrieval", 0.7),
        ]
    )
    assert ranked[0].text == '="dialog#close">Cancel</button>'
    assert "index" in ranked[0].support


def test_the_model_is_asked_only_when_no_cheap_candidate_is_confident():
    assert confident(rank([Candidate(" do |format|", "retrieval", 0.9)]))
    assert not confident(rank([Candidate(" do |format|", "retrieval", 0.1)]))
    assert not confident(rank([Candidate("x", "model", 1.0)]))
    assert not confident([])


# --- veto -------------------------------------------------------------------------------------------


def test_veto_drops_repeats_restarts_and_language_switches():
    erb = Cursor("app/views/a.html.erb", "<%= turbo_frame_tag ", " %>\n<% end %>\n")
    assert why_not("%>", erb) == "repeats the text after the cursor"
    assert why_not('<%= turbo_frame_tag "x" do %>', erb) is not None
    js = Cursor("app/javascript/controllers/a_controller.js", "  connect() {\n    this.", "\n  }\n")
    assert why_not("element.innerHTML = '<%= x %>'", js) == "ERB in a non-ERB file"
    assert why_not("element.hidden = true", js) is None
    assert why_not("<" * 48, erb) == "a loop, not code"
    assert why_not('replace "list" %>))))))))))', erb) == "a loop, not code"
    assert why_not("abababababababababab", js) == "a loop, not code"
    assert why_not("// ---------------------------------", js) != "a loop, not code"  # a rule line is code people write
    assert why_not('"=" * 40, 1_000_000_000', js) != "a loop, not code"


def test_veto_drops_a_suggestion_that_gives_the_line_an_error_finding():
    cursor = Cursor(
        "app/views/items/show.html.erb",
        '<div data-controller="search">\n  <button data-action',
        ">Go</button>\n</div>\n",
    )
    good = Candidate('="search#submit"', "retrieval", 0.9)
    broken = Candidate('="search#"', "retrieval", 0.95)  # a descriptor Stimulus cannot parse
    assert [c.text for c in allowed([broken, good], cursor)] == ['="search#submit"']


def test_veto_checks_the_line_without_a_suggestion_only_when_one_has_an_error(monkeypatch):
    """The rules run once per candidate; the window without any only when a candidate's has an error (an error
    the line already had is no reason to hide a suggestion)."""
    from hotwire_assist.server.engine import veto

    windows: list[str] = []
    real = veto._error_rules
    monkeypatch.setattr(veto, "_error_rules", lambda path, text, *a: windows.append(text) or real(path, text, *a))
    cursor = Cursor(
        "app/views/items/show.html.erb", '<div data-controller="search">\n  <button data-action', ">Go</button>"
    )
    good = [Candidate('="search#submit"', "retrieval", 0.9), Candidate('="search#reset"', "retrieval", 0.8)]
    assert len(allowed(good, cursor)) == 2 and len(windows) == 2
    windows.clear()
    broken = Candidate('="search#"', "retrieval", 0.95)
    assert [c.text for c in allowed([broken, *good], cursor)] == ['="search#submit"', '="search#reset"']
    assert len(windows) == 4  # three candidates, and the line without one once
    already = Cursor("app/views/items/show.html.erb", '<div data-controller="search">\n  <a data-action="x#"', ">")
    assert allowed([Candidate(' data-turbo="false"', "retrieval", 0.9)], already)  # the error was there before


# --- completion items (#17) -------------------------------------------------------------------------


def test_frame_id_items_after_a_space_or_a_colon_include_helper_frames_and_no_keywords(app):
    from hotwire_assist.server.hotwire_completions import index_completions

    index = index_app(app)
    spaced = index_completions("<%= turbo_frame_tag ", index)
    assert [(i.label, i.insert) for i in spaced.items] == [
        ("item_details", '"item_details"'),  # defined in app/helpers/items_helper.rb
        ("new_item", '"new_item"'),
    ]
    assert [i.label for i in index_completions("<%= turbo_frame_tag :it", index).items] == ["item_details", "new_item"]
    assert index_completions("<%= turbo_frame_tag :it", index).word == "it"
    quoted = [i.label for i in index_completions('<%= turbo_frame_tag "', index).items]
    assert "_top" not in quoted and "_self" not in quoted
    assert "_top" in [i.label for i in index_completions('<a data-turbo-frame="', index).items]
