import { createServer, loadServerConfig } from '@payhost/server';
import type { CliIo } from '../io.js';

export interface ServeOptions {
  config: string;
  port?: string;
  host?: string;
}

/** Starts the server and keeps it up until SIGINT/SIGTERM, then shuts down gracefully. */
export async function serve(options: ServeOptions, io: CliIo): Promise<void> {
  const config = await loadServerConfig(options.config);
  if (options.port !== undefined) config.server.port = Number.parseInt(options.port, 10);
  if (options.host !== undefined) config.server.host = options.host;
  const server = await createServer(config);
  const url = await server.listen();
  io.out(`payhost is listening on ${url} (store: ${config.databaseUrl ? 'PostgreSQL' : `embedded, ${config.server.dataDir}`})`);
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
