import fs from 'node:fs';
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
    ErrnoError: new (errno: number) => Error;
  };
}

interface EmscriptenStream {
  /** The host file descriptor: NODEFS opens one for regular files only. */
  nfd?: number;
  node: { mode: number };
}

/** Emscripten's errno for EIO: what Postgres sees when a flush fails (it then stops rather than lose data). */
const EIO = 29;

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
      if (stream.nfd !== undefined) {
        fs.fsyncSync(stream.nfd);
      } else if (FS.isDir(stream.node.mode) && NODEFS.realPath) {
        const fd = fs.openSync(NODEFS.realPath(stream.node), 'r');
        try {
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
      return 0;
    } catch {
      throw new FS.ErrnoError(EIO);
    }
  };
}

/**
 * PGlite's start parameters with fsync on (its defaults without `-F`), and the WAL flushed with
 * fsync(): NODEFS has no fdatasync either, and Postgres's default method would call it.
 */
export function durableStartParams(): string[] {
  return [...PGlite.defaultStartParams.filter((param) => param !== '-F'), '-c', 'wal_sync_method=fsync'];
}
