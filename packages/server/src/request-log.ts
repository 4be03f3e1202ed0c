import type { Logger } from '@payhost/core';

/** What the server's log lines say of a request ("incoming request", and a 500's "request errored"). */
export interface LoggedRequest {
  method: string | undefined;
  url: string;
  host: string | undefined;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
}

/** The fields of fastify's request (or Node's IncomingMessage, which some lines pass) the line reads. */
interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number; remoteAddress?: string } | null;
}

/**
 * `url` with every query value replaced by `[redacted]`, the path and parameter names kept: a caller
 * (or a processor calling a webhook) may put a key or a token in the query string, and pino's redaction
 * works on field names, not on text inside a URL. A parameter without `=` may be a token itself: it
 * goes whole.
 */
export function redactQuery(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const pairs = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      if (pair === '') return pair;
      const equals = pair.indexOf('=');
      return equals < 0 ? '[redacted]' : `${pair.slice(0, equals)}=[redacted]`;
    });
  return `${url.slice(0, at)}?${pairs.join('&')}`;
}

/** fastify's request serializer, with the query values redacted (`accept-version`, unused here, left out). */
export function serializeRequest(request: RequestLike): LoggedRequest {
  return {
    method: request.method,
    url: redactQuery(request.url ?? ''),
    host: request.host,
    remoteAddress: request.ip ?? request.socket?.remoteAddress,
    remotePort: request.socket?.remotePort ?? undefined,
  };
}

/**
 * The logger fastify is given: `logger` whose `req` serializer is serializeRequest. fastify puts its own
 * serializers under the instance's, so this one is the one used for every request's lines.
 */
export function requestLogger(logger: Logger): Logger {
  return logger.child({}, { serializers: { req: serializeRequest } });
}
