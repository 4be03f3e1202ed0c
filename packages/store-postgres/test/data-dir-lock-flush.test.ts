import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import { lockDataDir } from '../dist/data-dir-lock.js';
import { deadPid, original, ownerRecord, useDataDirs } from './support/lock-steps.js';

// The owner record is linked as the lock: unflushed, a power cut could leave the link on the disk without
// the text (an empty lock, which stays until a person deletes it). A power cut cannot be tested here: this
// checks the order of the calls, the record flushed (fsync) before any link is made from it.

/** Runs `fn` recording the fsyncs (by the file the descriptor was opened on) and links of `payhost.lock*` files. */
function recordFlushes(fn: () => void): string[] {
  const events: string[] = [];
  const opened = new Map<number, string>();
  const saved = { openSync: fs.openSync, fsyncSync: fs.fsyncSync, closeSync: fs.closeSync, linkSync: fs.linkSync };
  const patched = fs as unknown as Record<string, unknown>;
  patched.openSync = (path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (saved.openSync as (...args: unknown[]) => number)(path, ...rest);
    // With its flags: Windows' FlushFileBuffers refuses a handle opened read-only (EPERM), which Linux fsyncs.
    opened.set(fd, `${basename(String(path))} (${String(rest[0] ?? 'r')})`);
    return fd;
  };
  patched.closeSync = (fd: number) => {
    opened.delete(fd);
    saved.closeSync(fd);
  };
  patched.fsyncSync = (fd: number) => {
    saved.fsyncSync(fd);
    events.push(`fsync ${opened.get(fd) ?? '?'}`);
  };
  patched.linkSync = (from: fs.PathLike, to: fs.PathLike) => {
    saved.linkSync(from, to);
    events.push(`link ${basename(String(from))} ${basename(String(to))}`);
  };
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    Object.assign(patched, saved);
    syncBuiltinESMExports();
  }
  return events.filter((event) => / payhost\.lock/.test(event)).map((event) => event.replace(/[0-9a-f]{32}/g, '<token>'));
}

describe('PGlite data directory lock: the owner record flushed before it is linked', () => {
  const { newDir } = useDataDirs('payhost-lock-flush-');

  it('on a free directory: fsync of payhost.lock.<token> (opened for writing, as Windows needs), then its link to payhost.lock', () => {
    const dataDir = newDir();
    const events = recordFlushes(() => lockDataDir(dataDir).release());
    expect(events).to.deep.equal(['fsync payhost.lock.<token> (r+)', 'link payhost.lock.<token> payhost.lock']);
  });

  it('taking over a dead process\'s lock: fsync first, then the takeover file and the lock linked from it', () => {
    const dataDir = newDir();
    original.writeFileSync(join(dataDir, 'payhost.lock'), ownerRecord(deadPid()));
    const events = recordFlushes(() => lockDataDir(dataDir).release());
    expect(events).to.deep.equal([
      'fsync payhost.lock.<token> (r+)',
      'link payhost.lock.<token> payhost.lock.takeover',
      'link payhost.lock.<token> payhost.lock',
    ]);
  });
});
