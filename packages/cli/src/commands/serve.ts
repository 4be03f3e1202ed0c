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
  const stop = (signal: string) => {
    io.out(`${signal}: finishing in-flight requests, then closing the store`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        io.err(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
