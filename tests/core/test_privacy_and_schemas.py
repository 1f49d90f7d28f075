import json

import pytest

from hotwire_assist.core.privacy import is_excluded
from hotwire_assist.core.schemas import DatasetError, Example, read_examples


@pytest.mark.parametrize(
    "path", [".env", ".env.production", "config/credentials.yml.enc", "config/master.key", "certs/server.pem"]
)
def test_secret_files_never_reach_a_model(tmp_path, path):
    assert is_excluded(tmp_path / path, tmp_path)


def test_gitignored_and_user_globs_are_excluded(tmp_path):
    (tmp_path / ".gitignore").write_text("/tmp/\n*.log\n")
    assert is_excluded(tmp_path / "tmp" / "cache.rb", tmp_path)
    assert is_excluded(tmp_path / "log" / "dev.log", tmp_path)
    assert is_excluded(tmp_path / "app" / "secret_sauce.rb", tmp_path, ["app/secret_*"])
    assert not is_excluded(tmp_path / "app" / "views" / "x.html.erb", tmp_path)


def test_example_kinds_are_validated():
    Example(id="1", kind="fim", path="a.rb", prefix="a", middle="b", suffix="", category="c", source="s", license="MIT")
    with pytest.raises(ValueError, match="needs 'path'"):
        Example(id="1", kind="fim", category="c", source="s", license="MIT")
    with pytest.raises(ValueError, match="non-empty 'input'"):
        Example(id="1", kind="instruction", category="c", source="s", license="MIT")


def test_corrupt_dataset_line_names_file_and_line(tmp_path):
    good = Example(
        id="1",
        kind="instruction",
        input="Add a frame",
        output=[{"path": "a.erb", "content": "x"}],
        category="frames",
        source="curated",
        license="MIT",
    )
    f = tmp_path / "d.jsonl"
    f.write_text(good.model_dump_json() + "\n" + json.dumps({"id": "2"}) + "\n")
    with pytest.raises(DatasetError, match=r"d.jsonl:2"):
        list(read_examples(f))


def test_skipping_bad_lines_reports_each_one_and_keeps_the_good(tmp_path):
    good = Example(
        id="1", kind="fim", path="a.erb", prefix="<", middle="p", suffix=">", category="x", source="s", license="MIT"
    )
    f = tmp_path / "d.jsonl"
    f.write_text(f"{good.model_dump_json()}\n{{not json\n{json.dumps({'id': '2', 'kind': 'fim'})}\n")
    problems: list[str] = []
    assert [e.id for e in read_examples(f, skip_bad=True, problems=problems)] == ["1"]
    assert len(problems) == 2
    assert problems[0].endswith(
        "d.jsonl:2: not JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"
    )
    assert problems[1].startswith(f"{f}:3: ") and "category" in problems[1]
