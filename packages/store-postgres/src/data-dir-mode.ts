import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * The embedded database's directory is private to its owner, as a PostgreSQL server's data directory
 * is (initdb makes it 0700, and the server refuses one others can read): it holds the ledger and, in
 * the plugin settings an admin saved without server.pluginSettingsKey, processor secrets in plain
 * text; PGlite creates its files readable and writable by everyone (0666 less the umask, or more).
 * A new directory is made 0700; an existing one that group or others may enter is narrowed to 0700
 * when this process owns it (one it does not own is left as its owner set it). Not on Windows, where
 * modes do not control access.
 */
export function makeDataDirPrivate(dataDir: string): void {
  if (process.platform === 'win32') return;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { mode, uid } = statSync(dataDir);
  if ((mode & 0o077) === 0 || (typeof process.getuid === 'function' && process.getuid() !== uid && process.getuid() !== 0)) return;
  chmodSync(dataDir, mode & 0o700);
}
