import { expect } from 'chai';
import { REDACT_PATHS } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';

/**
 * Every path of REDACT_PATHS redacts what is at it. The list is pinned here as well (the fields the
 * docs promise are never logged): a path dropped from REDACT_PATHS fails this test rather than being
 * dropped from it; a path added there is checked too.
 */
const PINNED: readonly string[] = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'secretKey',
  '*.secretKey',
  'api_key',
  '*.api_key',
  'secret_key',
  '*.secret_key',
  'webhookSecret',
  '*.webhookSecret',
  'webhook_secret',
  '*.webhook_secret',
  'privateKey',
  '*.privateKey',
  'private_key',
  '*.private_key',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'refreshToken',
  '*.refreshToken',
  'refresh_token',
  '*.refresh_token',
  'encryptionKey',
  '*.encryptionKey',
  'encryption_key',
  '*.encryption_key',
  'cardNumber',
  '*.cardNumber',
  'cvv',
  '*.cvv',
  'cvc',
  '*.cvc',
  'configuration',
  '*.configuration',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'rawResponse',
  '*.rawResponse',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  'err.config',
  'err.request',
  'err.response.config',
  'err.response.request',
  'err.response.headers',
  '*.headers.authorization',
  '*.headers.Authorization',
  'headers.Authorization',
  'err.params',
  'err.parameters',
  'error.params',
  'error.parameters',
];

/** The key a wildcard stands for when a path is turned into an object: one level of nesting. */
const WILDCARD_KEY = 'nested';

/**
 * A pino (fast-redact) path -> its keys, in order: `a.b`, `a["x-y"]`, `a['x']`, `a[0]`; a wildcard
 * (`*.b`, `a[*]`) is '*'. Throws on what it does not read, so a path in a new form is not silently skipped.
 */
export function pathKeys(path: string): string[] {
  const keys: string[] = [];
  const token = /\.?([^.[\]"']+)|\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*(\*|\d+)\s*\]/y;
  while (token.lastIndex < path.length) {
    const at = token.lastIndex;
    const match = token.exec(path);
    if (!match || (at === 0 && path.startsWith('.'))) throw new Error(`cannot read the redaction path ${JSON.stringify(path)} at ${at}`);
    keys.push(match[1] ?? match[2]?.replace(/\\(.)/g, '$1') ?? match[3]?.replace(/\\(.)/g, '$1') ?? (match[4] as string));
  }
  return keys;
}

/** An object holding `value` at `keys`, each wildcard replaced by WILDCARD_KEY. */
export function objectAt(keys: readonly string[], value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (const key of [...keys].reverse()) out = { [key === '*' ? WILDCARD_KEY : key]: out };
  return out as Record<string, unknown>;
}

describe('log redaction paths', () => {
  it('reads the path forms pino takes', () => {
    expect(pathKeys('token')).to.deep.equal(['token']);
    expect(pathKeys('*.token')).to.deep.equal(['*', 'token']);
    expect(pathKeys('err.response.headers')).to.deep.equal(['err', 'response', 'headers']);
    expect(pathKeys('req.headers["x-api-key"]')).to.deep.equal(['req', 'headers', 'x-api-key']);
    expect(pathKeys("req.headers['set-cookie'].value")).to.deep.equal(['req', 'headers', 'set-cookie', 'value']);
    expect(pathKeys('items[*].pan')).to.deep.equal(['items', '*', 'pan']);
    expect(objectAt(pathKeys('*.headers.authorization'), 'v')).to.deep.equal({ nested: { headers: { authorization: 'v' } } });
    expect(() => pathKeys('a["unclosed')).to.throw(/cannot read/);
  });

  it('pins every path REDACT_PATHS had (a dropped one fails here, not silently below)', () => {
    expect(REDACT_PATHS).to.include.members([...PINNED]);
  });

  it('redacts a value at each path, alone in its line (a wildcard path one level down)', () => {
    const paths = [...new Set([...PINNED, ...REDACT_PATHS])];
    const log = captureLogger();
    const markers = paths.map((_, i) => `marker-${i}-Zq8vK`);
    paths.forEach((path, i) => log.logger.info({ ...objectAt(pathKeys(path), markers[i]), line: i }, 'redaction check'));
    const lines = log.lines;
    expect(lines).to.have.length(paths.length);
    paths.forEach((path, i) => {
      expect(lines[i]?.['line'], path).to.equal(i);
      expect(JSON.stringify(lines[i]), `${path} is logged`).to.not.include(markers[i]);
    });
  });
});
