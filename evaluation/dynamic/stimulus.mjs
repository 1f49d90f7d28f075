// Stimulus samples: load the controller source as a real ES module inside a fresh window, start a Stimulus
// Application, register the controller, then check that it connected, that its declared targets resolve,
// that the actions fire without errors and that the DOM ends up as expected.
import vm from "node:vm";
import { Checks, checkExpectations, createWindow, describeError, settle } from "./dom.mjs";

const TURBO_SPECIFIERS = new Set(["@hotwired/turbo", "@hotwired/turbo-rails"]);

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const camelize = (s) => s.replace(/(?:[_-])([a-z0-9])/g, (_, c) => c.toUpperCase());

/** Where acorn stops parsing: V8 gives module syntax errors without a line, acorn gives line:column. */
function syntaxErrorLocation(acorn, source) {
  try {
    acorn.parse(source, { ecmaVersion: "latest", sourceType: "module" });
    return null;
  } catch (e) {
    return e.loc ? `${e.loc.line}:${e.loc.column + 1}` : null;
  }
}

function syntheticModule(context, specifier, exports) {
  const names = Object.keys(exports);
  return new vm.SyntheticModule(
    names,
    function () {
      for (const n of names) this.setExport(n, exports[n]);
    },
    { context, identifier: specifier },
  );
}

/** Compile, link and evaluate the controller module; returns its namespace or throws a readable Error. */
async function loadModule(libs, win, source, filename, deadline) {
  const { context, window } = win;
  let mod;
  try {
    mod = new vm.SourceTextModule(source, { context, identifier: `sample:${filename}` });
  } catch (e) {
    const where = e.name === "SyntaxError" ? syntaxErrorLocation(libs.acorn, source) : null;
    throw new Error(`${e.name}: ${e.message}${where ? ` (${filename}:${where})` : ""}`);
  }
  await mod.link(async (specifier) => {
    if (specifier === "@hotwired/stimulus") return syntheticModule(context, specifier, window.Stimulus);
    if (TURBO_SPECIFIERS.has(specifier)) {
      return syntheticModule(context, specifier, { ...window.Turbo, Turbo: window.Turbo });
    }
    throw new Error(
      `cannot import ${JSON.stringify(specifier)}: dynamic checks provide only @hotwired/stimulus and @hotwired/turbo`,
    );
  });
  try {
    await mod.evaluate({ timeout: Math.max(1, deadline - Date.now()) });
  } catch (e) {
    if (e?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") throw new Error("timed out evaluating the module (an endless loop?)");
    throw new Error(`evaluating the module failed: ${describeError(e)}`);
  }
  return mod.namespace;
}

/** For fixtures derived from generated files: give every controller element the targets it declares. */
function stubTargets(document, identifier, targets) {
  const stubbed = new Set();
  for (const el of document.querySelectorAll(`[data-controller~=${JSON.stringify(identifier)}]`)) {
    for (const name of targets) {
      const attr = `data-${identifier}-target`;
      if (el.querySelector(`[${attr}~=${JSON.stringify(name)}]`)) continue;
      const stub = document.createElement("div");
      stub.setAttribute(attr, name);
      el.appendChild(stub);
      stubbed.add(name);
    }
  }
  return [...stubbed];
}

function fire(window, element, action) {
  const type = action.event || "click";
  if (action.value !== undefined && action.value !== null && "value" in element) element.value = action.value;
  const init = { bubbles: true, cancelable: true, composed: true };
  let event;
  if (/^(click|dblclick|contextmenu|mouse)/.test(type)) event = new window.MouseEvent(type, { ...init, view: window });
  else if (/^key/.test(type)) event = new window.KeyboardEvent(type, { ...init, key: action.key ?? "" });
  else if (type === "focus" || type === "blur") event = new window.FocusEvent(type, { view: window });
  else if (type === "input") event = new window.InputEvent(type, init);
  else event = new window.Event(type, init);
  element.dispatchEvent(event);
}

export async function runStimulus(libs, sample, deadline, onWindow) {
  const checks = new Checks();
  const source = typeof sample.controller_source === "string" ? sample.controller_source : "";
  const identifier = sample.identifier;
  const filename = sample.source_path || `${identifier}_controller.js`;
  const usesTurbo = /@hotwired\/turbo|\bTurbo\b/.test(source);
  const win = createWindow(libs, sample.fixture_html, { stimulus: true, turbo: usesTurbo });
  onWindow(win);
  const { window } = win;
  const document = window.document;
  const errors = []; // Stimulus reports errors in initialize/connect/actions through handleError
  let app = null;
  try {
    if (typeof identifier !== "string" || !/^[a-z0-9]+(?:-{1,2}[a-z0-9]+)*$/.test(identifier)) {
      checks.fail(`invalid Stimulus identifier ${JSON.stringify(identifier)}`);
      return { checks, console: win.log.console };
    }
    let namespace;
    try {
      namespace = await loadModule(libs, win, source, filename, deadline);
      checks.record("module loads", true);
    } catch (e) {
      checks.record("module loads", false, e.message);
      return { checks, console: win.log.console };
    }
    const Controller = namespace.default;
    const isController = typeof Controller === "function" && Controller.prototype instanceof window.Stimulus.Controller;
    checks.record("default export is a Controller", isController, "export default a class that extends Controller");
    if (!isController) return { checks, console: win.log.console };

    const stubbed = sample.stub_missing_targets ? stubTargets(document, identifier, Controller.targets ?? []) : [];
    if (stubbed.length) win.log.console.push(`note: stubbed targets the fixture lacks: ${stubbed.join(", ")}`);

    app = new window.Stimulus.Application(document.documentElement);
    app.handleError = (error, message) => errors.push(`${message}: ${describeError(error)}`);
    await app.start();
    app.register(identifier, Controller); // connects synchronously; a macrotask lets connect's promises run
    await new Promise((resolve) => window.setTimeout(resolve, 0));

    const selector = `[data-controller~=${JSON.stringify(identifier)}]`;
    const elements = [...document.querySelectorAll(selector)];
    const controllers = elements.map((el) => app.getControllerForElementAndIdentifier(el, identifier));
    const connectErrors = errors.filter((m) => /initializing|connecting/.test(m));
    let connectMsg = connectErrors.join("; ");
    if (elements.length === 0) connectMsg = `the fixture has no element with data-controller="${identifier}"`;
    else if (!connectMsg && controllers.some((c) => !c)) connectMsg = "no controller instance for an element";
    checks.record("connected", elements.length > 0 && controllers.every(Boolean) && !connectErrors.length, connectMsg);

    for (const name of Controller.targets ?? []) {
      if (stubbed.includes(name)) continue;
      const prop = `has${capitalize(camelize(name))}Target`;
      const ok = controllers.length > 0 && controllers.every((c) => c && c[prop] === true);
      const msg = `no element with data-${identifier}-target="${name}" inside the controller element`;
      checks.record(`target ${name}`, ok, msg);
    }

    for (const [i, action] of (sample.actions ?? []).entries()) {
      const before = errors.length;
      const label = `action[${i}] ${action?.event || "click"} ${action?.selector}`;
      let targets = [];
      try {
        targets = [...document.querySelectorAll(action.selector)];
      } catch (e) {
        checks.record(label, false, `invalid selector: ${e.message}`);
        continue;
      }
      if (targets.length === 0) {
        checks.record(label, false, "the selector matches nothing");
        continue;
      }
      for (const el of targets) fire(window, el, action);
      await settle(window, 1);
      const raised = errors.slice(before);
      checks.record(label, raised.length === 0, raised.join("; "));
    }

    checkExpectations(document, sample.expect, (name, ok, msg) => checks.record(name, ok, msg));
    for (const m of errors.filter((m) => !/initializing|connecting|invoking action/.test(m))) checks.fail(m);
    for (const e of win.log.errors) checks.fail(`uncaught: ${e}`);
    return { checks, console: win.log.console };
  } finally {
    try {
      app?.stop();
    } catch {
      // disconnect errors were already reported through handleError
    }
    window.close();
  }
}
