// The parts of the extension that do not need VS Code: settings → initializationOptions,
// Rails-workspace detection, restart policy, status text, workspace-edit summaries.
// Kept free of `vscode` imports so `npm test` can run them under plain Node.

import * as path from "node:path";

export type Backend = "llama_cpp" | "ollama" | "openai" | "transformers";
export type TelemetryLevel = "events" | "code";

/** The settings the user set explicitly; unset ones stay with the server's own config layers. */
export interface UserSettings {
  backend?: Backend | "";
  modelName?: string;
  modelUrl?: string;
  modelPath?: string;
  enabled?: boolean;
  debounceMs?: number;
  telemetryLevel?: TelemetryLevel;
}

/** Shaped like the server's TOML config (`[model]`, `[completion]`, `[telemetry]`). */
export interface InitializationOptions {
  model?: { backend?: Backend; name?: string; url?: string; path?: string };
  completion?: { enabled?: boolean; debounce_ms?: number };
  telemetry: { enabled: boolean; level?: TelemetryLevel };
}

/**
 * Map editor settings to the server's last config layer. Only values the user set are sent, so a
 * workspace `.hotwire-assist.toml` still applies; telemetry is always sent and is on only with consent.
 */
export function toInitializationOptions(settings: UserSettings, telemetryConsent: boolean): InitializationOptions {
  const options: InitializationOptions = { telemetry: { enabled: telemetryConsent } };
  const model: NonNullable<InitializationOptions["model"]> = {};
  if (settings.backend) model.backend = settings.backend;
  if (settings.modelName?.trim()) model.name = settings.modelName.trim();
  if (settings.modelUrl?.trim()) model.url = settings.modelUrl.trim();
  if (settings.modelPath?.trim()) model.path = settings.modelPath.trim();
  if (Object.keys(model).length > 0) options.model = model;

  const completion: NonNullable<InitializationOptions["completion"]> = {};
  if (settings.enabled !== undefined) completion.enabled = settings.enabled;
  if (settings.debounceMs !== undefined) completion.debounce_ms = Math.max(0, Math.round(settings.debounceMs));
  if (Object.keys(completion).length > 0) options.completion = completion;

  if (settings.telemetryLevel) options.telemetry.level = settings.telemetryLevel;
  return options;
}

/** A Rails app root: a Gemfile plus `config/routes.rb` or an `app/` folder. */
export function isRailsRoot(exists: (relative: string) => boolean): boolean {
  return exists("Gemfile") && (exists(path.join("config", "routes.rb")) || exists("app"));
}

/**
 * Where the server command resolves on PATH, or undefined. A command with a slash is checked as a path.
 * `isExecutable` is injected so tests do not touch the disk.
 */
export function resolveCommand(
  command: string,
  envPath: string | undefined,
  isExecutable: (file: string) => boolean,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (!command) return undefined;
  if (command.includes("/") || command.includes("\\")) return isExecutable(command) ? command : undefined;
  const suffixes = platform === "win32" ? ["", ".exe", ".cmd", ".bat"] : [""];
  const separator = platform === "win32" ? ";" : ":";
  for (const dir of (envPath ?? "").split(separator)) {
    if (!dir) continue;
    for (const suffix of suffixes) {
      const candidate = path.join(dir, command + suffix);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Restart a crashed server at most `maxRestarts` times within `windowMs`. */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(
    readonly maxRestarts = 4,
    readonly windowMs = 3 * 60_000,
  ) {}

  /** Record a crash at `now`; true if the server should be started again. */
  shouldRestart(now: number): boolean {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.maxRestarts;
  }

  reset(): void {
    this.crashes = [];
  }
}

/** The `hotwire-assist/status` response. */
export interface AdaptState {
  state: "idle" | "running" | "done" | "failed" | "cancelled";
  stage?: string;
  percent?: number;
  outcome?: string;
  message?: string;
}

export interface ServerStatus {
  enabled: boolean;
  backend: string;
  model: string;
  healthy: boolean;
  detail: string;
  telemetry: boolean;
  adapt?: AdaptState;
}

/** The status item's words for a background `model adapt` ("" when none ran). */
export function adaptLine(adapt: AdaptState | undefined): string {
  if (!adapt || adapt.state === "idle") return "";
  if (adapt.state === "running") return `adapting: ${adapt.stage ?? ""} ${adapt.percent ?? 0}%`.replace(/\s+/g, " ");
  return `adaptation ${adapt.outcome ?? adapt.state}${adapt.message ? ` — ${adapt.message}` : ""}`;
}

export type ClientState = "starting" | "running" | "stopped" | "missing";

export interface StatusPresentation {
  text: string;
  tooltip: string;
  warning: boolean;
}

/** What the status-bar item shows for a client state and the last status the server reported. */
export function presentStatus(state: ClientState, status: ServerStatus | undefined): StatusPresentation {
  if (state === "missing") {
    return { text: "$(error) Hotwire", tooltip: "hotwire-assist server not found — see Settings › Hotwire Assist", warning: true };
  }
  if (state === "stopped") return { text: "$(debug-stop) Hotwire", tooltip: "hotwire-assist server stopped", warning: true };
  if (state === "starting" || !status) return { text: "$(loading~spin) Hotwire", tooltip: "hotwire-assist: starting…", warning: false };
  const model = status.model ? ` · ${shortModel(status.model)}` : "";
  const lines = [
    `hotwire-assist: suggestions ${status.enabled ? "on" : "off"}`,
    `backend: ${status.backend || "?"}`,
    `model: ${status.model || "(none)"}`,
    `health: ${status.healthy ? "ok" : "failing"}${status.detail ? ` — ${status.detail}` : ""}`,
    `telemetry: ${status.telemetry ? "on" : "off"}`,
  ];
  const adapting = adaptLine(status.adapt);
  if (adapting) lines.push(adapting);
  if (!status.healthy) return { text: `$(warning) Hotwire${model}`, tooltip: lines.join("\n"), warning: true };
  if (status.adapt?.state === "running") {
    return { text: `$(sync~spin) Hotwire ${status.adapt.percent ?? 0}%`, tooltip: lines.join("\n"), warning: false };
  }
  const icon = status.enabled ? "$(sparkle)" : "$(circle-slash)";
  return { text: `${icon} Hotwire${model}`, tooltip: lines.join("\n"), warning: false };
}

function shortModel(model: string): string {
  const base = model.split(/[\\/]/).pop() ?? model;
  return base.length > 24 ? base.slice(0, 23) + "…" : base;
}

// --- LSP WorkspaceEdit (as JSON from the server), only the fields we read -------------------------

interface LspPosition {
  line: number;
  character: number;
}
interface LspTextEdit {
  range: { start: LspPosition; end: LspPosition };
  newText: string;
}
export type LspDocumentChange =
  | { textDocument: { uri: string; version?: number | null }; edits: LspTextEdit[] }
  | { kind: "create"; uri: string; options?: { overwrite?: boolean; ignoreIfExists?: boolean } }
  | { kind: "rename"; oldUri: string; newUri: string; options?: { overwrite?: boolean; ignoreIfExists?: boolean } }
  | { kind: "delete"; uri: string; options?: { recursive?: boolean; ignoreIfNotExists?: boolean } };
export interface LspWorkspaceEdit {
  changes?: Record<string, LspTextEdit[]>;
  documentChanges?: LspDocumentChange[];
}

export function isWorkspaceEdit(value: unknown): value is LspWorkspaceEdit {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (v.changes !== undefined && typeof v.changes === "object") || Array.isArray(v.documentChanges);
}

/** The edit from a generateFeature result: a WorkspaceEdit itself, or `{edit: WorkspaceEdit}`. */
export function workspaceEditOf(result: unknown): LspWorkspaceEdit | undefined {
  if (isWorkspaceEdit(result)) return result;
  if (typeof result === "object" && result !== null && isWorkspaceEdit((result as { edit?: unknown }).edit)) {
    return (result as { edit: LspWorkspaceEdit }).edit;
  }
  return undefined;
}

/** One line per touched file ("create app/views/x.erb", "edit config/routes.rb"), for the preview. */
export function summarizeEdit(edit: LspWorkspaceEdit, relative: (uri: string) => string = (u) => u): string[] {
  const lines: string[] = [];
  for (const change of edit.documentChanges ?? []) {
    if ("textDocument" in change) lines.push(`edit ${relative(change.textDocument.uri)}`);
    else if (change.kind === "create") lines.push(`create ${relative(change.uri)}`);
    else if (change.kind === "rename") lines.push(`rename ${relative(change.oldUri)} → ${relative(change.newUri)}`);
    else if (change.kind === "delete") lines.push(`delete ${relative(change.uri)}`);
  }
  for (const uri of Object.keys(edit.changes ?? {})) lines.push(`edit ${relative(uri)}`);
  return [...new Set(lines)];
}
