// The worker thread that runs samples, one at a time. A sample that waits past its timeout is cut here;
// one stuck in an endless synchronous loop never yields, so the supervisor (runner.mjs) terminates this
// thread and starts a fresh one. Either way the batch goes on.
import { parentPort, workerData } from "node:worker_threads";
import { describeError, loadLibraries } from "./dom.mjs";
import { runStimulus } from "./stimulus.mjs";
import { TurboHost } from "./turbo_stream.mjs";

let currentLog = null; // where errors escaping the sample's promises are recorded
let currentWindow = null; // a Stimulus sample's window, closed here if the sample never finishes

// Sample code can leave rejected promises or throw from callbacks jsdom does not guard; both belong to the
// sample that is running, and neither may take the worker down.
process.on("unhandledRejection", (reason) => currentLog?.errors.push(`unhandled rejection: ${describeError(reason)}`));
process.on("uncaughtException", (error) => currentLog?.errors.push(`uncaught exception: ${describeError(error)}`));

let libs;
try {
  libs = await loadLibraries(workerData.nodeModules);
} catch (e) {
  const why = e.message.split("\n")[0];
  const fix = "run `npm ci` at the repo root, or pass --node-modules";
  parentPort.postMessage({ fatal: `cannot load jsdom/Turbo/Stimulus from ${workerData.nodeModules}: ${why} (${fix})` });
  process.exit(1);
}
const turbo = new TurboHost(libs);
parentPort.postMessage({
  ready: true,
  versions: { node: process.versions.node, turbo: libs.turbo.version, stimulus: libs.stimulus.version },
});

async function runSample(sample, deadline) {
  if (sample.kind === "turbo_stream") {
    currentLog = turbo.window().log;
    return turbo.run(sample, deadline);
  }
  return runStimulus(libs, sample, deadline, (win) => {
    currentLog = win.log;
    currentWindow = win.window;
  });
}

/** Waiting that never ends (e.g. a top-level await) is cut here, without restarting the worker; an endless
 * synchronous loop never lets this timer fire, and the supervisor terminates the worker instead. */
function cutOff(sample, timeoutMs) {
  let timer;
  const promise = new Promise((resolve) => {
    timer = setTimeout(() => {
      if (sample.kind === "turbo_stream") turbo.discard();
      currentWindow?.close();
      resolve({ timedOut: `timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for the sample; it was cut off` });
    }, timeoutMs);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

parentPort.on("message", async ({ sample, timeoutMs }) => {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  currentLog = null;
  currentWindow = null;
  const cut = cutOff(sample, timeoutMs);
  let result;
  try {
    const outcome = await Promise.race([runSample(sample, deadline), cut.promise]);
    if (outcome.timedOut) {
      result = { id: sample.id, ok: false, checks: {}, error: outcome.timedOut, console: [] };
    } else {
      const { checks, console } = outcome;
      const ok = checks.failures.length === 0 && Object.values(checks.checks).every(Boolean);
      const error = ok ? null : checks.failures.join("; ") || "a check failed";
      result = { id: sample.id, ok, checks: checks.checks, error, console };
    }
  } catch (e) {
    result = { id: sample.id, ok: false, checks: {}, error: `checker error: ${describeError(e)}`, console: [] };
  } finally {
    cut.cancel();
  }
  result.duration_ms = Math.round((performance.now() - started) * 10) / 10;
  parentPort.postMessage({ result });
});
