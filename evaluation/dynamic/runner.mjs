#!/usr/bin/env node
// Dynamic Turbo/Stimulus checks: one long-lived process per batch.
//   node --experimental-vm-modules --no-warnings runner.mjs --node-modules DIR [--timeout-ms 5000] [--input FILE]
// Reads samples as JSON lines on stdin (or a JSON array / JSON-lines file with --input) and writes one JSON
// line per sample, in input order: {id, ok, checks: {name: bool}, error, console, duration_ms}.
// Samples run in a worker thread; a sample that runs past the timeout is cut by terminating that worker,
// and a fresh worker takes the next sample. Bad input lines get an error result; nothing crashes the batch.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";

const KINDS = new Set(["turbo_stream", "stimulus"]);

const { values: args } = parseArgs({
  options: {
    "node-modules": { type: "string" },
    "timeout-ms": { type: "string", default: "5000" },
    input: { type: "string" },
  },
});
const timeoutMs = Number(args["timeout-ms"]);
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
  process.stderr.write(`--timeout-ms must be a positive number, got ${args["timeout-ms"]}\n`);
  process.exit(2);
}
const here = path.dirname(new URL(import.meta.url).pathname);
const nodeModules = path.resolve(
  args["node-modules"] ?? findNodeModules(process.cwd()) ?? findNodeModules(here) ?? "node_modules",
);

function findNodeModules(start) {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "node_modules", "jsdom"))) return path.join(dir, "node_modules");
    if (path.dirname(dir) === dir) return null;
  }
}

/** The one worker thread, started lazily and replaced after a timeout or a crash. */
class Pool {
  constructor() {
    this.worker = null;
    this.ready = null;
    this.fatal = null;
  }

  start() {
    const worker = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: { nodeModules } });
    this.worker = worker;
    this.ready = new Promise((resolve) => {
      const onMessage = (msg) => {
        if (msg.fatal) this.fatal = msg.fatal;
        if (msg.ready || msg.fatal) {
          worker.off("message", onMessage);
          resolve();
        }
      };
      worker.on("message", onMessage);
      worker.once("error", (e) => {
        this.fatal ??= `worker failed to start: ${e.message}`;
        resolve();
      });
    });
    return this.ready;
  }

  async stop() {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  /** Run one sample; resolves with its result whatever happens to the worker. */
  async run(sample) {
    if (this.fatal) return failed(sample.id, this.fatal);
    if (!this.worker) await this.start();
    if (this.fatal) return failed(sample.id, this.fatal);
    const worker = this.worker;
    const outcome = await new Promise((resolve) => {
      // The worker cuts samples that wait too long itself; this catches the ones that never yield.
      const timer = setTimeout(() => finish({ timedOut: true }), timeoutMs + 500);
      const onMessage = (msg) => msg.result && finish({ result: msg.result });
      const onError = (e) => finish({ crashed: `the checker crashed: ${e.message}` });
      const onExit = (code) => finish({ crashed: `the checker exited (code ${code})` });
      function finish(value) {
        clearTimeout(timer);
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        resolve(value);
      }
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
      worker.postMessage({ sample, timeoutMs });
    });
    if (outcome.result) return outcome.result;
    await this.stop();
    if (outcome.timedOut) {
      const seconds = (timeoutMs / 1000).toFixed(1);
      const result = failed(sample.id, `timed out after ${seconds} s (a hang or an endless loop); the sample was cut off`);
      return { ...result, duration_ms: timeoutMs };
    }
    return failed(sample.id, outcome.crashed);
  }
}

function failed(id, error) {
  return { id, ok: false, checks: {}, error, console: [], duration_ms: 0 };
}

/** Parse and sanity-check one input record; returns [sample, null] or [null, errorResult]. */
function parseSample(text, where) {
  let sample;
  try {
    sample = JSON.parse(text);
  } catch (e) {
    return [null, failed(null, `${where}: invalid JSON: ${e.message}`)];
  }
  return validate(sample, where);
}

function validate(sample, where) {
  if (!sample || typeof sample !== "object" || Array.isArray(sample)) {
    return [null, failed(null, `${where}: a sample must be a JSON object`)];
  }
  const id = sample.id ?? null;
  if (typeof id !== "string" && typeof id !== "number") return [null, failed(id, `${where}: the sample needs an id`)];
  if (!KINDS.has(sample.kind)) {
    return [null, failed(id, `${where}: unknown kind ${JSON.stringify(sample.kind)} (turbo_stream or stimulus)`)];
  }
  return [sample, null];
}

async function* inputRecords() {
  if (args.input) {
    const text = fs.readFileSync(args.input, "utf8");
    if (text.trimStart().startsWith("[")) {
      let list;
      try {
        list = JSON.parse(text);
      } catch (e) {
        yield [null, failed(null, `${args.input}: invalid JSON: ${e.message}`)];
        return;
      }
      for (const [i, s] of list.entries()) yield validate(s, `${args.input}[${i}]`);
      return;
    }
    let n = 0;
    for (const line of text.split("\n")) {
      n++;
      if (line.trim()) yield parseSample(line, `${args.input}:${n}`);
    }
    return;
  }
  let n = 0;
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    n++;
    if (line.trim()) yield parseSample(line, `stdin:${n}`);
  }
}

function write(result) {
  return new Promise((resolve) => {
    if (process.stdout.write(`${JSON.stringify(result)}\n`)) resolve();
    else process.stdout.once("drain", resolve);
  });
}

const pool = new Pool();
for await (const [sample, error] of inputRecords()) {
  await write(error ?? (await pool.run(sample)));
}
await pool.stop();
