import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary directories a test process keeps for its whole run, removed however it ends: at exit, and on
 * SIGINT, SIGTERM or SIGHUP (then the signal goes on as it would have). A run killed outright (SIGKILL) can
 * remove nothing: its directories carry its pid, and the next run removes those of dead processes. Safe with
 * several test processes at once: only a dead pid's directories are ever removed.
 */

const owned = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function removeOwned(): void {
  for (const dir of owned) rmSync(dir, { recursive: true, force: true });
  owned.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeOwned();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // Others listening (mocha's own handler) act on this signal themselves; alone, ours re-raises it, so the
  // process ends as the signal's default action would have ended it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', removeOwned);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** Whether a process with this pid is running (EPERM: running, as another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the directories `<prefix><pid>-*` in the temp directory whose pid is not a running process. */
export function removeStaleTempDirs(prefix: string): void {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)-`);
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/**
 * A new directory `<prefix><pid>-XXXXXX` in the temp directory, removed when this process ends (see above);
 * first removes the stale ones of `prefix` left by dead processes.
 */
export function ownedTempDir(prefix: string): string {
  removeStaleTempDirs(prefix);
  install();
  const dir = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
  owned.add(dir);
  return dir;
}
