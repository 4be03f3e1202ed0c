import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** What Node's HTTP parser refuses, as the API's stable code and message. */
function classify(err: NodeJS.ErrnoException): { status: number; code: string; message: string } {
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'headers_too_large', message: 'The request headers are too large' };
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'request_timeout', message: 'The request was not received in time' };
  return { status: 400, code: 'invalid_input', message: 'Malformed HTTP request' };
}

/**
 * fastify's clientErrorHandler: a request Node's HTTP parser refuses (headers over its limit, a malformed
 * request line) never reaches a route or the error handler, and fastify's own answer is
 * `{ error, message, statusCode }`. This one answers `{ code, message }` as every other error, then
 * closes the connection (the parser cannot go on with it), as fastify does.
 */
export function answerClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = classify(err);
  this.log.debug({ code, parserError: err.code }, 'request refused by the HTTP parser');
  if (socket.writable) {
    const body = JSON.stringify({ code, message });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
