import { createHmac } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, type LedgerStore } from '@payhost/core';
import { createServer, parseServerConfig, type PayhostServer } from '@payhost/server';

export const here = dirname(fileURLToPath(import.meta.url));
export const fixturesDir = join(here, '..', 'fixtures');

export const PAYMENT_KEY = 'test-payment-key-0123456789';
export const ADMIN_KEY = 'test-admin-key-0123456789ab';
export const AUDIT_TOKEN = 'audit-token-super-secret-7788';
export const WEBHOOK_SECRET = 'whsec_test_signed_0011223344';

/** Server settings a test may change. */
export interface ServerOverrides {
  bodyLimit?: number;
  pluginSettingsPollMs?: number;
  pluginSettingsKey?: string;
  pluginSettingsOldKeys?: string[];
}

/** The server test configuration: dummy + signed gateway in two channels, a global audit plugin. */
export function testConfigDocument(overrides: ServerOverrides = {}): Record<string, unknown> {
  return {
    server: {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'debug',
      hookTimeoutMs: 2000,
      checkout: false,
      bodyLimit: overrides.bodyLimit ?? 16 * 1024,
      ...(overrides.pluginSettingsPollMs === undefined ? {} : { pluginSettingsPollMs: overrides.pluginSettingsPollMs }),
      ...(overrides.pluginSettingsKey === undefined ? {} : { pluginSettingsKey: overrides.pluginSettingsKey }),
      ...(overrides.pluginSettingsOldKeys === undefined ? {} : { pluginSettingsOldKeys: overrides.pluginSettingsOldKeys }),
    },
    auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
    plugins: ['@payhost/plugin-dummy', './test-plugins.mjs'],
    channels: [
      {
        slug: 'us-store',
        currencies: ['USD', 'EUR', 'JPY', 'KWD'],
        defaultGateways: { USD: 'payhost.dummy' },
        plugins: {
          'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD,EUR,JPY,KWD', auto_capture: true, secret_key: 'sk_dummy_secret_value_9999' } },
          'test.signed': { active: true, configuration: { webhook_secret: WEBHOOK_SECRET } },
        },
      },
      {
        slug: 'eu-store',
        currencies: ['EUR'],
        plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'EUR', auto_capture: false } } },
      },
    ],
    globalPlugins: {
      'test.audit': { active: true, configuration: { api_token: AUDIT_TOKEN, password: 'audit-password-1', note: 'hello' } },
      'test.answers': { active: true },
    },
  };
}

export interface TestServer {
  url: string;
  server: PayhostServer;
  /** Every log line written by the server, raw. */
  logs: string[];
  request(method: string, path: string, options?: RequestOptions): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is (not JSON-encoded). */
  raw?: string | Buffer;
  key?: string | null;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

/**
 * Instances of the server on one shared memory store, as a `describe` starts them: `start(store, overrides)`,
 * each closed after the test. They never poll for other instances' saves (pluginSettingsPollMs 1 h) unless
 * an override says so: only a change itself reads them, which makes the tests' interleavings exact.
 * Call it in the `describe` body (it registers the afterEach).
 */
export function instancesOnOneStore(): (store: LedgerStore, overrides?: ServerOverrides) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  return async (store, overrides = {}) => {
    const server = await startTestServer({ store, kind: 'memory' }, { pluginSettingsPollMs: 3_600_000, ...overrides });
    servers.push(server);
    return server;
  };
}

export async function startTestServer(store: { store: LedgerStore; kind: string }, overrides: ServerOverrides = {}): Promise<TestServer> {
  return startServer(testConfigDocument(overrides), {}, store);
}

/**
 * A test server from a configuration document and environment: the store is the one the configuration
 * opens (DATABASE_URL, server.databaseSchema) unless `store` is given.
 */
export async function startServer(document: Record<string, unknown>, env: NodeJS.ProcessEnv, store?: { store: LedgerStore; kind: string }): Promise<TestServer> {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const config = parseServerConfig(document, fixturesDir, env);
  const server = await createServer(config, store ? { logger, store } : { logger });
  const url = await server.listen();
  return {
    url,
    server,
    logs,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const key = options.key === undefined ? PAYMENT_KEY : options.key;
      if (key !== null) headers['authorization'] = `Bearer ${key}`;
      if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
      let body: string | Buffer | undefined;
      if (options.raw !== undefined) body = options.raw;
      else if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(url + path, { method, headers, body: body as NonNullable<Parameters<typeof fetch>[1]>['body'] });
      const text = await response.text();
      let parsed: unknown = null;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        parsed = text;
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    close: () => server.close(),
  };
}

export function signWebhook(body: string): string {
  return createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex');
}

let counter = 0;
/** A fresh idempotency key. */
export function key(prefix = 'key'): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}`;
}

/** Everything that must never appear in a log line: configured secrets, API keys, test card numbers. */
export const SECRETS: readonly string[] = [PAYMENT_KEY, ADMIN_KEY, AUDIT_TOKEN, 'audit-password-1', WEBHOOK_SECRET, 'sk_dummy_secret_value_9999'];

/** Log lines that contain a secret or a test card number (with or without spaces). */
export function leakingLines(logs: readonly string[], cardNumbers: readonly string[]): string[] {
  const needles = [...SECRETS, ...cardNumbers, ...cardNumbers.map((n) => n.replace(/(\d{4})(?=\d)/g, '$1 '))];
  return logs.filter((line) => needles.some((needle) => line.includes(needle)));
}
