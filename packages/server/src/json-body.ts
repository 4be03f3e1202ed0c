import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ERROR_CODES, PayhostError } from '@payhost/core';

/** Why a body that is valid JSON was refused by the parser. */
const PROTOTYPE_KEY_MESSAGE =
  'Request body has a "__proto__" key, or a "constructor" object with a "prototype" key, which the server refuses at any depth (it could change object prototypes): rename it';

/** A server code (errors.md, http-errors.ts: 415). */
const UNSUPPORTED_MEDIA_TYPE = 'unsupported_media_type';

/** The labels of UTF-8 (WHATWG Encoding: "utf-8", "utf8", "unicode-1-1-utf-8"; case-insensitive). */
const UTF8_LABELS: ReadonlySet<string> = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

/**
 * The common labels of US-ASCII (IANA: US-ASCII and its aliases ascii, ISO646-US, ANSI_X3.4-1968, csASCII;
 * case-insensitive). ASCII is a subset of UTF-8, so such a body is read as UTF-8, but only if every byte is
 * below 0x80 (a byte above is not what the charset says: 400 invalid_json).
 */
const ASCII_LABELS: ReadonlySet<string> = new Set(['us-ascii', 'ascii', 'iso646-us', 'ansi_x3.4-1968', 'csascii']);

/** Fatal: bytes that are not UTF-8 are refused, not replaced by U+FFFD (two bodies that differ would read the same). */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * fastify's JSON parser, with the body's bytes checked first: a `charset` other than UTF-8 and a
 * `Content-Encoding` other than identity are 415 (the server would read the bytes as something they are
 * not), bytes that are not UTF-8 400 invalid_json (never stored as U+FFFD). And one answer told apart: a
 * body it refuses for a `__proto__` key (or `constructor.prototype`) is valid JSON, so it is invalid_input
 * saying so, not "not valid JSON". Such keys are still refused (secure-json-parse, as before). The
 * webhook routes have their own raw-body parser (routes/webhooks.ts): none of this applies to them.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      const ascii = refuseEncoding(request);
      text = decode(body as Buffer, ascii);
    } catch (err) {
      done(err as Error, undefined);
      return;
    }
    // fastify's default parser is synchronous (it calls done before returning).
    void parse(request, text, (err: Error | null, value?: unknown) => {
      if (err && (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY' && isValidJson(text)) {
        done(new PayhostError(ERROR_CODES.invalidInput, PROTOTYPE_KEY_MESSAGE), undefined);
        return;
      }
      done(err, value);
    });
  });
}

/**
 * A charset other than UTF-8 or US-ASCII (RFC 8259: JSON exchanged between systems is UTF-8), or a compressed
 * body: 415. Returns whether the charset is US-ASCII (its bytes are then checked to be ASCII).
 */
function refuseEncoding(request: FastifyRequest): boolean {
  const charset = charsetOf(request.headers['content-type'] ?? '');
  const label = charset?.toLowerCase() ?? null;
  if (charset !== null && label !== null && !UTF8_LABELS.has(label) && !ASCII_LABELS.has(label)) {
    throw new PayhostError(UNSUPPORTED_MEDIA_TYPE, `Content-Type charset "${charset}" is not supported: send the body as UTF-8 (charset=utf-8, or no charset)`, { charset });
  }
  const encoding = request.headers['content-encoding'];
  // A list of codings (RFC 9110: comma-separated, case-insensitive) in the order applied: only identity ones
  // leave the body as sent. An empty header, or empty list members, name none.
  const codings = (encoding ?? '').split(',').map((coding) => coding.trim().toLowerCase()).filter((coding) => coding !== '');
  if (encoding !== undefined && codings.some((coding) => coding !== 'identity')) {
    throw new PayhostError(UNSUPPORTED_MEDIA_TYPE, `Content-Encoding "${encoding}" is not supported: send the body uncompressed (no Content-Encoding, or identity)`, {
      contentEncoding: encoding,
    });
  }
  return label !== null && ASCII_LABELS.has(label);
}

/** The `charset` parameter of a Content-Type (unquoted), null without one. */
function charsetOf(contentType: string): string | null {
  for (const parameter of contentType.split(';').slice(1)) {
    const at = parameter.indexOf('=');
    if (at < 0 || parameter.slice(0, at).trim().toLowerCase() !== 'charset') continue;
    return parameter.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return null;
}

function decode(body: Buffer, ascii: boolean): string {
  if (ascii && body.some((byte) => byte > 0x7f)) {
    throw new PayhostError('invalid_json', 'Request body is not ASCII, as its charset says: send JSON encoded as UTF-8 (charset=utf-8)');
  }
  try {
    return utf8.decode(body);
  } catch {
    throw new PayhostError('invalid_json', 'Request body is not valid UTF-8: send JSON encoded as UTF-8');
  }
}

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
