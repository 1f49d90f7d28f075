// VS Code client for the hotwire-assist language server: starts `hotwire-assist serve` over stdio,
// lets vscode-languageclient provide inline completions (accepting one runs the item's command,
// which tells the server), and adds a status-bar item, consent prompt and a few commands.

import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import {
  type Backend,
  type ClientState,
  isRailsRoot,
  presentStatus,
  resolveCommand,
  RestartPolicy,
  type ServerStatus,
  summarizeEdit,
  type TelemetryLevel,
  toInitializationOptions,
  type UserSettings,
  workspaceEditOf,
  type LspDocumentChange,
  type LspWorkspaceEdit,
} from "./logic";

const SECTION = "hotwireAssist";
const CONSENT_KEY = "hotwireAssist.telemetryConsent";
const STATUS_REQUEST = "hotwire-assist/status";
const SERVER_TOGGLE = "hotwire-assist.toggle";
const SERVER_GENERATE = "hotwire-assist.generateFeature";
const SERVER_ADAPT = "hotwire-assist.adaptModel";
const ADAPT_POLL_MS = 3_000;
const STATUS_POLL_MS = 30_000;

/** Files the server completes; `.erb` by pattern because stock VS Code has no `erb` language. */
const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "ruby" },
  { scheme: "file", language: "erb" },
  { scheme: "file", language: "javascript" },
  { scheme: "file", language: "typescript" },
  { scheme: "file", pattern: "**/*.erb" },
];

let session: Session | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  session = new Session(context);
  await session.activate();
}

export async function deactivate(): Promise<void> {
  await session?.dispose();
  session = undefined;
}

class Session {
  private client: LanguageClient | undefined;
  private readonly output = vscode.window.createOutputChannel("Hotwire Assist", { log: true });
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  private readonly restarts = new RestartPolicy();
  private state: ClientState = "stopped";
  private lastStatus: ServerStatus | undefined;
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {}

  async activate(): Promise<void> {
    const ctx = this.context;
    this.statusItem.command = "hotwireAssist.showStatus";
    ctx.subscriptions.push(
      this.output,
      this.statusItem,
      vscode.commands.registerCommand("hotwireAssist.toggle", () => this.toggle()),
      vscode.commands.registerCommand("hotwireAssist.showStatus", () => this.showStatus()),
      vscode.commands.registerCommand("hotwireAssist.showTelemetry", () => this.showTelemetry()),
      vscode.commands.registerCommand("hotwireAssist.openEvaluationReport", () => this.openEvaluationReport()),
      vscode.commands.registerCommand("hotwireAssist.restartServer", () => this.restart()),
      vscode.commands.registerCommand("hotwireAssist.generateFeature", () => this.generateFeature()),
      vscode.commands.registerCommand("hotwireAssist.adaptModel", () => this.adaptModel()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) void this.restart();
      }),
    );
    if (!railsFolder()) {
      this.output.appendLine("No Rails app in this workspace (Gemfile + config/routes.rb or app/): not starting.");
      return;
    }
    this.render();
    this.statusItem.show();
    await this.start();
    void this.askConsentOnce();
  }

  async dispose(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    await this.stop();
  }

  // --- server lifecycle ---------------------------------------------------------------------------

  private async start(): Promise<void> {
    const config = vscode.workspace.getConfiguration(SECTION);
    const command = config.get<string>("serverCommand", "hotwire-assist");
    const args = config.get<string[]>("serverArgs", ["serve"]);
    const resolved = resolveCommand(command, process.env.PATH, isExecutable);
    if (!resolved) {
      this.setState("missing");
      const open = "Open Settings";
      const choice = await vscode.window.showErrorMessage(
        `Hotwire Assist: the server command '${command}' was not found. Install it: run scripts/install in a clone ` +
          `of hotwire-assist, then set "hotwireAssist.serverCommand" to <clone>/.venv/bin/hotwire-assist ` +
          `(or put that folder on PATH).`,
        open,
      );
      if (choice === open) await vscode.commands.executeCommand("workbench.action.openSettings", "hotwireAssist.serverCommand");
      return;
    }
    // No `transport`: TransportKind.stdio would append `--stdio`, which `hotwire-assist serve` rejects.
    const serverOptions: ServerOptions = { command: resolved, args };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      initializationOptions: toInitializationOptions(readSettings(config), this.consent() === true),
      outputChannel: this.output,
      errorHandler: this.errorHandler(),
    };
    const client = new LanguageClient("hotwireAssist", "Hotwire Assist", serverOptions, clientOptions);
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.setState("running");
      else if (e.newState === State.Starting) this.setState("starting");
      else this.setState("stopped");
    });
    this.client = client;
    this.setState("starting");
    try {
      await client.start();
    } catch (error) {
      this.setState("stopped");
      void vscode.window.showErrorMessage(`Hotwire Assist: the server did not start: ${message(error)}`);
      return;
    }
    await this.refreshStatus();
    if (this.poll) clearInterval(this.poll);
    this.poll = setInterval(() => void this.refreshStatus(), STATUS_POLL_MS);
  }

  private async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.needsStop()) {
      try {
        await client.stop(2000);
      } catch (error) {
        this.output.appendLine(`stop: ${message(error)}`);
      }
    }
  }

  private async restart(): Promise<void> {
    this.restarts.reset();
    await this.stop();
    this.lastStatus = undefined;
    if (railsFolder()) await this.start();
  }

  private errorHandler(): ErrorHandler {
    return {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        if (this.restarts.shouldRestart(Date.now())) return { action: CloseAction.Restart };
        return {
          action: CloseAction.DoNotRestart,
          message:
            `Hotwire Assist: the server crashed ${this.restarts.maxRestarts + 1} times in a few minutes and was not restarted. ` +
            `See Output › Hotwire Assist, then run "Hotwire Assist: Restart Server".`,
        };
      },
    };
  }

  // --- status -------------------------------------------------------------------------------------

  private setState(state: ClientState): void {
    this.state = state;
    this.render();
  }

  private render(): void {
    const view = presentStatus(this.state, this.lastStatus);
    this.statusItem.text = view.text;
    this.statusItem.tooltip = view.tooltip;
    this.statusItem.backgroundColor = view.warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
  }

  private async refreshStatus(): Promise<ServerStatus | undefined> {
    const client = this.client;
    if (!client || client.state !== State.Running) return undefined;
    try {
      this.lastStatus = await client.sendRequest<ServerStatus>(STATUS_REQUEST, {});
    } catch (error) {
      this.output.appendLine(`status: ${message(error)}`);
    }
    this.render();
    return this.lastStatus;
  }

  private async showStatus(): Promise<void> {
    const status = await this.refreshStatus();
    const view = presentStatus(this.state, status);
    const actions = ["Toggle", "Restart Server", "Show Log"];
    const choice = await vscode.window.showInformationMessage(view.tooltip.replace(/\n/g, " · "), ...actions);
    if (choice === "Toggle") await this.toggle();
    else if (choice === "Restart Server") await this.restart();
    else if (choice === "Show Log") this.output.show();
  }

  /** Start (or cancel) `model adapt` for this workspace in the server's background; the status item
   * shows its progress, polled faster while it runs. */
  private async adaptModel(): Promise<void> {
    const client = this.runningClient();
    if (!client) return;
    const running = this.lastStatus?.adapt?.state === "running";
    let args: unknown[] = [];
    if (running) {
      const stop = await vscode.window.showWarningMessage("Hotwire Assist: adaptation is running.", "Cancel It");
      if (stop !== "Cancel It") return;
      args = [{ cancel: true }];
    } else {
      const minutes = await vscode.window.showInputBox({
        prompt: "Train on this workspace for how many minutes? (low priority, one core)",
        value: "10",
        validateInput: (v) => (Number(v) > 0 && Number(v) <= 240 ? undefined : "a number of minutes, up to 240"),
      });
      if (!minutes) return;
      args = [{ minutes: Number(minutes) }];
    }
    try {
      await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_ADAPT, arguments: args });
    } catch (error) {
      void vscode.window.showErrorMessage(`Hotwire Assist: adaptation failed to start: ${message(error)}`);
      return;
    }
    const fast = setInterval(async () => {
      const status = await this.refreshStatus();
      if (status?.adapt?.state !== "running") clearInterval(fast);
    }, ADAPT_POLL_MS);
    this.context.subscriptions.push({ dispose: () => clearInterval(fast) });
    await this.refreshStatus();
  }

  private async toggle(): Promise<void> {
    const client = this.runningClient();
    if (!client) return;
    try {
      const result = await client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_TOGGLE, arguments: [] });
      const enabled = (result as { enabled?: boolean } | null)?.enabled;
      void vscode.window.setStatusBarMessage(`Hotwire Assist: suggestions ${enabled ? "on" : "off"}`, 3000);
    } catch (error) {
      void vscode.window.showErrorMessage(`Hotwire Assist: toggle failed: ${message(error)}`);
    }
    await this.refreshStatus();
  }

  private runningClient(): LanguageClient | undefined {
    if (this.client?.state === State.Running) return this.client;
    void vscode.window.showWarningMessage("Hotwire Assist: the server is not running (open a Rails app, or restart it).");
    return undefined;
  }

  // --- telemetry consent --------------------------------------------------------------------------

  private consent(): boolean | undefined {
    return this.context.globalState.get<boolean>(CONSENT_KEY);
  }

  /** Ask once; the answer is stored and the server restarted with it. No answer = ask next time. */
  private async askConsentOnce(): Promise<void> {
    if (this.consent() !== undefined) return;
    const yes = "Share anonymous usage";
    const no = "No thanks";
    const choice = await vscode.window.showInformationMessage(
      "Hotwire Assist can record which suggestions you accept or dismiss (events only, stored locally, " +
        "file contents excluded unless you set hotwireAssist.telemetry.level to 'code') to improve its model. Allow?",
      yes,
      no,
    );
    if (choice === undefined) return;
    await this.setConsent(choice === yes);
  }

  /** Store the answer; restart only when the server's telemetry setting changes (it reads it at startup). */
  private async setConsent(value: boolean): Promise<void> {
    const before = this.consent() === true;
    await this.context.globalState.update(CONSENT_KEY, value);
    if (before !== value) await this.restart();
  }

  private async showTelemetry(): Promise<void> {
    const status = await this.refreshStatus();
    const consent = this.consent();
    const level = vscode.workspace.getConfiguration(SECTION).get<TelemetryLevel>("telemetry.level", "events");
    const answered = consent === undefined ? "not answered yet (off)" : consent ? "allowed" : "declined";
    const server = status ? (status.telemetry ? "recording" : "not recording") : "unknown (server not running)";
    const toggle = consent ? "Turn Off" : "Turn On";
    const choice = await vscode.window.showInformationMessage(
      `Hotwire Assist telemetry — consent: ${answered}; level: ${level}; server: ${server}.`,
      toggle,
    );
    if (choice) await this.setConsent(choice === "Turn On");
  }

  // --- evaluation report ----------------------------------------------------------------------------

  private async openEvaluationReport(): Promise<void> {
    const configured = vscode.workspace.getConfiguration(SECTION).get<string>("evaluationReport", "").trim();
    let uri: vscode.Uri | undefined;
    if (configured) {
      const folder = railsFolder();
      uri = vscode.Uri.file(path.isAbsolute(configured) || !folder ? configured : path.join(folder.uri.fsPath, configured));
    } else {
      const found = await vscode.workspace.findFiles("**/{evaluation,eval,artifacts}/**/*report*.{html,md}", "**/node_modules/**", 1);
      uri = found[0];
    }
    if (!uri || !fs.existsSync(uri.fsPath)) {
      void vscode.window.showWarningMessage(
        "Hotwire Assist: no evaluation report found. Run the evaluation (see the README), or set " +
          '"hotwireAssist.evaluationReport" to the report file.',
      );
      return;
    }
    if (uri.fsPath.endsWith(".md")) await vscode.commands.executeCommand("markdown.showPreview", uri);
    else await vscode.env.openExternal(uri);
  }

  // --- natural-language feature generation ------------------------------------------------------------

  private async generateFeature(): Promise<void> {
    const client = this.runningClient();
    if (!client) return;
    const advertised = client.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    if (!advertised.includes(SERVER_GENERATE)) {
      void vscode.window.showErrorMessage(
        `Hotwire Assist: this server does not offer feature generation yet ('${SERVER_GENERATE}' is not among its ` +
          "commands). Update hotwire-assist.",
      );
      return;
    }
    const request = await vscode.window.showInputBox({
      title: "Hotwire Assist: Generate Feature",
      prompt: "Describe the feature, e.g. “inline-edit a todo's title with a Turbo Frame”",
      ignoreFocusOut: true,
    });
    if (!request?.trim()) return;
    let result: unknown;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: "Hotwire Assist: generating…", cancellable: false },
        // apply: false: this client previews and applies the edit itself (below); uri: the prompt's context
        () => {
          const uri = vscode.window.activeTextEditor?.document.uri.toString();
          const args = [{ request, uri, apply: false }];
          return client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_GENERATE, arguments: args });
        },
      );
    } catch (error) {
      void vscode.window.showErrorMessage(`Hotwire Assist: feature generation failed: ${message(error)}`);
      return;
    }
    const edit = workspaceEditOf(result);
    if (!edit) {
      const why = (result as { message?: unknown } | null)?.message;
      void vscode.window.showWarningMessage(
        typeof why === "string" ? why : "Hotwire Assist: the server returned no changes for that request.",
      );
      return;
    }
    const files = summarizeEdit(edit, (uri) => vscode.workspace.asRelativePath(vscode.Uri.parse(uri)));
    this.output.appendLine(`generateFeature "${request}":\n  ${files.join("\n  ")}`);
    // needsConfirmation on every entry makes VS Code open its refactor preview before applying.
    const applied = await vscode.workspace.applyEdit(toPreviewEdit(edit, request), { isRefactoring: true });
    if (!applied) void vscode.window.showInformationMessage("Hotwire Assist: the generated changes were not applied.");
  }
}

/** An LSP WorkspaceEdit as a VS Code edit whose every entry needs confirmation (opens the preview). */
function toPreviewEdit(edit: LspWorkspaceEdit, request: string): vscode.WorkspaceEdit {
  const out = new vscode.WorkspaceEdit();
  const meta: vscode.WorkspaceEditEntryMetadata = { needsConfirmation: true, label: request };
  const range = (r: { start: { line: number; character: number }; end: { line: number; character: number } }) =>
    new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  const apply = (change: LspDocumentChange) => {
    if ("textDocument" in change) {
      const uri = vscode.Uri.parse(change.textDocument.uri);
      for (const e of change.edits) out.replace(uri, range(e.range), e.newText, meta);
    } else if (change.kind === "create") {
      out.createFile(vscode.Uri.parse(change.uri), { ...change.options }, meta);
    } else if (change.kind === "rename") {
      out.renameFile(vscode.Uri.parse(change.oldUri), vscode.Uri.parse(change.newUri), { ...change.options }, meta);
    } else {
      out.deleteFile(vscode.Uri.parse(change.uri), { ...change.options }, meta);
    }
  };
  (edit.documentChanges ?? []).forEach(apply);
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    for (const e of edits) out.replace(vscode.Uri.parse(uri), range(e.range), e.newText, meta);
  }
  return out;
}

function readSettings(config: vscode.WorkspaceConfiguration): UserSettings {
  const explicit = <T>(key: string): T | undefined => {
    const i = config.inspect<T>(key);
    return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
  };
  return {
    backend: explicit<Backend | "">("backend"),
    modelName: explicit<string>("modelName"),
    modelUrl: explicit<string>("modelUrl"),
    modelPath: explicit<string>("modelPath"),
    enabled: explicit<boolean>("enabled"),
    debounceMs: explicit<number>("debounceMs"),
    telemetryLevel: explicit<TelemetryLevel>("telemetry.level"),
  };
}

function railsFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.find(
    (f) => f.uri.scheme === "file" && isRailsRoot((rel) => fs.existsSync(path.join(f.uri.fsPath, rel))),
  );
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
