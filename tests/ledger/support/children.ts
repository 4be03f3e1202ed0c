import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildTask } from './protocol.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./ledger-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  messages: ChildMessage[];
  stderr: string;
}

/** A ledger host in a child process (see ledger-child.ts), talking JSON lines. */
export class LedgerChild {
  readonly process: ChildProcess;
  readonly messages: ChildMessage[] = [];
  private stderr = '';
  private readonly waiters: Array<{ type: ChildMessage['type']; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }> = [];
  readonly exited: Promise<ChildExit>;

  constructor(task: ChildTask) {
    this.process = spawn(process.execPath, ['--import=tsx', CHILD_SCRIPT, JSON.stringify(task)], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    const lines = createInterface({ input: this.process.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const message = JSON.parse(line) as ChildMessage;
      this.messages.push(message);
      for (const w of this.waiters.filter((x) => x.type === message.type)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(message);
      }
    });
    this.exited = new Promise((resolve) => {
      this.process.on('close', (code, signal) => {
        const exit = { code, signal, messages: this.messages, stderr: this.stderr };
        for (const w of this.waiters.splice(0)) w.reject(new Error(`child exited (${code ?? signal}) before sending "${w.type}": ${this.describe()}`));
        resolve(exit);
      });
    });
  }

  /** The first message of that type (already received, or the next one). */
  waitFor<T extends ChildMessage['type']>(type: T): Promise<Extract<ChildMessage, { type: T }>> {
    const seen = this.messages.find((m) => m.type === type);
    if (seen) return Promise.resolve(seen as Extract<ChildMessage, { type: T }>);
    if (this.process.exitCode !== null || this.process.signalCode !== null) {
      return Promise.reject(new Error(`child already exited without sending "${type}": ${this.describe()}`));
    }
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve: resolve as (m: ChildMessage) => void, reject }));
  }

  send(line: string): void {
    this.process.stdin?.write(`${line}\n`);
  }

  /** For failure messages: what the child said. */
  describe(): string {
    const error = this.messages.find((m) => m.type === 'error');
    return `${JSON.stringify(this.messages.slice(-5))}${error && error.type === 'error' ? `\n${error.stack ?? error.message}` : ''}\nstderr: ${this.stderr.slice(-2000)}`;
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }
}

/** Runs a task to its end (exit or kill), failing after `timeoutMs`. */
export async function runChild(task: ChildTask, timeoutMs = 60_000): Promise<ChildExit & { child: LedgerChild }> {
  const child = new LedgerChild(task);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.kill();
      reject(new Error(`child did not finish within ${timeoutMs} ms: ${child.describe()}`));
    }, timeoutMs);
  });
  try {
    const exit = await Promise.race([child.exited, timeout]);
    return { ...exit, child };
  } finally {
    clearTimeout(timer);
  }
}
