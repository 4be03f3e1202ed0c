import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

// Who holds a data directory's lock file (or another file of the lock), and whether that process is gone.
// See data-dir-lock.ts.

/** An owner record, as `payhost.lock` and the files beside it hold it (JSON). */
export interface LockOwner {
  pid: number;
  host: string;
  token?: string;
  /** The process's boot and start time (processStart()), when the writer could read them. */
  start?: string;
}

export type LockState = { kind: 'absent' } | { kind: 'unreadable'; reason: string } | { kind: 'owner'; owner: LockOwner; text: string };

export function readLock(path: string): LockState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'unreadable', reason: (error as Error).message };
  }
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string') {
      const optional = {
        ...(typeof owner.token === 'string' ? { token: owner.token } : {}),
        ...(typeof owner.start === 'string' ? { start: owner.start } : {}),
      };
      return { kind: 'owner', owner: { pid: owner.pid, host: owner.host, ...optional }, text };
    }
  } catch {
    // Not JSON: below.
  }
  return { kind: 'unreadable', reason: text === '' ? 'it is empty' : 'it holds no pid and host' };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This boot's id (Linux's /proc): the same for all processes until the machine restarts. */
function bootId(): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return /^[0-9a-f-]+$/.test(boot) ? boot : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A process's state (field 3: R, S, D, Z for a zombie...) and start time (field 22, in clock ticks since boot) from
 * /proc/<pid>/stat. Undefined without /proc, or when it cannot be read (gone, or hidden: /proc mounted with hidepid).
 */
function procStat(pid: number | 'self'): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0] ?? '';
    const startTime = fields[19] ?? '';
    return /^[A-Za-z]$/.test(state) && /^\d+$/.test(startTime) ? { state, startTime } : undefined;
  } catch {
    return undefined;
  }
}

const BOOT_ID = bootId();

/**
 * This process told apart from an earlier one with its pid: the boot's id and the process's start time
 * (in clock ticks since boot), the same in all its threads. Undefined without Linux's /proc.
 */
function processStart(): string | undefined {
  const self = procStat('self');
  return BOOT_ID !== undefined && self !== undefined ? `${BOOT_ID}:${self.startTime}` : undefined;
}

export const PROCESS_START = processStart();

/**
 * The process now running `owner.pid` is provably not the one that wrote `owner`: its `start` says it ran in an
 * earlier boot (a restart since, a power cut: its pid may now be a system daemon's), or the pid's process started at
 * another time (the pid was reused), or it is a zombie (it exited, not yet reaped by its parent). False when this
 * cannot be told: no `start` (an older payhost wrote it), or no /proc (not Linux), or the pid's /proc entry hidden.
 */
function runsAnotherProcess(owner: LockOwner): boolean {
  const recorded = /^([0-9a-f-]+):(\d+)$/.exec(owner.start ?? '');
  if (!recorded || BOOT_ID === undefined) return false;
  if (recorded[1] !== BOOT_ID) return true;
  const now = procStat(owner.pid);
  if (now === undefined) return !isRunning(owner.pid); // Hidden (it runs: not stale), or it exited just now.
  return now.state === 'Z' || now.startTime !== recorded[2];
}

/** Written by this very process (another thread's open, as each thread has its own heldHere): never stale. */
export function isThisProcess(owner: LockOwner): boolean {
  return owner.pid === process.pid && PROCESS_START !== undefined && owner.start === PROCESS_START;
}

/**
 * A lock of a process that is gone: on this host, and its pid runs no process, or runs another one (runsAnotherProcess:
 * an earlier boot's lock, a reused pid, a zombie), or is ours but not this process (left by an earlier process with our pid).
 * Once stale, a lock stays stale: its writer never comes back (the takeover's safety rests on this).
 */
export function isStale(owner: LockOwner): boolean {
  // Another host's process cannot be checked from here: its lock stands.
  if (owner.host !== hostname()) return false;
  if (owner.pid !== process.pid) return !isRunning(owner.pid) || runsAnotherProcess(owner);
  // Our pid, and not a store of this thread (those are in heldHere): another thread's, or a previous process's that had
  // our pid (a container's pid 1). Without its start (no /proc, or an older payhost wrote it) it is taken for the latter.
  return !isThisProcess(owner);
}

/**
 * Stale, and certainly not an open of this process in progress: for removing what crashed opens left.
 * (isStale takes a lock of our pid without a start for an earlier process's, which a takeover must; a sweep need not guess.)
 */
export function isProvablyGone(owner: LockOwner): boolean {
  return isStale(owner) && (owner.pid !== process.pid || (owner.start !== undefined && PROCESS_START !== undefined));
}
