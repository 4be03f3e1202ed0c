import { accessSync, chmodSync, constants, mkdirSync, statSync } from 'node:fs';
import { ERROR_CODES, PayhostError } from '@payhost/core';
import { unusableEntry } from './data-dir-files.js';

/**
 * The embedded database's directory is private to the user running the server, as a PostgreSQL
 * server's data directory is (initdb makes it 0700, and the server refuses one others can read): it
 * holds the ledger and, in the plugin settings an admin saved without server.pluginSettingsKey,
 * processor secrets in plain text; PGlite creates its files readable and writable by everyone (0666,
 * whatever the umask), so only the directory keeps them private. A new directory is made 0700; an
 * existing one this process's user owns that the group or others may enter is narrowed to 0700. One
 * another user owns that the group or others may enter is refused (see notPrivate): this process may
 * not narrow it for good (its owner can widen it again; not even root changes another user's choice
 * silently). Not on Windows, where modes do not control access. Then checks the directory can be used
 * (see assertUsable): refused with invalid_configuration naming it, before anything is created in it.
 * Then, as PostgreSQL does, refuses a directory another user owns (see notOwned), and one holding a
 * file or directory this process could not open (see unusableEntry, data-dir-files.ts).
 */
export function makeDataDirPrivate(dataDir: string): void {
  if (process.platform === 'win32') return;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw dataDirUnusable(dataDir, 'it is not a directory', 'not_a_directory');
    throw dataDirUnusable(dataDir, `it cannot be created (${(error as Error).message})`, 'cannot_create');
  }
  const stats = statSync(dataDir);
  const euid = process.geteuid?.() ?? stats.uid; // POSIX platforms all have it
  const refusal = notPrivate(dataDir, stats, euid) ?? notOwned(dataDir, stats, euid);
  if (refusal) throw refusal;
  if ((stats.mode & 0o077) !== 0) chmodSync(dataDir, stats.mode & 0o700); // this process's own (notOwned)
  assertUsable(dataDir);
  const entry = unusableEntry(dataDir, euid);
  if (entry) throw dataDirUnusable(dataDir, entry.reason, 'not_writable', entry.details);
}

/**
 * The refusal of a data directory this process's effective user (euid) does not own, root included, as
 * PostgreSQL refuses to start on a data directory of another user's. Root could open it, but PGlite
 * would create files in it owned by root (some 0600, as pg_logical/replorigin_checkpoint), so that the
 * next start by its owner failed with PGlite's bare "Aborted()": one `sudo payhost ...` left a server
 * that a restart does not bring back. Undefined for a directory euid owns.
 */
export function notOwned(dataDir: string, stats: { uid: number }, euid: number): PayhostError | undefined {
  if (stats.uid === euid) return undefined;
  return dataDirUnusable(
    dataDir,
    `it belongs to uid ${stats.uid}, not to this process's user (uid ${euid}); files this process created in it would be ${euid === 0 ? 'root' : `uid ${euid}`}'s, ` +
      `and uid ${stats.uid}'s server could not open the database any more. Run payhost as uid ${stats.uid} (e.g. sudo -u '#${stats.uid}' ...), ` +
      `or, to give the directory to this user for good, chown -R ${euid} ${dataDir}`,
    'not_owner',
    { ownerUid: stats.uid, processUid: euid },
  );
}

/**
 * The refusal of a data directory whose owner (stats.uid) is not this process's effective user (euid)
 * and which the group or others may enter (any of the mode's 0o077 bits), as root too; undefined for
 * any other. Its message names the directory, its owner and mode, and the ways out.
 */
export function notPrivate(dataDir: string, stats: { uid: number; mode: number }, euid: number): PayhostError | undefined {
  if (stats.uid === euid || (stats.mode & 0o077) === 0) return undefined;
  const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
  // Not chmod 700 as root: root does not use another user's directory either (notOwned).
  const fixes =
    euid === 0
      ? `run payhost as uid ${stats.uid} (it then narrows it to 0700) or chown -R root ${dataDir}`
      : `chown ${euid} ${dataDir} (this process then narrows it to 0700)`;
  return dataDirUnusable(
    dataDir,
    `it belongs to uid ${stats.uid}, not to this process's user (uid ${euid}), and its mode ${mode} lets the group or others enter it, ` +
      `read and rewrite the ledger and any secret saved in it (PGlite's files are readable and writable by everyone); ` +
      `${fixes}, or point dataDir at a subdirectory of it, which this process creates 0700`,
    'not_private',
    { mode, ownerUid: stats.uid, processUid: euid },
  );
}

/**
 * PGlite reads, writes and enters the directory. access() says whether this process may, except as
 * root, which it never refuses; and PGlite's file system (Emscripten's) goes by the mode bits alone,
 * root or not: a directory its owner may not write (0500) failed PGlite's start with a bare "PGlite
 * failed to initialize properly", naming neither the directory nor the cause. So the directory (this
 * process's own: notOwned) needs all three owner bits (0700) too.
 */
function assertUsable(dataDir: string): void {
  const stats = statSync(dataDir);
  if (!stats.isDirectory()) throw dataDirUnusable(dataDir, 'it is not a directory', 'not_a_directory');
  try {
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
    throw dataDirUnusable(dataDir, `this process (uid ${process.geteuid?.() ?? '?'}) may not read, write and enter it (${code})`, 'not_writable');
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o700) !== 0o700) {
    const octal = mode.toString(8).padStart(4, '0');
    throw dataDirUnusable(
      dataDir,
      `its mode is ${octal}: its owner must be able to read, write and enter it (0700; e.g. chmod 700 ${dataDir})`,
      'not_writable',
      { mode: octal },
    );
  }
}

/** The embedded database's directory cannot be used: the directory and why, in the message and the details. */
export function dataDirUnusable(dataDir: string, reason: string, code: string, details: Record<string, unknown> = {}): PayhostError {
  return new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `The embedded database's data directory ${dataDir} cannot be used: ${reason}.`,
    { dataDir, reason: code, ...details },
  );
}
