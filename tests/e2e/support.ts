import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryLedgerStore, silentLogger } from '@payhost/core';
import { createServer, parseServerConfig, type PayhostServer } from '@payhost/server';

export const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: plugins resolve from its node_modules. */
export const root = join(here, '..', '..');
export const screenshotsDir = join(here, 'screenshots');

export const PAYMENT_KEY = 'e2e-payment-key-0123456789';
export const ADMIN_KEY = 'e2e-admin-key-0123456789abc';

/** Debian's chromium (CI installs it in .ci/run); PAYHOST_CHROMIUM overrides the path. */
export const CHROMIUM = process.env['PAYHOST_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails (never skips) when chromium is missing: the browser tests must run in CI. */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The checkout browser tests need Chromium at ${CHROMIUM}, which is missing. ` +
        'Install it with `apt-get update && apt-get install -y chromium` (.ci/run does this), or set PAYHOST_CHROMIUM to its path.',
    );
  }
  return CHROMIUM;
}

/** Two channels: one that captures at once (USD, EUR), one that only authorizes (EUR). */
export interface CheckoutServerOptions {
  checkout?: boolean;
  /** More channels, after the two above (e.g. one in JPY and KWD). */
  extraChannels?: Record<string, unknown>[];
}

export function checkoutConfigDocument(options: CheckoutServerOptions = {}): Record<string, unknown> {
  return {
    // Every test of a file pays from 127.0.0.1 on one server: the checkout's per-address limit is raised.
    server: { host: '127.0.0.1', port: 0, logLevel: 'silent', checkout: options.checkout ?? true, checkoutRateLimitMax: 100_000 },
    auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
    plugins: ['@payhost/plugin-dummy'],
    channels: [
      {
        slug: 'us-store',
        name: 'US store',
        currencies: ['USD', 'EUR'],
        defaultGateways: { USD: 'payhost.dummy', EUR: 'payhost.dummy' },
        plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD,EUR', auto_capture: true } } },
      },
      {
        slug: 'eu-store',
        name: 'EU store',
        currencies: ['EUR'],
        plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'EUR', auto_capture: false } } },
      },
      ...(options.extraChannels ?? []),
    ],
  };
}

export interface CheckoutServer {
  url: string;
  server: PayhostServer;
  close(): Promise<void>;
}

/** The real server, in-process, on a free port, with an in-memory ledger. */
export async function startCheckoutServer(options: CheckoutServerOptions = {}): Promise<CheckoutServer> {
  const config = parseServerConfig(checkoutConfigDocument(options), root, {});
  const server = await createServer(config, { store: { store: new MemoryLedgerStore(), kind: 'memory' }, logger: silentLogger() });
  const url = await server.listen();
  return { url, server, close: () => server.close() };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A request without any API key (the checkout API is public). */
export async function call(base: string, method: string, path: string, options: { body?: unknown; raw?: string; idempotencyKey?: string; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(base + path, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: json, text };
}
