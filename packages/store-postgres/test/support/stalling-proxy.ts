import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy to a PostgreSQL server that can stop forwarding without closing anything: a frozen
 * server, or a network path dropping packets, as the client sees it. What arrives meanwhile is held and
 * delivered on resume() (a late answer), unless the connection was closed first. A client closing its
 * connection closes the proxy's to the server (the server then ends that session, as it does once a
 * healed network tells it the client is gone).
 */
export interface StallingProxy {
  /** `url` with its host and port replaced by the proxy's. */
  readonly url: string;
  /** Connections accepted from clients so far. */
  readonly accepted: number;
  /**
   * Resolves once no open connection holds anything (the clients closed the connections they gave up on).
   * The proxy hears of a close a little after the client gives up: resuming before then would still deliver
   * what was held (as a healed network may deliver what the client's system was still sending).
   */
  untilHeldDropped(): Promise<void>;
  /** Bytes held back from clients since the last resume() (answers the server sent during a stall). */
  readonly heldAnswerBytes: number;
  /** Bytes held back from the server since the last resume() (what clients sent during a stall). */
  readonly heldStatementBytes: number;
  /** Stops forwarding: `both` directions (the statements never reach the server), or only the server's `answers`. */
  stall(direction: 'both' | 'answers'): void;
  /** Forwards again, first what was held on connections still open. */
  resume(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  toServer: Buffer[];
  toClient: Buffer[];
}

export async function startStallingProxy(databaseUrl: string): Promise<StallingProxy> {
  const target = new URL(databaseUrl);
  const targetPort = Number(target.port || 5432);
  const pairs = new Set<Pair>();
  let stalled: 'none' | 'both' | 'answers' = 'none';
  let accepted = 0;
  let waiting: Array<() => void> = [];
  const holding = () => [...pairs].some((pair) => pair.toServer.length > 0 || pair.toClient.length > 0);
  let heldAnswerBytes = 0;
  let heldStatementBytes = 0;

  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connect(targetPort, target.hostname);
    const pair: Pair = { client, server: upstream, toServer: [], toClient: [] };
    pairs.add(pair);
    client.on('data', (chunk) => {
      if (stalled !== 'both') upstream.write(chunk);
      else {
        pair.toServer.push(chunk);
        heldStatementBytes += chunk.length;
      }
    });
    upstream.on('data', (chunk) => {
      if (stalled === 'none') client.write(chunk);
      else {
        pair.toClient.push(chunk);
        heldAnswerBytes += chunk.length;
      }
    });
    const end = () => {
      if (!pairs.delete(pair)) return;
      if (!holding()) for (const resolve of waiting.splice(0)) resolve();
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxied = new URL(databaseUrl);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);

  return {
    url: proxied.toString(),
    get accepted() {
      return accepted;
    },
    untilHeldDropped() {
      return holding() ? new Promise<void>((resolve) => waiting.push(resolve)) : Promise.resolve();
    },
    get heldAnswerBytes() {
      return heldAnswerBytes;
    },
    get heldStatementBytes() {
      return heldStatementBytes;
    },
    stall(direction) {
      stalled = direction;
    },
    resume() {
      stalled = 'none';
      heldAnswerBytes = 0;
      heldStatementBytes = 0;
      waiting = [];
      for (const pair of pairs) {
        for (const chunk of pair.toServer.splice(0)) pair.server.write(chunk);
        for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
