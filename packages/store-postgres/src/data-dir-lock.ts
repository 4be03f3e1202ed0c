import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ERROR_CODES, PayhostError } from '@payhost/core';
import { isProvablyGone, isStale, isThisProcess, PROCESS_START, readLock, type LockOwner, type LockState } from './data-dir-owner.js';

/**
 * One process at a time per PGlite data directory. PGlite runs Postgres in
 * single-user mode inside the process: two processes on one directory do not
 * see each other's writes and overwrite each other's files (a payment one of
 * them recorded can vanish). PGlite's own postmaster.pid holds a fake pid, so
 * payhost keeps a lock file of its own: `payhost.lock`, holding the owner's
 * pid and host (and a random token of this open). A lock whose process is gone
 * (a crash) is taken over.
 *
 * Every step is atomic, so two processes opening together never both get it:
 * - the owner record is written to a file of its own and flushed (fsync), then
 *   hard-linked to `payhost.lock` (link fails when the name exists): the lock
 *   file is never seen empty or half-written, after a power cut either;
 * - a stale lock is taken over only under `payhost.lock.takeover` (also taken
 *   by link): its holder checks the lock is still the stale one, renames it
 *   aside and links its own. Whoever does not get it gets `data_dir_in_use`;
 * - a takeover file whose process is gone (it crashed inside a takeover) is
 *   stale too, and removed under a guard of its own (see removeStale);
 * - a lock file that cannot be read (empty, not JSON: not one this version
 *   writes) is held, not stale: only a person can tell it is safe to delete;
 * - once it has the lock, an open removes the files crashed opens left beside
 *   it, when their process is provably gone (see sweepLeftovers).
 *
 * A lock with this process's pid is another thread's (worker_threads: each has
 * its own copy of this module) when it also has this process's start (Linux's
 * /proc), else an earlier process's that had this pid (a container's pid 1).
 */
export const LOCK_FILE = 'payhost.lock';
const TAKEOVER_FILE = `${LOCK_FILE}.takeover`;

/** Directories locked by this process, by real path (a second store on one of them is refused too). */
const heldHere = new Set<string>();

export interface DataDirLock {
  release(): void;
}

function inUse(dataDir: string, owner: LockOwner): PayhostError {
  return new PayhostError(
    ERROR_CODES.dataDirInUse,
    `The embedded database in ${dataDir} is in use by ${who(owner)}. One process at a time may open it: stop that process, ` +
      `use another data directory, or use PostgreSQL (DATABASE_URL) to share a database between processes. ` +
      `If no payhost process uses this directory (that pid may now be another program's), delete ${join(dataDir, LOCK_FILE)}.`,
    { dataDir, lockFile: join(dataDir, LOCK_FILE), pid: owner.pid, host: owner.host },
  );
}

/** Another store of this process holds it (in this thread, or in another: `otherThread`): nothing to stop or delete, that store must be closed first. */
function inUseHere(dataDir: string, otherThread = false): PayhostError {
  const where = otherThread
    ? ', in another thread (worker_threads). A thread that ended without closing its store holds it until this process exits.'
    : '.';
  return new PayhostError(
    ERROR_CODES.dataDirInUse,
    `The embedded database in ${dataDir} is already open in this process (pid ${process.pid}): another store of this process holds it${where} ` +
      `One store at a time may open it: close that store first (store.close()), or use another data directory.`,
    { dataDir, lockFile: join(dataDir, LOCK_FILE), pid: process.pid, host: hostname() },
  );
}

function unreadableLock(dataDir: string, file: string, reason: string): PayhostError {
  return new PayhostError(
    ERROR_CODES.dataDirInUse,
    `The embedded database in ${dataDir} may be in use: its lock file ${join(dataDir, file)} cannot be read (${reason}), ` +
      `so payhost cannot tell which process holds it. If no process uses this data directory, delete that file.`,
    { dataDir, lockFile: join(dataDir, file) },
  );
}

function who(owner: LockOwner): string {
  return owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
}

/** A takeover file (or a guard of one) that stands: the message says which file to delete, and when that is safe. */
function takeoverInProgress(dataDir: string, path: string, state: Exclude<LockState, { kind: 'absent' }>): PayhostError {
  const file = join(dataDir, basename(path)); // In the directory as given, like the other messages.
  const start = `The embedded database in ${dataDir} is being taken over (its previous owner is gone)`;
  let message: string;
  if (state.kind === 'unreadable') {
    message =
      `${start}, but its file ${file}, which says by whom, cannot be checked (${state.reason}). ` +
      `Once no process is starting on this data directory, delete ${file} and start again.`;
  } else if (state.owner.host !== hostname()) {
    message =
      `${start} by ${who(state.owner)}, which payhost cannot check from host ${hostname()}. ` +
      `Once that process no longer runs (or that host is down), delete ${file} and start again; ` +
      `deleting it while that process runs could let two processes open the directory.`;
  } else if (isStale(state.owner)) {
    message =
      `${start}, and ${who(state.owner)} that was taking it over is gone too, as were the ones before it ` +
      `(several crashes in a row during a takeover). Delete ${file} and start again.`;
  } else {
    message =
      `${start} by ${who(state.owner)} right now: try again in a moment. If this stays, process ${state.owner.pid} ` +
      `is not a payhost process (a crashed one's pid was reused): delete ${file} and start again.`;
  }
  return new PayhostError(ERROR_CODES.dataDirInUse, message, {
    dataDir,
    lockFile: file, // As unreadableLock's: the file to delete.
    ...(state.kind === 'owner' ? { pid: state.owner.pid, host: state.owner.host } : {}),
  });
}

function busyLock(dataDir: string): PayhostError {
  return new PayhostError(
    ERROR_CODES.dataDirInUse,
    `The embedded database in ${dataDir} is being opened by other processes right now (its lock keeps changing hands). ` +
      `One process at a time may open it.`,
    { dataDir },
  );
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (errno(error) !== 'ENOENT') throw error;
  }
}

/** Links `from` to `to`; false when `to` exists. */
function linkIfAbsent(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if (errno(error) === 'EEXIST') return false;
    throw error;
  }
}

/** How many guards of guards may be stale in a row (crashes inside removeStale) before a person decides. */
const MAX_GUARD_DEPTH = 2;

/** The tokens this module writes: safe to put in a file name. */
const TOKEN = /^[0-9a-f]{32}$/;

/**
 * Removes `path` if it still holds `stale` (as read): a takeover file, or a guard, whose process is
 * gone. Returns when the caller should read again; throws `data_dir_in_use` when a live process, or
 * one this host cannot check, holds the guard.
 *
 * Why exactly one process removes it, and never a newer file: the removal is done only under the
 * guard `<path>.<stale's token>`, taken by link like the lock. Its holder reads `path` again, and if
 * it still holds `stale`, it holds it until removed: its owner is gone, and everybody else removes it
 * only under this guard. Tokens are random per open, so no later file at `path` carries that token:
 * a late holder of the guard (whoever read `stale` before it went) finds another file and leaves it.
 * Then `path` is free and taken by link as usual: of two processes opening after the crash, one links
 * it. A guard left by a crash in here is itself stale and removed the same way, one level down.
 */
function removeStale(dataDir: string, ownFile: string, path: string, stale: { owner: LockOwner; text: string }, depth: number): void {
  const token = stale.owner.token;
  if (token === undefined || !TOKEN.test(token)) {
    throw takeoverInProgress(dataDir, path, { kind: 'unreadable', reason: 'it holds no token this version writes' });
  }
  const guard = `${path}.${token}`;
  if (!linkIfAbsent(ownFile, guard)) {
    const state = readLock(guard);
    if (state.kind === 'absent') return; // Its holder just finished.
    if (state.kind !== 'owner' || !isStale(state.owner) || depth === MAX_GUARD_DEPTH) throw takeoverInProgress(dataDir, guard, state);
    removeStale(dataDir, ownFile, guard, state, depth + 1);
    return;
  }
  try {
    const now = readLock(path);
    if (now.kind === 'owner' && now.text === stale.text) unlinkIfPresent(path);
  } finally {
    unlinkQuietly(guard);
  }
}

/**
 * Replaces the stale lock `stale` (as read) with ours, under the takeover lock.
 * True when ours is in place; false when the lock or the takeover file changed meanwhile (read it again);
 * throws `data_dir_in_use` when another process is taking it over.
 */
function takeOver(dataDir: string, realDir: string, ownFile: string, token: string, stale: string): boolean {
  const path = join(realDir, LOCK_FILE);
  const takeoverPath = join(realDir, TAKEOVER_FILE);
  if (!linkIfAbsent(ownFile, takeoverPath)) {
    const state = readLock(takeoverPath);
    if (state.kind === 'absent') return false; // It just finished: read the lock again.
    // A crash inside a takeover left it: its process is gone.
    if (state.kind === 'owner' && isStale(state.owner)) {
      removeStale(dataDir, ownFile, takeoverPath, state, 0);
      return false;
    }
    throw takeoverInProgress(dataDir, takeoverPath, state);
  }
  try {
    // Under the takeover lock, only we remove a lock; its owner is gone, so nobody else does either.
    const now = readLock(path);
    if (now.kind !== 'owner' || now.text !== stale) return false;
    const aside = `${path}.stale-${token}`;
    try {
      renameSync(path, aside);
    } catch (error) {
      if (errno(error) === 'ENOENT') return false;
      throw error;
    }
    unlinkQuietly(aside);
    // A process opening just now may have linked its own first: then it holds the lock.
    return linkIfAbsent(ownFile, path);
  } finally {
    unlinkQuietly(takeoverPath);
  }
}

/** The files an open writes beside `payhost.lock`: its own record, a lock renamed aside, the takeover file and its guards. */
const OWN_FILE = /^payhost\.lock\.([0-9a-f]{32})$/;
const ASIDE_FILE = /^payhost\.lock\.stale-[0-9a-f]{32}$/;
const TAKEOVER_OR_GUARD = /^payhost\.lock\.takeover(\.[0-9a-f]{32})*$/;

/**
 * Removes, once we hold the lock, what opens that crashed left beside it, each only when provably dead:
 * - `payhost.lock.<token>`, an open's own record (its process gone): nothing else ever has that name, and
 *   only its owner used it, so it goes by a plain unlink;
 * - `payhost.lock.stale-<token>`, a dead owner's lock renamed aside in a takeover: never a lock again (only
 *   `payhost.lock` is one) and read by nobody, so it goes whoever's it was;
 * - `payhost.lock.takeover` and its guards, their process gone: under removeStale's guard, as an open
 *   removes them, since openers may be removing them too.
 * An empty file (a crash between creating its record and writing it), one that cannot be read, of another
 * host or of a live process (another thread's open of this process included) stays. Never fails the open.
 */
function sweepLeftovers(dataDir: string, realDir: string, ownFile: string): void {
  let names: string[];
  try {
    names = readdirSync(realDir);
  } catch {
    return;
  }
  // Guards of guards first: each guard's own guard name is then free.
  for (const name of names.filter((n) => n.startsWith(`${LOCK_FILE}.`)).sort((a, b) => b.length - a.length)) {
    const path = join(realDir, name);
    if (path === ownFile) continue;
    try {
      const state = readLock(path);
      if (state.kind !== 'owner') continue;
      const own = OWN_FILE.exec(name);
      if (ASIDE_FILE.test(name)) unlinkQuietly(path);
      else if (!isProvablyGone(state.owner)) continue;
      else if (own) {
        if (own[1] === state.owner.token) unlinkQuietly(path);
      } else if (TAKEOVER_OR_GUARD.test(name)) removeStale(dataDir, ownFile, path, state, 0);
    } catch {
      // Held, or cannot be removed now: the next open tries again.
    }
  }
}

/**
 * fsync of the owner record, before it is linked as the lock (or takeover file, or guard): after a power cut
 * the link could otherwise be on the disk with the text not (ext4's delayed allocation): an empty lock, which
 * stays until a person deletes it. The directory is not flushed after the link: a power cut ends every holder,
 * so a lock whose name the cut lost is one nobody holds, and a lock whose name stayed is whole and stale.
 */
function flushFile(path: string): void {
  // 'r+': Windows' FlushFileBuffers needs write access (EPERM on a handle opened read-only).
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Takes the data directory's lock (creating the directory), or throws `data_dir_in_use`. */
export function lockDataDir(dir: string): DataDirLock {
  const dataDir = resolve(dir); // In messages: the path as given.
  mkdirSync(dataDir, { recursive: true });
  // The same directory reached through a symlink is the same directory.
  const realDir = realpathSync(dataDir);
  if (heldHere.has(realDir)) throw inUseHere(dataDir);
  const path = join(realDir, LOCK_FILE);
  const token = randomBytes(16).toString('hex');
  const text = JSON.stringify({ pid: process.pid, host: hostname(), token, ...(PROCESS_START ? { start: PROCESS_START } : {}) } satisfies LockOwner);
  // Complete (and on the disk) before it gets the lock's name: nobody ever reads an empty or partial lock.
  const ownFile = `${path}.${token}`;
  writeFileSync(ownFile, text, { flag: 'wx' });
  try {
    flushFile(ownFile);
    let locked = false;
    for (let attempt = 0; !locked; attempt += 1) {
      if (attempt === 5) throw busyLock(dataDir); // It keeps changing hands: other processes are opening it right now.
      if (linkIfAbsent(ownFile, path)) break;
      const state = readLock(path);
      if (state.kind === 'absent') continue; // Released meanwhile: try again.
      if (state.kind === 'unreadable') throw unreadableLock(dataDir, LOCK_FILE, state.reason);
      if (!isStale(state.owner)) throw isThisProcess(state.owner) ? inUseHere(dataDir, true) : inUse(dataDir, state.owner);
      locked = takeOver(dataDir, realDir, ownFile, token, state.text);
    }
    sweepLeftovers(dataDir, realDir, ownFile);
  } finally {
    unlinkQuietly(ownFile);
  }
  heldHere.add(realDir);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      heldHere.delete(realDir);
      // Only our own lock (same token): never one another process took over meanwhile.
      const state = readLock(path);
      if (state.kind === 'owner' && state.owner.token === token) unlinkQuietly(path);
    },
  };
}
