// Turbo Stream samples: render `<turbo-stream>` markup into a fixture with Turbo's own StreamElement
// (Turbo.renderStreamMessage), wait until every stream element has really run its action, then check the DOM.
import { Checks, checkExpectations, createWindow, describeError } from "./dom.mjs";

const TARGETLESS_ACTIONS = new Set(["refresh"]);

/**
 * One window with Turbo loaded, reused across samples: stream markup cannot run code (fixture and template
 * scripts stay inert), so resetting the document is enough isolation and saves creating a window per sample.
 */
export class TurboHost {
  constructor(libs) {
    this.libs = libs;
    this.win = null;
    this.tracker = null;
  }

  window() {
    if (!this.win) {
      this.win = createWindow(this.libs, "", { turbo: true });
      // Wrap each stream's render so we know when (and whether) its action ran, and what it threw.
      this.win.window.document.addEventListener("turbo:before-stream-render", (event) => {
        const tracker = this.tracker;
        if (!tracker) return;
        const index = tracker.started++;
        const original = event.detail.render;
        event.detail.render = async (element) => {
          try {
            await original(element);
            tracker.finish(index, null);
          } catch (e) {
            tracker.finish(index, e);
            throw e;
          }
        };
      });
    }
    return this.win;
  }

  /** Drop the window (after anything unexpected), so the next sample starts clean. */
  discard() {
    this.win?.window.close();
    this.win = null;
  }

  async run(sample, deadline) {
    const win = this.window();
    win.log.console.length = 0;
    win.log.errors.length = 0;
    win.log.requests = 0;
    let dirty = true;
    try {
      const out = await runStream(win, sample, deadline, (tracker) => (this.tracker = tracker));
      // A refresh starts a (debounced) visit that would land in the next sample: that one gets a new window.
      dirty = out.refreshes || win.log.requests > 0;
      return out;
    } finally {
      this.tracker = null;
      if (dirty) this.discard();
    }
  }
}

function resetDocument(window, fixtureHtml) {
  const parsed = new window.DOMParser().parseFromString(fixtureHtml ?? "", "text/html");
  const document = window.document;
  document.replaceChild(document.adoptNode(parsed.documentElement), document.documentElement);
}

/** The stream elements the markup holds, read the way Turbo reads them (a <template>'s content). */
function describeStreams(document, markup) {
  const template = document.createElement("template");
  template.innerHTML = markup;
  return [...template.content.querySelectorAll("turbo-stream")].map((el) => ({
    action: el.getAttribute("action"),
    target: el.getAttribute("target"),
    targets: el.getAttribute("targets"),
  }));
}

function streamLabel(s, i) {
  const where = s.target ? `#${s.target}` : s.targets ? s.targets : "(no target)";
  return `stream[${i}] ${s.action ?? "(no action)"} ${where}`;
}

function targetCount(document, s) {
  if (s.target) return document.getElementById(s.target) ? 1 : 0;
  try {
    return document.querySelectorAll(s.targets).length;
  } catch {
    return 0;
  }
}

class Tracker {
  constructor(expected, deadline, window) {
    this.expected = expected;
    this.started = 0;
    this.outcomes = new Array(expected).fill(undefined);
    this.pending = expected;
    this.window = window;
    this.done = new Promise((resolve) => (this.resolve = resolve));
    this.timer = window.setTimeout(() => this.resolve(), Math.max(0, deadline - Date.now()));
    if (expected === 0) this.resolve();
  }

  finish(index, error) {
    if (index >= this.expected) return; // a stream element inserted by another stream's template
    this.outcomes[index] = error ?? null;
    if (--this.pending === 0) {
      this.window.clearTimeout(this.timer);
      this.resolve();
    }
  }
}

async function runStream(win, sample, deadline, install) {
  const { window } = win;
  const document = window.document;
  const checks = new Checks();
  resetDocument(window, sample.fixture_html);
  const markup = typeof sample.markup === "string" ? sample.markup : "";
  const streams = describeStreams(document, markup);
  if (streams.length === 0) checks.fail("the markup holds no <turbo-stream> element");

  streams.forEach((s, i) => {
    if (s.action && !TARGETLESS_ACTIONS.has(s.action) && (s.target || s.targets)) {
      const found = targetCount(document, s) > 0;
      const sel = s.target ? `#${s.target}` : s.targets;
      checks.record(`stream[${i}] target ${sel} exists`, found, "the fixture has no such element, so the action does nothing");
    }
  });

  const tracker = new Tracker(streams.length, deadline, window);
  install(tracker);
  let thrown = null;
  try {
    window.Turbo.renderStreamMessage(markup);
  } catch (e) {
    thrown = e; // Turbo rejects malformed stream elements while importing them
  }
  if (thrown) {
    checks.fail(`Turbo rejected the markup: ${describeError(thrown)}`);
    streams.forEach((s, i) => checks.record(streamLabel(s, i), false, "not rendered"));
  } else {
    await tracker.done;
    await new Promise((resolve) => window.setTimeout(resolve, 0)); // Turbo removes each stream element after its action
    streams.forEach((s, i) => {
      const outcome = tracker.outcomes[i];
      const message = outcome === undefined ? "never rendered (timed out)" : outcome && describeError(outcome);
      checks.record(streamLabel(s, i), outcome === null, message);
    });
  }
  checkExpectations(document, sample.expect, (name, ok, msg) => checks.record(name, ok, msg));
  for (const e of win.log.errors) checks.fail(`uncaught: ${e}`);
  return { checks, console: [...win.log.console], refreshes: streams.some((s) => s.action === "refresh") };
}
