import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';

function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/**
 * Compares a presented key with `key` in constant time whatever the lengths
 * (both sides hashed first); the key's own digest is computed once, not on every request.
 */
function keyMatcher(key: string): (given: string) => boolean {
  const expected = digest(key);
  return (given) => timingSafeEqual(digest(given), expected);
}

/** An onRequest hook demanding `Authorization: Bearer <key>`; 401 `unauthorized` otherwise. */
export function requireBearer(key: string, realm: string): onRequestHookHandler {
  const matches = keyMatcher(key);
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const header = request.headers.authorization;
    // The scheme name is case-insensitive (RFC 9110 section 11.1): "bearer x" is as good as "Bearer x".
    const token = typeof header === 'string' && /^bearer /i.test(header) ? header.slice(7).trim() : '';
    if (token === '' || !matches(token)) {
      // Connection: close: the body may not have arrived (nor ever will); left open, the connection would
      // get a second answer, 408, at requestTimeoutMs. A client with the right key connects again.
      void reply
        .status(401)
        .header('www-authenticate', `Bearer realm="${realm}"`)
        .header('connection', 'close')
        .send({ code: 'unauthorized', message: `A valid ${realm} API key is required (Authorization: Bearer <key>)` });
      return;
    }
    done();
  };
}
