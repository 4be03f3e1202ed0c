import type { FastifyInstance } from 'fastify';
import { ERROR_CODES, PayhostError } from '@payhost/core';

/** Why a body that is valid JSON was refused by the parser. */
const PROTOTYPE_KEY_MESSAGE =
  'Request body has a "__proto__" key, or a "constructor" object with a "prototype" key, which the server refuses at any depth (it could change object prototypes): rename it';

/**
 * fastify's JSON parser, with one answer told apart: a body it refuses for a `__proto__` key (or
 * `constructor.prototype`) is valid JSON, so it is invalid_input saying so, not "not valid JSON". Such
 * keys are still refused (secure-json-parse, as before); only the error changes.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // fastify's default parser is synchronous (it calls done before returning).
    void parse(request, body as string, (err: Error | null, value?: unknown) => {
      if (err && (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' && isValidJson(body as string)) {
        done(new PayhostError(ERROR_CODES.invalidInput, PROTOTYPE_KEY_MESSAGE), undefined);
        return;
      }
      done(err, value);
    });
  });
}

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
