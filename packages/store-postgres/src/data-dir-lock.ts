import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ERROR_CODES, PayhostError } from '@payhost/core';

/**
 * One process at a time per PGlite data directory. PGlite runs Postgres in
 * single-user mode inside the process: two processes on one directory do not
 * see each other's writes and overwrite each other's files (a payment one of
 * them recorded can vanish). PGlite's own postmaster.pid holds a fake pid, so
 * payhost keeps a lock file of its own: `payhost.lock`, holding the owner's
 * pid and host. A lock whose process is gone (a crash) is taken over.
 */
export const LOCK_FILE = 'payhost.lock';

/** Directories locked by this process (a second store on one of them is refused too). */
const heldHere = new Set<string>();

export interface DataDirLock {
  release(): void;
}

interface LockOwner {
  pid: number;
  host: string;
}

function readOwner(path: string): LockOwner | null {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
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

function inUse(dataDir: string, owner: LockOwner): PayhostError {
  const where = owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
  return new PayhostError(
    ERROR_CODES.dataDirInUse,
    `The embedded database in ${dataDir} is in use by ${where}. One process at a time may open it: stop that process, ` +
      `use another data directory, or use PostgreSQL (DATABASE_URL) to share a database between processes. ` +
      `If no such process runs, delete ${join(dataDir, LOCK_FILE)}.`,
    { dataDir, pid: owner.pid, host: owner.host },
  );
}

/** Takes the data directory's lock (creating the directory), or throws `data_dir_in_use`. */
export function lockDataDir(dir: string): DataDirLock {
  const dataDir = resolve(dir);
  if (heldHere.has(dataDir)) throw inUse(dataDir, { pid: process.pid, host: hostname() });
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const mine: LockOwner = { pid: process.pid, host: hostname() };
  const text = JSON.stringify(mine);
  try {
    writeFileSync(path, text, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = readOwner(path);
    // Another host's process cannot be checked from here: its lock stands.
    if (owner && (owner.host !== mine.host || (owner.pid !== process.pid && isRunning(owner.pid)))) throw inUse(dataDir, owner);
    // Stale (its process is gone): take it over.
    writeFileSync(path, text);
  }
  heldHere.add(dataDir);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      heldHere.delete(dataDir);
      try {
        if (readFileSync(path, 'utf8') === text) unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}
