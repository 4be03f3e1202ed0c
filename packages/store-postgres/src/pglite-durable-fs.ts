import fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

/** What this module touches of Emscripten's runtime (PGlite's module, in its preRun). */
interface EmscriptenRuntime {
  NODEFS: {
    stream_ops: Record<string, unknown>;
    realPath?: (node: unknown) => string;
  };
  FS: {
    isDir(mode: number): boolean;
  };
}

interface EmscriptenStream {
  /** The host file descriptor: NODEFS opens one for regular files only. */
  nfd?: number;
  node: { mode: number };
}

/**
 * PGlite's Node file system with a real fsync. PGlite 0.5 starts Postgres with `-F` (fsync off), and
 * Emscripten's NODEFS has no fsync operation, so fsync() succeeds without flushing anything
 * (electric-sql/pglite#1107): a commit reached the kernel's page cache only, and a power cut could
 * lose it or leave the directory unreadable. This file system flushes the file (or the directory, for
 * a file created or renamed in it) when Postgres asks; with `durableStartParams()` Postgres asks at
 * every commit (its WAL) and at checkpoints (the data files), as on a PostgreSQL server.
 */
export class DurableNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Parameters<NodeFS['init']>[1]): ReturnType<NodeFS['init']> {
    const result = await super.init(pg, opts);
    const preRun = [...((result.emscriptenOpts.preRun as unknown[] | undefined) ?? [])];
    preRun.push((runtime: EmscriptenRuntime) => addFsync(runtime));
    return { emscriptenOpts: { ...result.emscriptenOpts, preRun: preRun as never } };
  }
}

function addFsync(runtime: EmscriptenRuntime): void {
  const { NODEFS, FS } = runtime;
  NODEFS.stream_ops['fsync'] = (stream: EmscriptenStream): number => {
    try {
      if (stream.nfd !== undefined) fs.fsyncSync(stream.nfd);
      else if (FS.isDir(stream.node.mode) && NODEFS.realPath) fsyncDirectory(NODEFS.realPath(stream.node));
      return 0;
    } catch (error) {
      return failStop(error);
    }
  };
}

/**
 * fsync of a directory (the entries of files created or renamed in it). Like Postgres's
 * fsync_fname, errors of systems that cannot open or flush directories are ignored.
 */
function fsyncDirectory(path: string): void {
  try {
    fsyncPath(path);
  } catch (error) {
    if (!DIRECTORY_FSYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

const DIRECTORY_FSYNC_UNSUPPORTED = new Set(['EBADF', 'EINVAL', 'EISDIR', 'EACCES']);

/** fsync of a file or directory by its path. */
function fsyncPath(path: string): void {
  const fd = fs.openSync(path, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A flush that failed: the process stops at once, as a PostgreSQL server does (a failed fsync is a
 * PANIC there). Returning the error to the backend is no option: PGlite does not survive the PANIC
 * and spins in it, freezing the process (no request, no signal handler runs again). Killed, the
 * process restarts under its supervisor and recovers every acknowledged commit from the WAL; the
 * commit that was being flushed was never acknowledged.
 */
function failStop(error: unknown): never {
  const reason = error instanceof Error ? error.message : String(error);
  try {
    fs.writeSync(2, `payhost: FATAL: the embedded database could not flush a file to the disk (${reason}); stopping the process so that no unflushed commit is acknowledged. A restart recovers from the write-ahead log.\n`);
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
  throw new Error('unreachable: the process was killed');
}

/**
 * Flushes a data directory: every file and directory under it, then itself and its parent (which
 * holds its entry). For a new data directory: PGlite copies the database initdb made into it
 * without any fsync, and Postgres, finding it shut down cleanly, does not sync it at start-up.
 */
export function fsyncNewDataDir(dataDir: string): void {
  const root = resolve(dataDir);
  fsyncTree(root);
  fsyncDirectory(dirname(root));
}

function fsyncTree(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(path);
    else if (entry.isFile()) fsyncPath(path);
  }
  fsyncDirectory(dir);
}

/**
 * PGlite's start parameters with fsync on (its defaults without `-F`), and the WAL flushed with
 * fsync(): NODEFS has no fdatasync either, and Postgres's default method would call it.
 */
export function durableStartParams(): string[] {
  return [...PGlite.defaultStartParams.filter((param) => param !== '-F'), '-c', 'wal_sync_method=fsync'];
}
