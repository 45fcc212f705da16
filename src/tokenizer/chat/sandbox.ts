/**
 * Sandbox for rendering untrusted chat templates (a GGUF's `tokenizer.chat_template` comes from
 * whoever made the file; CVE-2024-34359 was template injection in llama-cpp-python).
 *
 * Layers:
 * 1. The engine (@huggingface/jinja) has no Python object model and no host objects in scope;
 *    only plain data goes in (structured clone), only a string comes out.
 * 2. The render runs in a separate Node process (child_process.fork) with a small V8 heap
 *    (`--max-old-space-size`), an empty environment, no stdin/stdout, and Node's permission model
 *    (no file writes, no child processes, no workers, reads limited to its own code and
 *    @huggingface/jinja). A process, not a worker thread: a worker's `resourceLimits` do not
 *    contain every allocation pattern; `range(10**9)` in a worker with a 128 MiB limit aborted the
 *    whole host process (FATAL ERROR: Reached heap limit; nodejs/node#47224). An out-of-memory
 *    abort here ends only the child.
 * 3. A wall-clock timer kills (SIGKILL) the child when a render runs too long.
 * 4. The output length is capped inside the child, before anything is sent back.
 *
 * One child is reused for all renders (they run one at a time, in order); a killed or crashed
 * child is replaced on the next render. Idle, it does not keep the parent alive.
 */
import { fork, type ChildProcess } from "node:child_process";
import { realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GlassboxError } from "../../errors.js";

/** Limits of one sandbox process. */
export interface SandboxOptions {
  /** V8 old-generation heap limit of the child in MiB (default 128). */
  memoryLimitMb?: number;
}

/** Limits of one render. */
export interface RenderLimits {
  /** Wall-clock milliseconds before the child is killed (CHAT_TEMPLATE_TIMEOUT). */
  timeoutMs: number;
  /** Longest accepted output in UTF-16 code units (CHAT_TEMPLATE_TOO_LARGE). */
  maxOutputChars: number;
}

interface Job {
  id: number;
  template: string;
  context: Record<string, unknown>;
  limits: RenderLimits;
  resolve: (text: string) => void;
  reject: (e: unknown) => void;
}

interface Reply {
  id?: number;
  ready?: boolean;
  ok?: boolean;
  text?: string;
  code?: string;
  message?: string;
}

interface Slot {
  child: ChildProcess;
  ready: boolean;
  /** Last few KiB the child wrote to stderr (V8's fatal OOM report lands here). */
  stderr: string;
}

const CHILD_PATH = fileURLToPath(new URL("./sandbox-child.js", import.meta.url));

/** Node flags that turn on the permission model with reads limited to our code and the engine. */
function permissionFlags(): string[] {
  const major = Number(process.versions.node.split(".")[0]);
  const flag = major >= 23 ? "--permission" : "--experimental-permission";
  const ownRoot = realpathSync(fileURLToPath(new URL("../../", import.meta.url)));
  const jinjaEntry = realpathSync(fileURLToPath(import.meta.resolve("@huggingface/jinja")));
  const jinjaRoot = path.dirname(path.dirname(jinjaEntry)); // <pkg>/dist/index.js -> <pkg>
  return [flag, `--allow-fs-read=${ownRoot}${path.sep}*`, `--allow-fs-read=${jinjaRoot}${path.sep}*`];
}

/** A reusable child process that renders Jinja templates under time, memory and output limits. */
export class ChatTemplateSandbox {
  private readonly memoryLimitMb: number;
  private slot: Slot | undefined;
  private readonly queue: Job[] = [];
  private current: { job: Job; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;
  private closed = false;

  constructor(options: SandboxOptions = {}) {
    this.memoryLimitMb = options.memoryLimitMb ?? 128;
  }

  /**
   * Renders `template` with `context` (plain data only) in the child. Resolves to the output.
   * Rejects with GlassboxError CHAT_TEMPLATE_TIMEOUT (wall clock), CHAT_TEMPLATE_TOO_LARGE
   * (output cap or heap limit), CHAT_TEMPLATE_ERROR (syntax/runtime error, raise_exception,
   * non-plain context, child crash) or CHAT_TEMPLATE_CLOSED (sandbox closed).
   */
  render(template: string, context: Record<string, unknown>, limits: RenderLimits): Promise<string> {
    if (this.closed) return Promise.reject(new GlassboxError("CHAT_TEMPLATE_CLOSED", "the chat template sandbox is closed"));
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, template, context, limits, resolve, reject });
      this.pump();
    });
  }

  /** Kills the child and rejects queued renders. The sandbox cannot be used afterwards. */
  close(): void {
    this.closed = true;
    const err = new GlassboxError("CHAT_TEMPLATE_CLOSED", "the chat template sandbox was closed");
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.job.reject(err);
      this.current = undefined;
    }
    for (const job of this.queue.splice(0)) job.reject(err);
    const slot = this.slot;
    this.slot = undefined;
    if (slot) slot.child.kill("SIGKILL");
  }

  private spawn(): Slot {
    const child = fork(CHILD_PATH, [], {
      execArgv: [`--max-old-space-size=${this.memoryLimitMb}`, "--no-warnings", ...permissionFlags()],
      env: {},
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    });
    const slot: Slot = { child, ready: false, stderr: "" };
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (d: string) => { slot.stderr = (slot.stderr + d).slice(-4096); });
    child.on("message", (m: Reply) => this.onMessage(slot, m));
    child.on("error", (e) => { slot.stderr += `\n${e.message}`; });
    child.on("exit", (code, signal) => this.onExit(slot, code, signal));
    return slot;
  }

  /** Keeps the parent alive while work is pending; lets it exit when idle. */
  private hold(slot: Slot, busy: boolean): void {
    const handles = [slot.child, slot.child.channel, slot.child.stderr] as Array<{ ref?(): void; unref?(): void } | null | undefined>;
    for (const h of handles) {
      if (busy) h?.ref?.();
      else h?.unref?.();
    }
  }

  private pump(): void {
    if (this.closed || this.current || this.queue.length === 0) return;
    if (!this.slot) this.slot = this.spawn();
    const slot = this.slot;
    this.hold(slot, true);
    if (!slot.ready) return; // onMessage({ready}) pumps again
    const job = this.queue.shift()!;
    const timer = setTimeout(() => this.onTimeout(slot, job), job.limits.timeoutMs);
    this.current = { job, timer };
    try {
      slot.child.send({ id: job.id, template: job.template, context: job.context, maxOutputChars: job.limits.maxOutputChars });
    } catch (e) {
      // DataCloneError: the context held something that is not plain data.
      clearTimeout(timer);
      this.current = undefined;
      job.reject(new GlassboxError("CHAT_TEMPLATE_ERROR", `chat template variables are not plain data: ${(e as Error).message}`, { cause: e }));
      this.pump();
    }
  }

  private onMessage(slot: Slot, m: Reply): void {
    if (slot !== this.slot) return;
    if (m.ready) {
      slot.ready = true;
      this.pump();
      return;
    }
    const cur = this.current;
    if (!cur || m.id !== cur.job.id) return;
    clearTimeout(cur.timer);
    this.current = undefined;
    if (m.ok) cur.job.resolve(m.text ?? "");
    else cur.job.reject(new GlassboxError(m.code ?? "CHAT_TEMPLATE_ERROR", m.message ?? "chat template failed"));
    if (this.queue.length === 0) this.hold(slot, false);
    this.pump();
  }

  private onTimeout(slot: Slot, job: Job): void {
    if (this.current?.job !== job) return;
    this.current = undefined;
    if (this.slot === slot) this.slot = undefined;
    slot.child.kill("SIGKILL");
    job.reject(new GlassboxError("CHAT_TEMPLATE_TIMEOUT", `chat template render took longer than ${job.limits.timeoutMs} ms and was stopped`));
    this.pump();
  }

  private onExit(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot !== this.slot) return; // killed on purpose (timeout or close)
    this.slot = undefined;
    const oom = /heap out of memory|Reached heap limit|Allocation failed/.test(slot.stderr);
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const err = oom
      ? new GlassboxError("CHAT_TEMPLATE_TOO_LARGE", `chat template render exceeded the sandbox memory limit of ${this.memoryLimitMb} MiB`)
      : new GlassboxError("CHAT_TEMPLATE_ERROR", `chat template sandbox process stopped (${how}): ${slot.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.job.reject(err);
      this.current = undefined;
    } else if (!slot.ready) {
      // The child could not start: fail what waits instead of respawning forever.
      for (const job of this.queue.splice(0)) job.reject(err);
    }
    this.pump();
  }
}

let shared: ChatTemplateSandbox | undefined;

/** The process-wide sandbox used by applyChatTemplate (created on first use, 128 MiB heap). */
export function sharedChatTemplateSandbox(): ChatTemplateSandbox {
  if (!shared) shared = new ChatTemplateSandbox();
  return shared;
}

/** Closes the process-wide sandbox (a later render creates a new one). */
export function closeSharedChatTemplateSandbox(): void {
  const s = shared;
  shared = undefined;
  if (s) s.close();
}
