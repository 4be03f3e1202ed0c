import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/**
 * The names at the top of a data directory that PostgreSQL, PGlite or payhost make (a fresh PGlite directory:
 * PG_VERSION, base, global, pg_* directories, pg_hba.conf, pg_ident.conf, postgresql.conf, postgresql.auto.conf;
 * open: postmaster.pid, payhost.lock and its siblings), and those PostgreSQL may add (backup_label, tablespace_map,
 * current_logfiles, *.signal, log). Only these are checked: others are not PGlite's to open, as a volume root's
 * lost+found (root's, 0700) that mkfs made, which refused every user but root.
 */
const DATABASE_NAMES = /^(PG_VERSION|base|global|log|pg_.*|postgresql.*|postmaster\..*|payhost\.lock(\..*)?|backup_label.*|tablespace_map.*|current_logfiles.*|.*\.signal)$/;

/** The two calls of the walk; a test passes others (a directory removed between them). */
export interface WalkFs {
  readdirSync: (path: string) => string[];
  lstatSync: (path: string) => Stats;
}

/** Well above what a PGlite data directory holds (about 1000 entries, payhost's tables migrated; a few ms to check): the walk stops there. */
export const MAX_ENTRIES_CHECKED = 20_000;

/** Why PGlite could not open a file or directory in the data directory (`path`), and what to do about it. */
export interface UnusableEntry {
  path: string;
  reason: string;
  details: Record<string, unknown>;
}

/**
 * The first file or directory inside `dataDir` that PGlite could not open, or undefined. Each must belong to this process's user (euid; the directory
 * itself does: notOwned) and have its owner's read and write bits (and enter, for a directory). Checked by
 * owner and mode rather than access(), which never refuses root: PGlite's file system (Emscripten's) goes by
 * the mode bits, and a file root left 0600 in another user's directory (a `sudo payhost ...`) stopped that
 * user's next start with PGlite's bare "Aborted()". A file of another user's that this one may write now (0666)
 * is refused too: its owner may narrow it at any time, and PostgreSQL's files all belong to the server's user.
 * Symbolic links and other special files are not followed; at the top, only the database's names (DATABASE_NAMES) are
 * checked. An entry gone during the walk is skipped. Stops after MAX_ENTRIES_CHECKED entries.
 */
export function unusableEntry(dataDir: string, euid: number, fs: WalkFs = { readdirSync: (path) => readdirSync(path), lstatSync: (path) => lstatSync(path) }): UnusableEntry | undefined {
  const pending = [dataDir];
  let checked = 0;
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Gone meanwhile: the walk runs before the lock is taken, while another process's PGlite may remove it.
      if (dir !== dataDir && (code === 'ENOENT' || code === 'ENOTDIR')) continue;
      return entryUnusable(dataDir, dir, `it cannot be read (${code ?? 'error'})`, chmodFix(dataDir), {});
    }
    if (dir === dataDir) names = names.filter((name) => DATABASE_NAMES.test(name));
    for (const name of names) {
      if (++checked > MAX_ENTRIES_CHECKED) return undefined;
      const path = join(dir, name);
      let stats: Stats;
      try {
        stats = fs.lstatSync(path);
      } catch {
        continue; // Gone meanwhile (a lock file of another process's open).
      }
      if (!stats.isFile() && !stats.isDirectory()) continue;
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      if (stats.uid !== euid) {
        return entryUnusable(
          dataDir,
          path,
          `it belongs to uid ${stats.uid}, not to this process's user (uid ${euid}), as when a payhost command was run on it as another user (e.g. root)`,
          `give all of it back to this user: chown -R ${euid} ${dataDir}`,
          { ownerUid: stats.uid, processUid: euid, mode },
        );
      }
      const needed = stats.isDirectory() ? 0o700 : 0o600;
      if ((stats.mode & needed) !== needed) {
        const what = stats.isDirectory() ? 'read, write and enter' : 'read and write';
        return entryUnusable(dataDir, path, `its mode is ${mode}: its owner must be able to ${what} it`, chmodFix(dataDir), { mode });
      }
      if (stats.isDirectory()) pending.push(path);
    }
  }
  return undefined;
}

const chmodFix = (dataDir: string) => `chmod -R u+rwX ${dataDir}`;

function entryUnusable(dataDir: string, path: string, why: string, fix: string, details: Record<string, unknown>): UnusableEntry {
  return { path, reason: `PGlite could not open ${path} in it: ${why}; ${fix}`, details: { file: path, ...details } };
}
