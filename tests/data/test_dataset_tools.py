"""`data validate / report / mine` and the curated set itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import SAMPLE_APP
from typer.testing import CliRunner

from hotwire_assist.cli.data import data_app
from hotwire_assist.core.schemas import CATEGORIES, Example, read_examples, read_pairs, write_examples
from hotwire_assist.training.dataset import OTHER, curated_files, curated_pairs, mine, report

runner = CliRunner()


def _example(id: str, content: str, category: str = "turbo-frames/navigation") -> Example:
    return Example(
        id=id,
        kind="instruction",
        input="Show the card in a frame",
        output=[{"path": "app/views/cards/_card.html.erb", "content": content}],
        category=category,
        source="test",
        license="MIT",
    )


GOOD = "<%= turbo_frame_tag dom_id(card) do %>\n  <%= link_to card.title, card_path(card) %>\n<% end %>\n"
UNSAFE = "<div>\n  <%= raw params[:body] %>\n</div>\n"


def test_the_curated_set_has_300_examples_over_every_category_and_valid_pairs():
    examples = [ex for p in curated_files() for ex in read_examples(p)]
    assert len(examples) >= 300
    counts = {c: sum(ex.category == c for ex in examples) for c in CATEGORIES}
    assert all(n >= 15 for n in counts.values()), counts
    assert all(ex.source == "curated" and ex.license for ex in examples)
    pairs = list(read_pairs(curated_pairs()))
    assert len(pairs) >= 40 and {p.category.split("/")[0] for p in pairs} == {c.split("/")[0] for c in CATEGORIES}


def test_report_json_has_totals_balance_and_coverage(tmp_path):
    data = tmp_path / "d.jsonl"
    write_examples(data, [_example("a", GOOD), _example("b", GOOD + "\n"), _example("c", UNSAFE, "advanced/security")])
    result = runner.invoke(data_app, ["report", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    r = json.loads(result.stdout)
    assert r["total"] == 3
    assert r["by_category"] == {"advanced/security": 1, "turbo-frames/navigation": 2}
    assert "stimulus/values" in r["missing_categories"]
    assert r["near_duplicates"] == [["b", "a"]]
    assert r["client_js_share"] == 0.0 and r["security_coverage"] == round(1 / 3, 3)


def test_validate_flags_findings_duplicates_and_bad_lines_and_exits_1(tmp_path):
    data = tmp_path / "d.jsonl"
    write_examples(data, [_example("a", GOOD), _example("c", UNSAFE)])
    result = runner.invoke(data_app, ["validate", str(data), "--no-external", "--format", "json"])
    r = json.loads(result.stdout)
    assert result.exit_code == 1 and r["errors"] >= 1
    assert any("security/" in f for f in r["findings"]["c"])
    write_examples(data, [_example("a", GOOD)])
    data.write_text(data.read_text() + '{"id": "x"}\n')
    result = runner.invoke(data_app, ["validate", str(data), "--no-external", "--format", "json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["bad_lines"][0].startswith(f"{data}:2: ")
    write_examples(data, [_example("a", GOOD)])
    assert runner.invoke(data_app, ["validate", str(data), "--no-external"]).exit_code == 0


def test_mine_keeps_rules_clean_files_with_provenance_and_drops_duplicates(tmp_path):
    app = tmp_path / "shop"
    subprocess.run(["cp", "-r", str(SAMPLE_APP), str(app)], check=True)
    (app / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge...\n")
    bad = app / "app" / "views" / "todos" / "_unsafe.html.erb"
    bad.write_text(UNSAFE)
    copy = app / "app" / "views" / "todos" / "_copy.html.erb"
    partial = next((app / "app" / "views" / "todos").glob("_todo.html.erb"))
    copy.write_text(partial.read_text())
    subprocess.run(["git", "init", "-q", str(app)], check=True)

    result = mine(app, holes_per_file=2)
    rel = {ex.path for ex in result.examples}
    assert "app/views/todos/_unsafe.html.erb" in result.files_rejected
    assert "app/views/todos/_unsafe.html.erb" not in rel
    assert result.duplicates >= 1 and not (
        {"app/views/todos/_copy.html.erb", partial.relative_to(app).as_posix()} <= rel
    )
    assert any(p.startswith("app/javascript/") for p in rel) and any(p.startswith("app/controllers/") for p in rel)
    for ex in result.examples:
        assert ex.kind == "fim" and ex.prefix + ex.middle + ex.suffix == (app / ex.path).read_text()
        assert ex.license == "MIT" and ex.source == f"mined:shop@unknown:{ex.path}"
        assert ex.category in (*CATEGORIES, OTHER)

    out = tmp_path / "mined.jsonl"
    cli = runner.invoke(data_app, ["mine", str(app), "--out", str(out), "--against", str(out.with_name("none.jsonl"))])
    assert cli.exit_code == 2  # a missing --against file is named, not ignored
    curated = tmp_path / "curated.jsonl"
    write_examples(curated, [_example("k", partial.read_text())])
    cli = runner.invoke(data_app, ["mine", str(app), "--out", str(out), "--against", str(curated)])
    assert cli.exit_code == 0, cli.output
    mined = list(read_examples(out))
    assert mined and all(
        ex.path not in {"app/views/todos/_copy.html.erb", partial.relative_to(app).as_posix()} for ex in mined
    )


def test_report_on_the_curated_set_covers_every_category():
    r = report(curated_files())
    assert r["total"] >= 300 and not r["missing_categories"] and not r["bad_lines"]
    assert r["client_js_share"] < 0.5  # server-side first: most taught code is ERB/Ruby
    assert Path(curated_pairs()).is_file()


def test_a_repeated_id_is_reported_as_a_duplicate_not_a_crash(tmp_path):
    data = tmp_path / "d.jsonl"
    write_examples(data, [_example("a", GOOD), _example("a", UNSAFE)])
    assert report([data])["near_duplicates"] == [["a", "a"]]
