import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  isRailsRoot,
  presentStatus,
  resolveCommand,
  RestartPolicy,
  type ServerStatus,
  summarizeEdit,
  toInitializationOptions,
  workspaceEditOf,
} from "../logic";

describe("toInitializationOptions", () => {
  it("sends only telemetry when nothing is set, off without consent", () => {
    assert.deepEqual(toInitializationOptions({}, false), { telemetry: { enabled: false } });
  });

  it("maps every setting to the server's TOML shape", () => {
    const options = toInitializationOptions(
      {
        backend: "ollama",
        modelName: " qwen2.5-coder:1.5b-base ",
        modelUrl: "http://127.0.0.1:11434",
        modelPath: "",
        enabled: false,
        debounceMs: 120.4,
        telemetryLevel: "code",
      },
      true,
    );
    assert.deepEqual(options, {
      model: { backend: "ollama", name: "qwen2.5-coder:1.5b-base", url: "http://127.0.0.1:11434" },
      completion: { enabled: false, debounce_ms: 120 },
      telemetry: { enabled: true, level: "code" },
    });
  });

  it("treats an empty backend as 'use the server config'", () => {
    assert.equal(toInitializationOptions({ backend: "" }, false).model, undefined);
  });

  it("keeps an explicit enabled=true and clamps a negative debounce", () => {
    assert.deepEqual(toInitializationOptions({ enabled: true, debounceMs: -5 }, false).completion, {
      enabled: true,
      debounce_ms: 0,
    });
  });
});

describe("isRailsRoot", () => {
  const fs = (...present: string[]) => (rel: string) => present.includes(rel);
  it("needs a Gemfile plus config/routes.rb or app/", () => {
    assert.equal(isRailsRoot(fs("Gemfile", "config/routes.rb")), true);
    assert.equal(isRailsRoot(fs("Gemfile", "app")), true);
    assert.equal(isRailsRoot(fs("Gemfile")), false);
    assert.equal(isRailsRoot(fs("app", "config/routes.rb")), false);
  });
});

describe("resolveCommand", () => {
  const exe = new Set(["/usr/bin/hotwire-assist", "/opt/venv/bin/hotwire-assist"]);
  const isExe = (f: string) => exe.has(f);
  it("finds the first match on PATH", () => {
    assert.equal(resolveCommand("hotwire-assist", "/bin:/usr/bin:/opt/venv/bin", isExe, "linux"), "/usr/bin/hotwire-assist");
  });
  it("checks explicit paths directly", () => {
    assert.equal(resolveCommand("/opt/venv/bin/hotwire-assist", "", isExe, "linux"), "/opt/venv/bin/hotwire-assist");
    assert.equal(resolveCommand("/nope/hotwire-assist", "/usr/bin", isExe, "linux"), undefined);
  });
  it("reports a missing command", () => {
    assert.equal(resolveCommand("hotwire-assist", "/bin", isExe, "linux"), undefined);
    assert.equal(resolveCommand("hotwire-assist", undefined, isExe, "linux"), undefined);
    assert.equal(resolveCommand("", "/usr/bin", isExe, "linux"), undefined);
  });
});

describe("RestartPolicy", () => {
  it("allows maxRestarts crashes per window, then refuses", () => {
    const policy = new RestartPolicy(2, 1000);
    assert.equal(policy.shouldRestart(0), true);
    assert.equal(policy.shouldRestart(10), true);
    assert.equal(policy.shouldRestart(20), false);
  });
  it("forgets crashes outside the window and after reset", () => {
    const policy = new RestartPolicy(1, 1000);
    assert.equal(policy.shouldRestart(0), true);
    assert.equal(policy.shouldRestart(2000), true);
    assert.equal(policy.shouldRestart(2001), false);
    policy.reset();
    assert.equal(policy.shouldRestart(2002), true);
  });
});

describe("presentStatus", () => {
  const healthy: ServerStatus = {
    enabled: true,
    backend: "llama_cpp",
    model: "/home/me/.local/share/hotwire-assist/models/hotwire-tiny/model.gguf",
    healthy: true,
    detail: "",
    telemetry: false,
  };
  it("shows backend, model, health and on/off", () => {
    const view = presentStatus("running", healthy);
    assert.equal(view.text, "$(sparkle) Hotwire · model.gguf");
    assert.match(view.tooltip, /suggestions on/);
    assert.match(view.tooltip, /backend: llama_cpp/);
    assert.match(view.tooltip, /health: ok/);
    assert.match(view.tooltip, /telemetry: off/);
    assert.equal(view.warning, false);
  });
  it("shows a running adaptation's progress, then its outcome", () => {
    const running = presentStatus("running", { ...healthy, adapt: { state: "running", stage: "training (loss 1.2)", percent: 42 } });
    assert.equal(running.text, "$(sync~spin) Hotwire 42%");
    assert.match(running.tooltip, /adapting: training \(loss 1\.2\) 42%/);
    const done = presentStatus("running", { ...healthy, adapt: { state: "done", outcome: "promoted", message: "edit similarity 0.41 → 0.47" } });
    assert.equal(done.text, "$(sparkle) Hotwire · model.gguf");
    assert.match(done.tooltip, /adaptation promoted — edit similarity/);
    assert.doesNotMatch(presentStatus("running", { ...healthy, adapt: { state: "idle" } }).tooltip, /adapt/);
  });
  it("marks disabled and failing states", () => {
    assert.match(presentStatus("running", { ...healthy, enabled: false }).text, /circle-slash/);
    const failing = presentStatus("running", { ...healthy, healthy: false, detail: "ollama: connection refused" });
    assert.equal(failing.warning, true);
    assert.match(failing.text, /warning/);
    assert.match(failing.tooltip, /failing — ollama: connection refused/);
  });
  it("explains a missing server and a starting one", () => {
    assert.match(presentStatus("missing", undefined).tooltip, /not found/);
    assert.match(presentStatus("starting", undefined).text, /loading/);
    assert.match(presentStatus("stopped", healthy).tooltip, /stopped/);
  });
});

describe("workspace edits from generateFeature", () => {
  const edit = {
    documentChanges: [
      { kind: "create" as const, uri: "file:///app/app/views/todos/_inline.html.erb" },
      {
        textDocument: { uri: "file:///app/app/views/todos/_inline.html.erb", version: null },
        edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: "<%= turbo_frame_tag todo %>" }],
      },
    ],
    changes: { "file:///app/config/routes.rb": [] },
  };
  it("accepts a bare WorkspaceEdit or {edit}", () => {
    assert.equal(workspaceEditOf(edit), edit);
    assert.equal(workspaceEditOf({ edit }), edit);
    assert.equal(workspaceEditOf(null), undefined);
    assert.equal(workspaceEditOf({ files: [] }), undefined);
  });
  it("summarizes one line per action and file", () => {
    assert.deepEqual(summarizeEdit(edit, (u) => u.replace("file:///app/", "")), [
      "create app/views/todos/_inline.html.erb",
      "edit app/views/todos/_inline.html.erb",
      "edit config/routes.rb",
    ]);
  });
});
