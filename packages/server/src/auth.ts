import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares in constant time whatever the lengths (both sides hashed first). */
export function safeEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** An onRequest hook demanding `Authorization: Bearer <key>`; 401 `unauthorized` otherwise. */
export function requireBearer(key: string, realm: string): onRequestHookHandler {
  return (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const header = request.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (token === '' || !safeEqual(token, key)) {
      void reply
        .status(401)
        .header('www-authenticate', `Bearer realm="${realm}"`)
        .send({ code: 'unauthorized', message: `A valid ${realm} API key is required (Authorization: Bearer <key>)` });
      return;
    }
    done();
  };
}
