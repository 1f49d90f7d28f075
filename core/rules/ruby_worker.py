"""The real Ruby syntax check: one long-lived `ruby` process speaking JSON lines.

Ruby and ActionView are slow to start (~0.2 s), so the editor keeps one worker and the CLI sends a
whole batch through it. ERB is compiled the way Rails does - ActionView's Erubi handler, then the
result wrapped in a method (so `yield` in layouts is legal) and compiled with
`RubyVM::InstructionSequence.compile` - which accepts `<%= form_with do %>` where `erb -x | ruby -c`
does not. Line numbers map back 1:1 (the wrapper adds one line above). Inside the method the template
sits in a `proc { }`: a stray `<% end %>` cannot close the method there, so it is reported on its own line
instead of at the end of the file (where the wrapper's own `end` became the unexpected one).
"""

from __future__ import annotations

import atexit
import re
import shutil
from dataclasses import dataclass

from hotwire_assist.core.rules.worker_process import JsonLinesWorker

SCRIPT = r"""
require "json"
$stdout.sync = true
$VERBOSE = nil
handler = nil
av = nil
head = "def __tpl(local_assigns, output_buffer); proc {\n"
tail = "\n}; end"
begin
  require "action_view"
  handler = ActionView::Template::Handlers::ERB::Erubi
  av = ActionView.version.to_s
rescue LoadError, StandardError
end
$stdout.puts({ ready: true, ruby: RUBY_VERSION, actionview: av }.to_json)
$stdin.each_line do |line|
  req = JSON.parse(line) rescue next
  res = { id: req["id"], errors: [] }
  path = req["path"] || "(source)"
  offset = 0
  begin
    src = req["source"].to_s.dup.force_encoding("UTF-8")
    if req["kind"] == "erubi"
      if handler.nil?
        res[:skipped] = "actionview not installed"
      else
        res[:source] = head + handler.new(src, trim: true).src + tail
      end
      $stdout.puts(res.to_json)
      next
    end
    if req["kind"] == "erb"
      if handler.nil?
        res[:skipped] = "actionview not installed"
        $stdout.puts(res.to_json)
        next
      end
      src = head + handler.new(src, trim: true).src + tail
      offset = 1
    end
    RubyVM::InstructionSequence.compile(src, path, path, 1)
  rescue SyntaxError => e
    e.message.each_line do |l|
      if (m = l.match(/:(\d+): (.*)$/))
        res[:errors] << { line: [m[1].to_i - offset, 1].max, message: m[2].strip }
      end
    end
    res[:errors] << { line: 1, message: e.message.lines.first.to_s.strip } if res[:errors].empty?
  rescue Exception => e
    res[:errors] << { line: 1, message: "#{e.class}: #{e.message}".lines.first.to_s.strip }
  end
  $stdout.puts(res.to_json)
end
"""


@dataclass
class RubyResult:
    errors: list[tuple[int, str]]
    skipped: str | None = None
    source: str | None = None  # kind "erubi": the Ruby source Rails' Erubi handler makes of a template


class RubyWorker(JsonLinesWorker):
    """A `ruby` child process checking sources one JSON line at a time (thread-safe, restarts on death)."""

    def __init__(self, ruby: str | None = None, timeout: float = 20.0):
        super().__init__(timeout)
        self.ruby = ruby or shutil.which("ruby")

    @property
    def available(self) -> bool:
        return self.ruby is not None

    def command(self) -> list[str] | None:
        return [self.ruby, "-e", SCRIPT] if self.ruby else None

    def versions(self) -> dict[str, str]:
        if not self.start():
            return {}
        out = {"ruby": f"ruby {self.info.get('ruby')}"}
        if self.info.get("actionview"):
            out["actionview"] = f"actionview {self.info['actionview']}"
        return out

    def check(self, items: list[tuple[str, str, str]]) -> list[RubyResult | None]:
        """Check (path, kind "ruby"|"erb"|"erubi", source) items; None where the worker failed for that item.
        Kind "erubi" compiles nothing: it returns the template's Ruby source (wrapped in a method, one line above)."""
        responses = self.request([{"path": path, "kind": kind, "source": source} for path, kind, source in items])
        out: list[RubyResult | None] = []
        for res, (_, kind, source) in zip(responses, items, strict=True):
            if res is None:
                out.append(None)
                continue
            errors = [(int(e["line"]), str(e["message"])) for e in res.get("errors", [])]
            errors = template_errors(errors, source) if kind == "erb" else clamp_errors(errors, source)
            out.append(RubyResult(errors, res.get("skipped"), res.get("source")))
        return out


def clamp_errors(errors: list[tuple[int, str]], source: str) -> list[tuple[int, str]]:
    """End-of-input errors point past the source; clamp them to its last line."""
    last = max(1, source.count("\n") + (0 if source.endswith("\n") else 1))
    return [(min(max(1, line), last), msg) for line, msg in errors]


WRAPPER_SAYS = {
    ", expecting '}'": "",
    "unexpected '}'": "unexpected end of template",
    ", assuming it is closing the parent method definition": "",
}
WRAPPER_WORDS = re.compile("|".join(map(re.escape, WRAPPER_SAYS)))


def template_errors(errors: list[tuple[int, str]], source: str) -> list[tuple[int, str]]:
    """A template's errors without the wrapper's: those on the template's lines when there are any (the
    wrapper's `}`/`end` only repeat them), else clamped to it; the wrapper's brace is not the template's."""
    last = max(1, source.count("\n") + (0 if source.endswith("\n") else 1))
    inside = [(line, msg) for line, msg in errors if 1 <= line <= last]
    kept = inside or clamp_errors(errors, source)
    tidy = [(line, WRAPPER_WORDS.sub(lambda m: WRAPPER_SAYS[m.group(0)], msg)) for line, msg in kept]
    return list(dict.fromkeys(tidy))


_WORKER: RubyWorker | None = None


def shared_worker() -> RubyWorker:
    """The process-wide worker (the editor's long-lived one; CLI batches go through it too)."""
    global _WORKER
    if _WORKER is None:
        _WORKER = RubyWorker()
        atexit.register(_WORKER.close)
    return _WORKER
