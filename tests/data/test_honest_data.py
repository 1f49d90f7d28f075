"""Issue 19's data honesty: held-out split by file, content categories, non-trivial holes, siblings, pairs."""

from __future__ import annotations

import json
import random
import subprocess

from conftest import SAMPLE_APP
from typer.testing import CliRunner

from hotwire_assist.cli.data import data_app
from hotwire_assist.core.schemas import Example, PreferencePair, write_examples
from hotwire_assist.training.corpus import (
    held_out_key,
    load_sources,
    random_hole,
    record_held_out,
    starter_corpus_dir,
    trivial_hole,
)
from hotwire_assist.training.dataset import (
    OTHER,
    curated_pairs,
    duplicates,
    infer_category,
    is_pairs_file,
    validate,
)

runner = CliRunner()


def _mined(app: str, path: str, n: int, text: str, commit: str = "abc123") -> Example:
    start = (n * 7) % max(1, len(text) - 10)
    return Example(
        id=f"mined:{app}@{commit}:{path}#{n}",
        kind="fim",
        path=path,
        prefix=text[:start],
        middle=text[start : start + 8],
        suffix=text[start + 8 :],
        category=OTHER,
        source=f"mined:{app}@{commit}:{path}",
        license="MIT",
    )


def test_every_hole_of_a_file_falls_on_one_side_of_the_split():
    sources = load_sources(starter_corpus_dir())
    examples = [_mined(app, s.path, n, s.text) for app in ("blog", "shop") for s in sources for n in range(3)]
    held = {held_out_key(ex) for ex in examples if record_held_out(ex)}
    trained = {held_out_key(ex) for ex in examples if not record_held_out(ex)}
    assert held and trained  # both sides exist
    assert held & trained == set()  # 0 held-out files that also appear in training
    # the key is the file (app + path), not the commit: a re-mine keeps the split
    ex = examples[0]
    again = _mined("blog", ex.path, 9, ex.prefix + ex.middle + ex.suffix, commit="def456")
    assert held_out_key(again) == held_out_key(ex)
    # keyed per app: the same path in two apps is two files
    blog, shop = (_mined(app, "app/x.rb", 0, "x" * 40) for app in ("blog", "shop"))
    assert held_out_key(blog) != held_out_key(shop)


def test_holes_are_whole_expressions_lines_or_blocks_never_closers():
    rng = random.Random(7)
    holes = []
    for src in load_sources(starter_corpus_dir()):
        for _ in range(6):
            prefix, middle, suffix = random_hole(src.text, rng)
            assert prefix + middle + suffix == src.text
            if middle:
                holes.append((prefix, middle))
    assert len(holes) > 500
    assert all(len(m.strip()) >= 4 and not trivial_hole(m) for _, m in holes)
    assert not any(m.strip() in {"end", "}", "nd", "%>", "<% end %>", "});", "</div>"} for _, m in holes)
    # never mid-word: a hole starts at a line's indent or after a boundary character
    for prefix, _ in holes:
        if prefix and not prefix.endswith("\n"):
            assert prefix[-1] in " \t(=,:{[>|!" or prefix.rstrip(" \t").endswith("\n") or prefix.strip() == ""
    lines = sum("\n" in m for _, m in holes)
    assert 0.1 < lines / len(holes) < 0.6  # some blocks, mostly single lines
    assert trivial_hole("  end") and trivial_hole("<% end %>") and trivial_hole("})") and not trivial_hole("end_at")


def test_categories_come_from_content_with_an_other_bucket():
    assert infer_category("app/models/user.rb", "class User < ApplicationRecord\n  has_many :posts\nend\n") == OTHER
    assert infer_category("app/javascript/helpers/format.js", "export function money(n) { return n }\n") == OTHER
    controller = 'import { Controller } from "@hotwired/stimulus"\nexport default class extends Controller {\n'
    assert infer_category("app/javascript/controllers/a_controller.js", controller + "  connect() {}\n}\n") == (
        "stimulus/lifecycle"
    )
    assert infer_category("app/javascript/controllers/b_controller.js", controller + ' static targets = ["x"]\n}') == (
        "stimulus/targets"
    )
    strong = "class PostsController < ApplicationController\n  def post_params\n    params.require(:post).permit(:t)\n"
    assert infer_category("app/controllers/posts_controller.rb", strong + "  end\nend\n") == "advanced/security"
    assert infer_category("app/models/post.rb", "class Post\n  belongs_to :user, counter_cache: true\nend\n") == (
        "advanced/performance"
    )
    assert infer_category("app/views/posts/show.html.erb", "<%= turbo_frame_tag @post do %>x<% end %>") == (
        "turbo-frames/navigation"
    )
    assert infer_category("app/views/posts/show.html.erb", "<h1><%= @post.title %></h1>\n") == OTHER


def test_sibling_holes_are_not_near_duplicates_but_copies_of_another_file_are():
    text = "".join(f"<p><%= post.field_{k} %> and some more words {k}</p>\n" for k in range(30))
    siblings = [_mined("blog", "app/views/posts/_post.html.erb", n, text) for n in range(4)]
    assert duplicates(siblings) == []
    copy = _mined("shop", "app/views/items/_item.html.erb", 0, text)
    copy = copy.model_copy(update={"prefix": siblings[0].prefix, "middle": siblings[0].middle})
    assert duplicates([*siblings, copy]) == [(copy.id, siblings[0].id)]


def _pair(id: str, chosen: str, rejected: str) -> PreferencePair:
    return PreferencePair(
        id=id,
        kind="fim",
        path="app/views/notes/_note.html.erb",
        prefix="<div>\n  ",
        suffix="\n</div>\n",
        chosen=chosen,
        rejected=rejected,
        category="advanced/security",
        source="test",
        license="MIT",
    )


def test_pairs_files_are_validated_with_their_own_schema(tmp_path):
    assert is_pairs_file(curated_pairs())
    curated = validate([curated_pairs()], external=False)
    assert curated.pairs >= 40 and not curated.bad_lines and curated.ok, curated.findings
    data = tmp_path / "mine.jsonl"
    write_examples(
        data, [_pair("a", "<%= note.body %>", "<%= raw note.body %>"), _pair("c", "<%= raw params[:x] %>", "y")]
    )
    identical = _pair("b", "<p>x</p>", "<p>y</p>").model_dump() | {"rejected": "<p>x</p>"}
    data.write_text(data.read_text() + json.dumps(identical) + "\n")
    assert is_pairs_file(data)
    result = runner.invoke(data_app, ["validate", str(data), "--no-external", "--format", "json"])
    r = json.loads(result.stdout)
    assert result.exit_code == 1 and r["pairs"] == 2 and r["examples"] == 0
    assert len(r["bad_lines"]) == 1 and "same text" in r["bad_lines"][0]  # the pair schema, not the example one
    assert "a:chosen" not in r["findings"]  # a rejected side is bad by its label: not an error of the file
    assert any("error security/" in f for f in r["findings"]["c:chosen"]) and r["errors"] >= 1


def test_the_miner_rejects_only_errors_and_the_cli_names_rejected_files_and_rules(tmp_path):
    app = tmp_path / "shop"
    subprocess.run(["cp", "-r", str(SAMPLE_APP), str(app)], check=True)
    (app / "app" / "views" / "todos" / "_unsafe.html.erb").write_text("<div>\n  <%= raw params[:body] %>\n</div>\n")
    out = tmp_path / "mined.jsonl"
    result = runner.invoke(data_app, ["mine", str(app), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rejected app/views/todos/_unsafe.html.erb: security/" in result.output
    mined = [json.loads(line) for line in out.read_text().splitlines()]
    assert mined and all(len(ex["middle"].strip()) >= 4 for ex in mined)
    assert all(ex["category"] != "advanced/security" or "permit" in ex["prefix"] + ex["suffix"] for ex in mined)
