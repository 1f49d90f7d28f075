"""No planted secret survives any path user text takes out of the editor (issue #16).

The corpus (tests/privacy/planted.py) is a realistic Rails app with ≥ 60 fake secrets in ≥ 30 files,
generated at test time, plus never-capture files. Each path is exercised the way the product uses it:
`telemetry redact`, the recorder writing the store (cursor inside every secret), an export bundle,
a bug report, ingestion of an old unredacted bundle, the app index, the miner and training's sources.
"""

from __future__ import annotations

import difflib
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotwire_assist.cli.telemetry import telemetry_app
from hotwire_assist.core.config import Config
from hotwire_assist.core.privacy import excluded_by, read_gated, redact
from hotwire_assist.core.request import build_request
from hotwire_assist.core.schemas import TelemetryEvent
from hotwire_assist.core.telemetry import TelemetryStore, read_bundle, write_bundle
from privacy.planted import Planted, build

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Planted:
    return build(tmp_path_factory.mktemp("shop"))


def _leaks(text: str, corpus: Planted) -> list[str]:
    """Planted values (and either half of a long one) found in `text`."""
    out = []
    for value in corpus.every_value():
        pieces = [value] + ([value[: len(value) // 2], value[len(value) // 2 :]] if len(value) >= 24 else [])
        if any(p in text for p in pieces):
            out.append(value)
    return out


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """Every file opened through Path.read_text / read_bytes while the test runs."""
    seen: list[Path] = []
    read_text, read_bytes = Path.read_text, Path.read_bytes

    def spy_text(self, *a, **k):
        seen.append(Path(self).absolute())
        return read_text(self, *a, **k)

    def spy_bytes(self, *a, **k):
        seen.append(Path(self).absolute())
        return read_bytes(self, *a, **k)

    monkeypatch.setattr(Path, "read_text", spy_text)
    monkeypatch.setattr(Path, "read_bytes", spy_bytes)
    return seen


def test_the_corpus_covers_every_shape(corpus):
    secrets = corpus.all_secrets()
    assert len({p for p, _, _ in secrets}) >= 30 and len(secrets) >= 60
    shapes = {s for _, s, _ in secrets}
    for shape in (
        "aws-secret-argument",
        "aws-secret-yaml",
        "aws-secret-ci",
        "github-fine-grained",
        "stripe",
        "slack-bot",
        "twilio-api-key",
        "jwt",
        "private-key",
        "url-password",
        "secret-key-base",
        "master-key-compose",
        "compose-password",
        "kamal-password",
        "google-key-script-src",
        "query-api-key",
        "bearer-header",
        "shopify-access-token",
        "twilio-auth-token-argument",
    ):
        assert shape in shapes
    assert len(corpus.never) >= 15


def test_telemetry_redact_leaves_no_secret_and_keeps_ordinary_lines(corpus, capsys):
    kept = ordinary = 0
    false_redactions = []
    for rel, text in corpus.files.items():
        result = runner.invoke(telemetry_app, ["redact", str(corpus.root / rel)])
        assert result.exit_code == 0, (rel, result.stderr)
        out = result.stdout
        assert not _leaks(out, corpus), (rel, _leaks(out, corpus))
        values = [v for _, v in corpus.secrets.get(rel, [])]
        before, after = text.splitlines(), out.splitlines()
        plain = [i for i, line in enumerate(before) if not any(v in line or line.strip() in v for v in values)]
        same = set()
        for block in difflib.SequenceMatcher(None, before, after, autojunk=False).get_matching_blocks():
            same.update(range(block.a, block.a + block.size))
        ordinary += len(plain)
        kept += sum(1 for i in plain if i in same)
        false_redactions += [f"{rel}: {before[i].strip()}" for i in plain if i not in same and "-----" not in before[i]]
    with capsys.disabled():
        print(f"\nordinary lines kept: {kept}/{ordinary}; false redactions: {false_redactions}")
    assert kept / ordinary >= 0.95


def test_never_capture_files_are_refused_unread(corpus, reads):
    for rel in corpus.never:
        path = corpus.root / rel
        result = runner.invoke(telemetry_app, ["redact", str(path)])
        assert result.exit_code == 3, rel
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert (
            len(lines) == 1
            and "refused" in lines[0]
            and str(excluded_by(path, corpus.root, corpus.user_globs)) in lines[0]
        )
    assert not {
        p for p in reads if p.is_relative_to(corpus.root) and p.relative_to(corpus.root).as_posix() in corpus.never
    }


def test_the_gate_names_the_rule(corpus):
    root = corpus.root
    assert excluded_by(root / ".kamal/secrets").rule == ".kamal/secrets*"
    assert excluded_by(root / "config/credentials.yml.enc").rule == "config/credentials*"
    assert excluded_by(root / "spec/fixtures/vcr_cassettes/shopify_orders.yml").source == "never-capture list"
    nested = excluded_by(root / "vendor/engines/billing/notes.txt")
    assert nested is not None and nested.source == "vendor/engines/billing/.gitignore"
    assert excluded_by(root / "notes/private.md").source == ".git/info/exclude"
    assert excluded_by(root / "tmp/dump.rb").source == ".gitignore"
    assert excluded_by(root / "app/secret_sauce/pricing.rb", root, corpus.user_globs).source == "[privacy] exclude"
    assert excluded_by(root / "config/storage.yml") is None and excluded_by(root / "app/models/user.rb") is None


def _fim_events(corpus: Planted) -> list[TelemetryEvent]:
    """Events whose code is cut inside every planted secret (what an old, unredacting version stored)."""
    events = []
    n = 0
    # files excluded by .gitignore or user globs are kept out at capture time (the recorder knows the
    # workspace); a bundle carries only the never-capture list's names
    never = {rel: text for rel, text in corpus.never.items() if excluded_by(rel)}
    for rel, text in {**corpus.files, **never}.items():
        values = [v for _, v in corpus.secrets.get(rel, [])] or [t for t in corpus.never_secrets if t in text]
        for value in values:
            at = text.find(value) + len(value) // 2
            n += 1
            base = {"suggestion_id": f"s{n}", "path": rel, "language": "ruby"}
            code = {"prefix": text[:at], "suggestion": text[at : at + 12], "suffix": text[at + 12 :]}
            for kind, ts, extra in (("shown", 1.0, {}), ("rejected", 2.0, {})):
                events.append(TelemetryEvent(kind=kind, ts=ts, **base, **code, **extra))
            n += 1
            base = {**base, "suggestion_id": f"s{n}"}
            events.append(TelemetryEvent(kind="accepted", ts=1.0, **base, **code))
            events.append(
                TelemetryEvent(
                    kind="survival", ts=40.0, age_s=30.0, survival=1.0, surviving=code["suggestion"], **base, **code
                )
            )
    return events


def test_the_recorder_and_the_store_keep_no_secret(corpus, tmp_path):
    from hotwire_assist.server.completion import Suggestion
    from hotwire_assist.server.telemetry import TelemetryRecorder

    now = [1000.0]
    config = Config.model_validate({"telemetry": {"enabled": True, "level": "code"}})
    store_path = tmp_path / "t.db"
    rec = TelemetryRecorder(config, lambda: TelemetryStore(store_path), clock=lambda: now[0], workspace=corpus.root)
    n = 0
    for rel, text in {**corpus.files, **corpus.never}.items():
        values = [v for _, v in corpus.secrets.get(rel, [])] or [t for t in corpus.never_secrets if t in text]
        for value in values:
            at = text.find(value) + len(value) // 2
            n += 1
            uri = f"file://{corpus.root / rel}"
            s = Suggestion(f"s{n}", text[at : at + 12], latency_ms=5.0)
            rec.shown(s, uri, str(corpus.root / rel), text[:at], text[at + 12 :])
            rec.on_change(uri, text)
            rec.accepted(s.id)
            now[0] += 31
            rec.tick()
    rec.flush()
    rec.close()
    with TelemetryStore(store_path) as store:
        events = store.events()
    assert len(events) >= 2 * 60 and any(e.prefix for e in events) and any(e.kind == "survival" for e in events)
    dump = "\n".join(e.model_dump_json() for e in events)
    assert not _leaks(dump, corpus)
    assert not any(e.prefix for e in events if e.path and excluded_by(corpus.root / e.path))


def test_the_store_bundle_and_ingestion_redact_what_an_old_version_stored(corpus, tmp_path):
    from hotwire_assist.training.ingest import ingest

    raw = _fim_events(corpus)
    assert _leaks("\n".join(e.model_dump_json() for e in raw), corpus)  # the input really holds them
    with TelemetryStore(tmp_path / "t.db") as store:
        store.record_many(raw)
        stored = store.events()
    assert not _leaks("\n".join(e.model_dump_json() for e in stored), corpus)
    bundle = tmp_path / "old.jsonl"
    write_bundle(bundle, raw, "dev1")
    assert not _leaks(bundle.read_text(), corpus)
    _, events = read_bundle(bundle)
    assert len(events) == len(raw)
    # a bundle written by an older version, with the secrets in it, ingested today
    old = tmp_path / "older.jsonl"
    old.write_text("".join(e.model_dump_json() + "\n" for e in raw))
    _, old_events = read_bundle(old)
    result = ingest([("dev1", old_events)], max_share=1.0)
    assert result.pairs, result.skipped
    records = "\n".join(r.model_dump_json() for r in [*result.examples, *result.pairs])
    assert not _leaks(records, corpus)


def test_the_bug_report_keeps_no_secret(corpus, tmp_path):
    from hotwire_assist.cli.bugreport import write_bug_report

    # a report holds the log's last lines: one report per slice of the corpus, all of it covered
    chunks: list[list[str]] = [[]]
    for rel, text in corpus.files.items():
        if sum(t.count("\n") + 1 for t in chunks[-1]) + text.count("\n") > 350:
            chunks.append([])
        chunks[-1].append(f"2026-12-07 10:00:00,000 DEBUG hotwire_assist.server: prompt for {rel}:\n{text}")
    for i, chunk in enumerate(chunks):
        log = tmp_path / f"server{i}.log"
        log.write_text("".join(chunk))
        out = write_bug_report(tmp_path / f"report{i}.zip", corpus.root, log)
        with zipfile.ZipFile(out) as z:
            texts = "\n".join(z.read(n).decode() for n in z.namelist())
        assert chunk[0].splitlines()[0] in texts
        assert not _leaks(texts, corpus)
    assert len(chunks) >= 2


def test_the_index_miner_and_training_sources_never_read_excluded_files(corpus, reads):
    from hotwire_assist.core.appindex import iter_app_files
    from hotwire_assist.training.corpus import load_sources
    from hotwire_assist.training.dataset import mine

    never = {corpus.root / rel for rel in corpus.never}
    listed = set(iter_app_files(corpus.root))
    assert not listed & never and corpus.root / "app/models/user.rb" in listed
    result = mine(corpus.root, holes_per_file=2)
    assert result.files_seen > 0
    sources = load_sources(corpus.root)
    assert "app/secret_sauce/pricing.rb" not in {s.path for s in sources}
    texts = [s.text for s in sources] + [e.prefix + e.middle + e.suffix for e in result.examples]
    assert not _leaks("\n".join(texts), corpus)
    assert not [p for p in reads if p in never]
    assert corpus.root / "app/secret_sauce/pricing.rb" not in reads  # the miner honours [privacy] exclude


def test_read_gated_never_opens_an_excluded_file(corpus):
    opened = []

    def read(p: Path) -> str:
        opened.append(p)
        return p.read_text()

    assert read_gated(corpus.root / ".env", corpus.root, (), read) is None
    assert read_gated(corpus.root / "app/secret_sauce/pricing.rb", corpus.root, corpus.user_globs, read) is None
    assert opened == []
    text = read_gated(corpus.root / "config/storage.yml", corpus.root, (), read)
    assert text and "[REDACTED:aws-secret]" in text and "secret_access_key: " in text


@pytest.mark.parametrize(
    ("line", "name", "expected"),
    [
        ("  secret_access_key: {aws}", "config/storage.yml", "  secret_access_key: [REDACTED:aws-secret]"),
        (
            'Aws::Credentials.new("{id}", "{aws}")',
            "config/initializers/aws.rb",
            'Aws::Credentials.new("[REDACTED:aws-access-key-id]", "[REDACTED:aws-secret]")',
        ),
        ("      POSTGRES_PASSWORD: {pw}", "docker-compose.yml", "      POSTGRES_PASSWORD: [REDACTED:password]"),
        ("SMTP_PASSWORD={pw}", "config/smtp.env", "SMTP_PASSWORD=[REDACTED:password]"),
        ("export SMTP_PASSWORD={pw}", "bin/setup", "export SMTP_PASSWORD=[REDACTED:password]"),
        (
            '<script src="https://maps.googleapis.com/maps/api/js?key={gkey}"></script>',
            "app/views/layouts/application.html.erb",
            '<script src="https://maps.googleapis.com/maps/api/js?key=[REDACTED:google-api-key]"></script>',
        ),
        (
            '"Authorization" => "Bearer {pw}"',
            "app/services/api.rb",
            '"Authorization" => "Bearer [REDACTED:auth-header]"',
        ),
        (
            "  url: redis://u:{pw}@redis:6379/1",
            "config/cable.yml",
            "  url: redis://u:[REDACTED:url-password]@redis:6379/1",
        ),
    ],
)
def test_only_the_value_is_replaced_by_a_typed_marker(line, name, expected):
    import random

    rng = random.Random(7)
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    values = {
        "aws": "".join(rng.choice(alnum) for _ in range(38)) + "a1",
        "id": "AK" + "IA" + "".join(rng.choice("ABCDEFGHIJ0123456789") for _ in range(16)),
        "pw": "".join(rng.choice(alnum) for _ in range(18)) + "x9",
        "gkey": "AI" + "za" + "".join(rng.choice(alnum) for _ in range(35)),
    }
    out = redact(line.format(**values), name)
    assert out == expected
    assert redact(out, name) == out  # idempotent: a marker is never redacted again


def test_ordinary_shapes_stay():
    lines = [
        'get "/orders/3f2504e0-4f89-41d3-9a0c-0305e82c3301", to: "orders#show"',
        '<link rel="stylesheet" href="/assets/app-5d41402abc4b2a76b9719d911017c592d0d6a8a0e93a4b1e2f6c7d8e9f.css">',
        'pin "trix", integrity: "sha384-Zz7GoTqJ8jW7oFbmNbbaRn9Ld0cOyaR1ceQhdHmvnFv2uS5Ox6yLdsQxr0iJuW2R"',
        '  password: "password"',
        '  password_digest: <%= BCrypt::Password.create("secret") %>',
        "user = User.authenticate_by(email: params[:email], password: params[:password])",
        'token = ENV.fetch("API_TOKEN")',
        'belongs_to :account, foreign_key: "account_uuid", primary_key: "uuid"',
        '<input type="password" name="user[password]" autocomplete="new-password">',
        "include Authentication, Authorization, BlockBannedRequests",
        'data-password-visibility-target="passwordField"',
        "  password: <%= ENV['DATABASE_PASSWORD'] %>",
        "    - KAMAL_REGISTRY_PASSWORD",
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    ]
    for line in lines:
        for name in ("app/models/x.rb", "config/database.yml", None):
            assert redact(line, name) == line, (line, name)


async def test_no_secret_reaches_a_prompt(corpus):
    """The completion engine's prompt (document window, cursor inside a secret) and the related-file
    context the server adds: redacted, and no never-capture file in it."""
    import threading

    from hotwire_assist.core.appindex import index_app
    from hotwire_assist.core.context import ContextCache
    from hotwire_assist.server.app import HotwireServer
    from hotwire_assist.server.completion import CompletionEngine

    class Recording:
        name = model_id = "recording"

        def __init__(self) -> None:
            self.prompts: list[str] = []

        def generate(self, prompt, params, cancel: threading.Event):
            self.prompts.append(prompt)
            yield "x"

        def close(self) -> None:
            pass

    server = HotwireServer()
    server.root, server.index = corpus.root, index_app(corpus.root)
    server.context = ContextCache(None, 1500)
    config = Config()
    config.completion.debounce_ms = 0
    backend = Recording()
    engine = CompletionEngine(config, backend)
    engine.context_provider = server.prompt_context
    try:
        for rel, text in corpus.files.items():
            for _, value in corpus.secrets.get(rel, [])[:2]:
                at = text.find(value) + len(value) // 2
                await engine.complete(f"doc:{rel}:{at}", build_request(rel, text, at, corpus.root))
    finally:
        engine.close()
    assert len(backend.prompts) >= 40  # a few are served from the type-ahead cache
    assert not _leaks("\n".join(backend.prompts), corpus)
    assert "config/database.yml" in "\n".join(backend.prompts)


def test_redact_from_stdin_uses_the_name_and_refuses_a_never_capture_name():
    pw = "Zq" + "7".join(["kd", "Pw", "Lm", "Xr", "Tn"])
    result = runner.invoke(telemetry_app, ["redact", "-", "--name", "config/smtp.env"], input=f"SMTP_PASSWORD={pw}\n")
    assert result.exit_code == 0 and result.stdout == "SMTP_PASSWORD=[REDACTED:password]\n"
    result = runner.invoke(telemetry_app, ["redact", "-", "--name", ".env.production"], input=f"X={pw}\n")
    assert result.exit_code == 3 and result.stdout == "" and "`.env*`" in result.stderr


async def test_a_suggestion_holding_a_redaction_marker_is_never_shown():
    import threading

    from hotwire_assist.server.completion import CompletionEngine

    class Echo:
        name = model_id = "echo"

        def generate(self, prompt, params, cancel: threading.Event):
            yield "[REDACTED:password]"

        def close(self) -> None:
            pass

    config = Config()
    config.completion.debounce_ms = 0
    engine = CompletionEngine(config, Echo())
    try:
        request = build_request("config/database.yml", "  password: \n", 12, None)
        assert await engine.complete("doc", request) is None
    finally:
        engine.close()
