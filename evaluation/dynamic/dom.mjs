// Windows, settling and expectations shared by the Turbo Stream and Stimulus checks.
// Each jsdom window runs the real Turbo/Stimulus UMD builds inside its own VM context, so library code
// sees `window`, `document` and `customElements` exactly as a browser would give them.
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { createRequire } from "node:module";

/** Load jsdom and compile the library builds once per worker; each window only runs the compiled scripts. */
export async function loadLibraries(nodeModules) {
  const require = createRequire(path.join(nodeModules, "noop.js"));
  const { JSDOM, VirtualConsole } = require("jsdom");
  const acorn = require("acorn");
  const script = (pkg) => {
    const dir = path.join(nodeModules, ...pkg.split("/"));
    const meta = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const file = path.join(dir, meta.main);
    return { version: meta.version, script: new vm.Script(fs.readFileSync(file, "utf8"), { filename: file }) };
  };
  return { JSDOM, VirtualConsole, acorn, turbo: script("@hotwired/turbo"), stimulus: script("@hotwired/stimulus") };
}

/**
 * A window with the fixture loaded. `console` collects what library or sample code logged at warn/error level
 * (Turbo reports failed stream actions there); `errors` collects uncaught errors jsdom saw (timers, handlers).
 */
export function createWindow(libs, fixtureHtml, { turbo = false, stimulus = false } = {}) {
  const log = { console: [], errors: [], requests: 0 };
  const virtualConsole = new libs.VirtualConsole();
  for (const level of ["error", "warn"]) {
    virtualConsole.on(level, (...args) => log.console.push(`${level}: ${args.map(formatArg).join(" ")}`));
  }
  virtualConsole.on("jsdomError", (e) => {
    // jsdom lacks navigation and form submission: that is the test harness's limit, not the sample's fault.
    if (/^Not implemented/.test(e.message)) log.console.push(`jsdom: ${e.message}`);
    else log.errors.push(describeError(e.detail ?? e));
  });
  const dom = new libs.JSDOM(fixtureHtml ?? "", {
    runScripts: "outside-only", // fixture <script>s stay inert; only the libraries and the sample run
    pretendToBeVisual: true, // gives requestAnimationFrame, which Turbo waits for before rendering a stream
    url: "http://localhost/",
    virtualConsole,
  });
  const window = dom.window;
  stubNetwork(window, log);
  const context = dom.getInternalVMContext();
  if (turbo) libs.turbo.script.runInContext(context);
  if (stimulus) libs.stimulus.script.runInContext(context);
  return { dom, window, context, log };
}

/**
 * No sample reaches the network. A request is noted and never answered: code that fetches is legitimate
 * Hotwire, so it must not fail for the harness's lack of a server; what the DOM shows afterwards still counts.
 */
function stubNetwork(window, log) {
  const note = (what, url) => {
    log.requests++;
    log.console.push(`note: ${what} ${url} not sent (dynamic checks have no network)`);
  };
  window.fetch = (input, init) => {
    note(`${(init?.method ?? input?.method ?? "GET").toUpperCase()}`, String(input?.url ?? input));
    return new Promise(() => {});
  };
  window.XMLHttpRequest = class {
    open(method, url) {
      this.request = [String(method).toUpperCase(), String(url)];
    }
    send() {
      note(...(this.request ?? ["XHR", "?"]));
    }
    setRequestHeader() {}
    addEventListener() {}
    abort() {}
  };
  window.WebSocket = class {
    constructor(url) {
      note("WebSocket", String(url));
    }
    send() {}
    close() {}
    addEventListener() {}
  };
}

/** Let pending work finish: microtasks, a macrotask and an animation frame, `rounds` times. */
export async function settle(window, rounds = 2) {
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => window.setTimeout(resolve, 0));
    await new Promise((resolve) => window.requestAnimationFrame(() => resolve()));
  }
}

const normalize = (s) => String(s ?? "").replace(/\s+/g, " ").trim();

function elementText(el) {
  const tag = el.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return normalize(el.value);
  return normalize(el.textContent);
}

/** Name of an expectation's check: readable and unique within the sample. */
export function expectationName(exp, i) {
  let name = `expect[${i}] ${exp?.selector ?? "?"}`;
  if (exp?.absent) name += " absent";
  if (exp?.count !== undefined && exp?.count !== null) name += ` count=${exp.count}`;
  if (exp?.text !== undefined && exp?.text !== null) name += ` text=${JSON.stringify(exp.text)}`;
  return name;
}

/**
 * Check one expectation against the document. Returns a failure message, or null when it holds.
 * `absent`: nothing matches (with `text`: no match contains it); `count`: exactly that many match; `text`: some match's whitespace-normalised
 * text (a form field's value) contains it; only a selector: at least one element matches.
 */
export function checkExpectation(document, exp) {
  if (!exp || typeof exp.selector !== "string" || !exp.selector) return "expectation needs a selector";
  let matches;
  try {
    matches = [...document.querySelectorAll(exp.selector)];
  } catch (e) {
    return `invalid selector ${JSON.stringify(exp.selector)}: ${e.message}`;
  }
  const want = exp.text === undefined || exp.text === null ? null : normalize(exp.text);
  if (exp.absent) {
    const hits = want === null ? matches : matches.filter((el) => elementText(el).includes(want));
    return hits.length === 0 ? null : `expected none, found ${hits.length}`;
  }
  if (exp.count !== undefined && exp.count !== null && matches.length !== exp.count) {
    return `expected ${exp.count}, found ${matches.length}`;
  }
  if (want !== null) {
    if (!matches.some((el) => elementText(el).includes(want))) {
      const seen = matches.slice(0, 3).map((el) => JSON.stringify(elementText(el).slice(0, 80)));
      return matches.length ? `no match contains ${JSON.stringify(want)} (saw ${seen.join(", ")})` : "nothing matches";
    }
    return null;
  }
  return matches.length ? null : "nothing matches";
}

/** Run every expectation, recording each as a named check and each failure as a message. */
export function checkExpectations(document, expectations, record) {
  (expectations ?? []).forEach((exp, i) => {
    const failure = checkExpectation(document, exp);
    record(expectationName(exp, i), failure === null, failure);
  });
}

/** Collects named checks and the messages of the ones that failed. */
export class Checks {
  constructor() {
    this.checks = {};
    this.failures = [];
  }

  record(name, ok, message) {
    let key = name;
    for (let n = 2; key in this.checks; n++) key = `${name} #${n}`;
    this.checks[key] = ok;
    if (!ok) this.failures.push(message ? `${key}: ${message}` : key);
  }

  fail(message) {
    this.failures.push(message);
  }
}

export function describeError(e) {
  if (e === null || e === undefined) return String(e);
  if (typeof e !== "object") return String(e);
  const name = e.name || "Error";
  const where = stackLocation(e.stack);
  return `${name}: ${e.message}${where ? ` (${where})` : ""}`;
}

/** The first stack frame that points into sample code (`sample:` URLs), as file:line:column. */
function stackLocation(stack) {
  const m = String(stack ?? "").match(/sample:([^\s)]+:\d+:\d+)/);
  return m ? m[1] : null;
}

function formatArg(a) {
  if (a && typeof a === "object" && "message" in a) return describeError(a);
  return typeof a === "string" ? a : String(a);
}
