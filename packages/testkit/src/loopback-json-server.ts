import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received, as the test sees it (the Authorization header is reduced to its scheme). */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
}

export interface JsonReply {
  status: number;
  body: unknown;
}

/** A reply, or 'network' to destroy the socket without answering (a network failure). */
export type Reply = JsonReply | 'network';

export type Handler = (request: LoggedRequest, rawHeaders: IncomingMessage['headers']) => Reply | Promise<Reply>;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return {};
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function loggedHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = name === 'authorization' ? (text.split(' ')[0] ?? '') : text;
  }
  return out;
}

/**
 * A JSON server on 127.0.0.1 and an ephemeral port: every request is parsed,
 * logged, and answered by `handler`. Paths are normalized (`//v3/x` -> `/v3/x`).
 */
export class LoopbackJsonServer {
  readonly requests: LoggedRequest[] = [];
  private readonly server: Server;
  private port = 0;

  /**
   * `errorBody` shapes the 500 answer when the fake itself fails, in the
   * processor's own error format.
   */
  constructor(
    private readonly handler: Handler,
    private readonly errorBody: (message: string) => unknown,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** `http://127.0.0.1:<port>` (no trailing slash). */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // Collapse repeated slashes first: `//v3/x` would otherwise parse as a protocol-relative URL.
      const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), this.origin);
      const text = await readBody(req);
      const request: LoggedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname.replace(/\/{2,}/g, '/'),
        query: Object.fromEntries(url.searchParams),
        body: parseBody(text, req.headers['content-type']),
        headers: loggedHeaders(req.headers),
      };
      this.requests.push(request);
      const reply = await this.handler(request, req.headers);
      if (reply === 'network') {
        req.socket.destroy();
        return;
      }
      const payload = JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(this.errorBody(`fake server failure: ${(err as Error).message}`)));
    }
  }
}

/** An error injected into the next matching request(s). */
export interface InjectedFailure {
  method?: string;
  /** Substring or pattern of the request path. */
  path?: string | RegExp;
  /** How many requests it applies to; default 1. */
  times?: number;
  reply: Reply;
}

/** Takes the first injected failure that matches the request, consuming one use of it. */
export function takeFailure(failures: InjectedFailure[], request: LoggedRequest): Reply | undefined {
  const index = failures.findIndex(
    (f) =>
      (!f.method || f.method.toUpperCase() === request.method) &&
      (!f.path || (typeof f.path === 'string' ? request.path.includes(f.path) : f.path.test(request.path))),
  );
  if (index < 0) return undefined;
  const failure = failures[index] as InjectedFailure;
  const left = (failure.times ?? 1) - 1;
  if (left <= 0) failures.splice(index, 1);
  else failure.times = left;
  return failure.reply;
}
