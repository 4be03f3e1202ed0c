import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgliteStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { ownedTempDir } from './owned-temp.js';

// Creating a PGlite database (initdb, then the migrations) takes 3-5 s, and up to 17 s on a loaded
// machine; copying a migrated one and opening the copy takes under a second. Tests that need an empty
// migrated database only as setup use a copy of one made once per test process. Tests of creation,
// migration, locking or durability create their own.

let template: Promise<string> | undefined;

/**
 * The once-made template: an empty, migrated data directory, closed (no lock file), removed when the process
 * ends (also on SIGINT/SIGTERM; a killed run's by the next: owned-temp.ts).
 * A suite may call it from a `before` hook so that its first test does not pay for the creation.
 */
export function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const templateRoot = ownedTempDir('payhost-pglite-template-');
    const dataDir = join(templateRoot, 'data');
    // Durability is not what the template is for: it is copied, never crashed.
    await (await createPgliteStore({ dataDir, fsync: false })).close();
    return dataDir;
  })();
  return template;
}

/** Makes `dataDir` (which must not exist yet) an empty, migrated PGlite data directory; returns it. */
export async function copyMigratedDataDir(dataDir: string): Promise<string> {
  cpSync(await migratedTemplate(), dataDir, { recursive: true, errorOnExist: true, force: false });
  return dataDir;
}

/**
 * A store on a fresh copy of the empty migrated database, in a directory of its own that `close()` removes.
 * For tests that would otherwise create an in-memory PGlite store (which also runs initdb and every migration).
 * `fsync: false`: these tests are not about durability.
 */
export async function openMigratedPgliteStore(): Promise<SqlLedgerStore> {
  const root = mkdtempSync(join(tmpdir(), 'payhost-pglite-copy-'));
  try {
    const store = await createPgliteStore({ dataDir: await copyMigratedDataDir(join(root, 'data')), fsync: false });
    const close = store.close.bind(store);
    store.close = async () => {
      try {
        await close();
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    };
    return store;
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}
