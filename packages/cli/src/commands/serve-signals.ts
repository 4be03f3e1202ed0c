import type { CliIo } from '../io.js';

/** Exit codes of a forced exit, as a shell reports a process a signal ended: 128 + the signal's number. */
const FORCED_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type StopSignal = keyof typeof FORCED_EXIT_CODES;

export interface ServeSignals {
  /** Aborted by the first SIGINT/SIGTERM while the server is still starting (createServer's `signal`). */
  readonly starting: AbortSignal;
  /** The first signal received while starting, if any. */
  readonly stoppedBy: StopSignal | undefined;
  /** The server listens: the next first signal closes it (finishing the requests in flight), then exits 0. */
  running(server: { close(): Promise<void> }): void;
  /** The start failed: back to Node's default handling (the process ends once what it opened is closed). */
  remove(): void;
}

/**
 * SIGINT/SIGTERM, handled from before anything is opened. While starting, the first signal stops the start-up
 * (serve() then closes what it opened and exits 0): Node's default handler, left in place until the server
 * listened, killed the process during a start-up reconcile pass of up to hookTimeoutMs and a gateway call,
 * leaving the store open (its lock, a PGlite commit cut short). Once it listens, the first signal finishes the
 * requests in flight, closes the store and exits 0. Every later signal is handled too: with a once-only handler
 * a second one (a supervisor repeating its SIGTERM, an impatient Ctrl-C) fell to Node's default and killed the
 * process, dropping the requests in flight and leaving the store open. The second is logged and ignored; the
 * third forces the exit (130 for SIGINT, 143 for SIGTERM), as a person pressing Ctrl-C three times means it.
 */
export function handleServeSignals(io: CliIo): ServeSignals {
  const starting = new AbortController();
  let stoppedBy: StopSignal | undefined;
  let server: { close(): Promise<void> } | undefined;
  let received = 0;
  const onSignal = (signal: StopSignal): void => {
    received += 1;
    if (received === 1 && server === undefined) {
      stoppedBy = signal;
      io.out(`${signal}: stopping the start-up (a reconcile pass stops after its current transaction), then closing the plugins and the store`);
      starting.abort();
    } else if (received === 1 && server !== undefined) {
      io.out(`${signal}: finishing in-flight requests, then closing the store`);
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          io.err(`shutdown failed: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    } else if (received === 2) {
      io.out(
        server === undefined
          ? `${signal}: already stopping the start-up: closing what it opened (one more signal exits at once)`
          : `${signal}: already shutting down: finishing in-flight requests (one more signal exits at once)`,
      );
    } else {
      io.err(
        server === undefined
          ? `${signal}: exiting at once: the start-up is cut short and the store is not closed`
          : `${signal}: exiting at once: requests in flight are dropped and the store is not closed`,
      );
      process.exit(FORCED_EXIT_CODES[signal]);
    }
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    starting: starting.signal,
    get stoppedBy() {
      return stoppedBy;
    },
    running(started) {
      server = started;
    },
    remove() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
