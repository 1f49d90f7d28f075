import pytest

from hotwire_assist.core.prompt import FAMILIES, Snippet, fim_prompt, fim_training_text, fit_window, get_family


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("qwen2.5-coder", "<|file_sep|>a.rb\n<|fim_prefix|>def x<|fim_suffix|>\nend<|fim_middle|>"),
        ("starcoder2", "<file_sep>a.rb\n<fim_prefix>def x<fim_suffix>\nend<fim_middle>"),
        ("deepseek-coder", "# a.rb\n<｜fim▁begin｜>def x<｜fim▁hole｜>\nend<｜fim▁end｜>"),
        ("codellama", "# a.rb\n<PRE> def x <SUF>\nend <MID>"),
        ("hotwire-tiny", "<file_sep>a.rb\n<fim_prefix>def x<fim_suffix>\nend<fim_middle>"),
    ],
)
def test_fim_formats_of_real_families(family, expected):
    assert fim_prompt(get_family(family), "def x", "\nend", "a.rb") == expected


def test_context_files_come_first_with_their_paths():
    fam = get_family("qwen2.5-coder")
    prompt = fim_prompt(fam, "a", "b", "app/views/x.erb", [Snippet("app/models/post.rb", "class Post\nend\n")])
    assert prompt.startswith("<|file_sep|>app/models/post.rb\nclass Post\nend\n<|file_sep|>app/views/x.erb\n")


def test_training_text_is_the_prompt_plus_the_middle_and_eos():
    fam = get_family("hotwire-tiny")
    prompt, target = fim_training_text(fam, "<%= turbo_stream.", 'append "todos"', " %>\n", "x.erb")
    assert prompt == fim_prompt(fam, "<%= turbo_stream.", " %>\n", "x.erb")
    assert target == 'append "todos"<|endoftext|>'


def test_window_keeps_text_nearest_the_cursor_on_line_boundaries():
    prefix = "".join(f"line {i}\n" for i in range(1000)) + "cur"
    suffix = "sor\n" + "".join(f"after {i}\n" for i in range(1000))
    p, s = fit_window(prefix, suffix, 400)
    assert p.endswith("line 999\ncur") and p.startswith("line ")
    assert s.startswith("sor\nafter 0\n") and s.endswith("\n")
    assert len(p) + len(s) <= 400


def test_unknown_family_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"qwen2\.5-coder"):
        get_family("gpt-5")


def test_every_family_stops_on_its_eos_and_fim_tokens():
    for fam in FAMILIES.values():
        assert fam.eos in fam.stop and fam.fim_prefix in fam.stop
