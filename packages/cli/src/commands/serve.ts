import { ERROR_CODES, PayhostError } from '@payhost/core';
import { createServer, loadServerConfig } from '@payhost/server';
import type { CliIo } from '../io.js';

export interface ServeOptions {
  config: string;
  port?: string;
  host?: string;
}

/** `--port`: a whole number from 0 to 65535, written in decimal digits only ("3000abc" is not 3000). */
export function parsePort(value: string): number {
  const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new PayhostError(ERROR_CODES.invalidInput, `--port must be a whole number from 0 to 65535, not "${value}"`, { option: 'port' });
  }
  return port;
}

/** Starts the server and keeps it up until SIGINT/SIGTERM, then shuts down gracefully. */
export async function serve(options: ServeOptions, io: CliIo): Promise<void> {
  // Checked before anything is opened: a bad option must not leave a store or plugins behind.
  const port = options.port === undefined ? undefined : parsePort(options.port);
  const config = await loadServerConfig(options.config);
  if (port !== undefined) config.server.port = port;
  if (options.host !== undefined) config.server.host = options.host;
  const server = await createServer(config);
  let url: string;
  try {
    url = await server.listen();
  } catch (err) {
    // Port in use, an address this host does not have: the store and the plugins are open already.
    // Close them, or the process never exits and the embedded database stays locked (data_dir_in_use).
    await server.close().catch((closeErr: unknown) => io.err(`shutdown failed: ${(closeErr as Error).message}`));
    throw err;
  }
  io.out(`payhost is listening on ${url} (store: ${config.databaseUrl ? 'postgres' : `pglite, the embedded database in ${config.server.dataDir}`})`);
  if (config.server.checkout) io.out(`Checkout page: ${url}/checkout/`);
  io.out(`API documentation (OpenAPI): ${url}/openapi.json`);
  stopOnSignals(server, io);
}

/** Exit codes of a forced exit, as a shell reports a process a signal ended: 128 + the signal's number. */
const FORCED_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * SIGINT/SIGTERM: finish the requests in flight, close the store, exit 0. Every later signal is handled too:
 * with a once-only handler a second one (a supervisor repeating its SIGTERM, an impatient Ctrl-C) fell to
 * Node's default and killed the process, dropping the requests in flight and leaving the store open. The
 * second is logged and ignored; the third forces the exit (130 for SIGINT, 143 for SIGTERM), as a person
 * pressing Ctrl-C three times means it.
 */
function stopOnSignals(server: { close(): Promise<void> }, io: CliIo): void {
  let received = 0;
  const onSignal = (signal: keyof typeof FORCED_EXIT_CODES) => {
    received += 1;
    if (received === 1) {
      io.out(`${signal}: finishing in-flight requests, then closing the store`);
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          io.err(`shutdown failed: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    } else if (received === 2) {
      io.out(`${signal}: already shutting down: finishing in-flight requests (one more signal exits at once)`);
    } else {
      io.err(`${signal}: exiting at once: requests in flight are dropped and the store is not closed`);
      process.exit(FORCED_EXIT_CODES[signal]);
    }
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}
