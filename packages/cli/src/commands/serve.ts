import { ERROR_CODES, PayhostError } from '@payhost/core';
import { createServer, isStartStopped, loadServerConfig, type PayhostServer } from '@payhost/server';
import type { CliIo } from '../io.js';
import { handleServeSignals } from './serve-signals.js';

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

/** Starts the server and keeps it up until SIGINT/SIGTERM, then shuts down gracefully (also when one comes during the start). */
export async function serve(options: ServeOptions, io: CliIo): Promise<void> {
  // Checked before anything is opened: a bad option must not leave a store or plugins behind.
  const port = options.port === undefined ? undefined : parsePort(options.port);
  const config = await loadServerConfig(options.config);
  if (port !== undefined) config.server.port = port;
  if (options.host !== undefined) config.server.host = options.host;
  // Before the plugins and the store are opened: a signal during the start (migrations, the start-up reconcile
  // pass) stops it and closes them, rather than killing the process with the store open.
  const signals = handleServeSignals(io);
  let server: PayhostServer | undefined;
  let url: string | undefined;
  let failure: unknown;
  try {
    server = await createServer(config, { signal: signals.starting });
    if (!signals.starting.aborted) url = await server.listen();
  } catch (err) {
    failure = err;
  }
  if (url === undefined || signals.starting.aborted) {
    // Stopped, or failed (port in use, an address this host does not have): the store and the plugins may be
    // open. Close them, or the process never exits and the embedded database stays locked (data_dir_in_use).
    // createServer closed what it opened if it threw.
    const closed = await server?.close().then(
      () => true,
      (closeErr: unknown) => {
        io.err(`shutdown failed: ${(closeErr as Error).message}`);
        return false;
      },
    );
    const stoppedBy = signals.stoppedBy;
    if (stoppedBy !== undefined && (failure === undefined || isStartStopped(failure))) {
      io.out(`start-up stopped by ${stoppedBy}: the plugins and the store are closed`);
      process.exit(closed === false ? 1 : 0);
    }
    signals.remove();
    throw failure;
  }
  io.out(`payhost is listening on ${url} (store: ${config.databaseUrl ? 'postgres' : `pglite, the embedded database in ${config.server.dataDir}`})`);
  if (config.server.checkout) io.out(`Checkout page: ${url}/checkout/`);
  io.out(`API documentation (OpenAPI): ${url}/openapi.json`);
  signals.running(server as PayhostServer);
}
