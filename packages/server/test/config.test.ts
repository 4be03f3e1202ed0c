import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openStore, parseServerConfig } from '@payhost/server';

const auth = { adminApiKey: 'admin-key-admin-key-1234', paymentApiKey: 'payment-key-payment-key-1234' };
const channels = [{ slug: 'web', currencies: ['USD'], plugins: {} }];

function codeAndPath(document: unknown): { code?: string; path?: unknown } {
  try {
    parseServerConfig(document, '/tmp');
  } catch (err) {
    const e = err as { code?: string; details?: { path?: unknown } };
    return { code: e.code, path: e.details?.path };
  }
  return {};
}

function codeAndField(document: unknown, env: NodeJS.ProcessEnv): { code?: string; field?: unknown } {
  try {
    parseServerConfig(document, '/tmp', env);
  } catch (err) {
    const e = err as { code?: string; details?: { field?: unknown } };
    return { code: e.code, field: e.details?.field };
  }
  return {};
}

describe('server configuration file', () => {
  it('reads a minimal file, with defaults and an editor $schema hint', () => {
    const config = parseServerConfig({ $schema: './payhost.schema.json', auth, channels }, '/srv/payhost');
    expect(config.server).to.include({ port: 3000, host: '127.0.0.1', dataDir: '/srv/payhost/.payhost-data' });
    expect(config.host.channels).to.deep.equal(channels);
  });

  it('names a misspelt key rather than the key it leaves missing', () => {
    let message = '';
    try {
      parseServerConfig({ auth, chanels: channels }, '/tmp');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).to.equal('Invalid server configuration: Unrecognized key: "chanels"');
    expect(codeAndPath({ auth: { adminApiKey: auth.adminApiKey, paymentKey: auth.paymentApiKey }, channels })).to.deep.equal({ code: 'invalid_configuration', path: 'auth' });
    expect(codeAndPath({ auth, channels, server: { prot: 3000 } })).to.deep.equal({ code: 'invalid_configuration', path: 'server' });
  });

  it('refuses unmatched webhook events for an hour by default; the window is a whole number of ms up to 7 days', () => {
    expect(parseServerConfig({ auth, channels }, '/tmp').server.unmatchedEventRetryMs).to.equal(3_600_000);
    expect(parseServerConfig({ auth, channels, server: { unmatchedEventRetryMs: 0 } }, '/tmp').server.unmatchedEventRetryMs).to.equal(0);
    for (const bad of [-1, 1.5, 8 * 86_400_000, '3600000']) {
      expect(codeAndPath({ auth, channels, server: { unmatchedEventRetryMs: bad } }), String(bad)).to.deep.equal({ code: 'invalid_configuration', path: 'server.unmatchedEventRetryMs' });
    }
  });

  it('bounds connections by default (30 s to send a request, 72 s kept-alive idle, 512 at once); each is a whole number within its range', () => {
    expect(parseServerConfig({ auth, channels }, '/tmp').server).to.include({ requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, maxConnections: 512 });
    // A server section that sets other keys gets the same defaults.
    expect(parseServerConfig({ auth, channels, server: { port: 8080 } }, '/tmp').server).to.include({ requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, maxConnections: 512 });
    expect(parseServerConfig({ auth, channels, server: { requestTimeoutMs: 5000, keepAliveTimeoutMs: 5000, maxConnections: 10_000 } }, '/tmp').server).to.include({ requestTimeoutMs: 5000, keepAliveTimeoutMs: 5000, maxConnections: 10_000 });
    const refused: Array<[string, unknown]> = [
      // 0 would be fastify's "no limit at all".
      ['requestTimeoutMs', 0], ['requestTimeoutMs', 99], ['requestTimeoutMs', 600_001], ['requestTimeoutMs', 1.5], ['requestTimeoutMs', '30000'],
      ['keepAliveTimeoutMs', 0], ['keepAliveTimeoutMs', 999], ['keepAliveTimeoutMs', 600_001],
      ['maxConnections', 0], ['maxConnections', -1], ['maxConnections', 1_000_001], ['maxConnections', 2.5],
    ];
    for (const [key, bad] of refused) {
      expect(codeAndPath({ auth, channels, server: { [key]: bad } }), `${key}: ${String(bad)}`).to.deep.equal({ code: 'invalid_configuration', path: `server.${key}` });
    }
  });

  it('takes a lowercase server.databaseSchema, and refuses one PostgreSQL reserves (pg_) or could only name quoted', () => {
    expect(parseServerConfig({ auth, channels, server: { databaseSchema: 'payhost_1' } }, '/tmp').server.databaseSchema).to.equal('payhost_1');
    for (const bad of ['pg_payhost', 'Payhost', '9payhost', 'a'.repeat(64)]) {
      expect(codeAndPath({ auth, channels, server: { databaseSchema: bad } }), bad).to.deep.equal({ code: 'invalid_configuration', path: 'server.databaseSchema' });
    }
  });

  it('refuses a misspelt section or setting instead of dropping it', () => {
    expect(codeAndPath({ auth, channels, globalPlugin: {} })).to.deep.equal({ code: 'invalid_configuration', path: '' });
    expect(codeAndPath({ auth, channels, server: { prot: 8080 } })).to.deep.equal({ code: 'invalid_configuration', path: 'server' });
    expect(codeAndPath({ auth: { ...auth, adminKey: 'x' }, channels })).to.deep.equal({ code: 'invalid_configuration', path: 'auth' });
  });

  it('refuses short or shared API keys', () => {
    expect(codeAndPath({ auth: { ...auth, adminApiKey: 'short' }, channels }).code).to.equal('invalid_configuration');
    expect(codeAndPath({ auth: { adminApiKey: auth.paymentApiKey, paymentApiKey: auth.paymentApiKey }, channels }).code).to.equal('invalid_configuration');
  });

  it('refuses API keys with whitespace at either end or control characters (a secret with a trailing newline), naming the field, never the key', () => {
    const bad = ['payment-key-payment-key-1234\n', ' payment-key-payment-key-1234', 'payment-key-payment-key-1234\t', 'payment-key\u0000payment-key-1234', 'payment-key\rpayment-key-1234', 'payment-key-payment-key-1234\u00a0', 'payment-key\u007fpayment-key-1234'];
    for (const paymentApiKey of bad) {
      let error: { code?: string; message?: string; details?: unknown } = {};
      try {
        parseServerConfig({ auth: { ...auth, paymentApiKey }, channels }, '/tmp', {});
      } catch (err) {
        error = err as typeof error;
      }
      expect(error, JSON.stringify(paymentApiKey)).to.deep.include({ code: 'invalid_configuration', details: { field: 'auth.paymentApiKey' } });
      expect(error.message).to.include('auth.paymentApiKey').and.not.include('payment-key-');
    }
    // From the environment too (a Kubernetes secret mounted as an env var), for either key.
    const fromEnv = codeAndField({ auth: { ...auth, adminApiKey: '${ADMIN_KEY}' }, channels }, { ADMIN_KEY: 'admin-key-from-a-secret-99\n' });
    expect(fromEnv).to.deep.equal({ code: 'invalid_configuration', field: 'auth.adminApiKey' });
    // Spaces inside a key are fine: the presented token keeps them.
    expect(parseServerConfig({ auth: { ...auth, paymentApiKey: 'payment key with spaces 1234' }, channels }, '/tmp', {}).auth.paymentApiKey).to.equal('payment key with spaces 1234');
  });

  it('names an API key whose environment reference is unset or malformed by its full name (auth.adminApiKey), as server.pluginSettingsKey is named', () => {
    const refusalOf = (adminApiKey: string): { code?: string; message?: string; details?: unknown } => {
      try {
        parseServerConfig({ auth: { ...auth, adminApiKey }, channels }, '/tmp', {});
      } catch (err) {
        return err as { code?: string; message?: string; details?: unknown };
      }
      return expect.fail('expected invalid_configuration');
    };
    const unset = refusalOf('${ADMIN_NOT_SET}');
    expect(unset).to.deep.include({ code: 'invalid_configuration', message: 'Configuration field "auth.adminApiKey" references environment variable ADMIN_NOT_SET, which is not set' });
    expect(unset.details).to.deep.equal({ section: 'auth', field: 'auth.adminApiKey', variable: 'ADMIN_NOT_SET' });
    const malformed = refusalOf('${ADMIN-KEY}');
    expect(malformed.message).to.match(/^Configuration field "auth\.adminApiKey" holds a malformed environment reference/);
    expect(malformed.details).to.deep.include({ field: 'auth.adminApiKey' });
  });

  it('says where it looked and why when PostgreSQL cannot be reached at start, never the password in DATABASE_URL', async () => {
    // A port nothing listens on: the connection is refused at once.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const config = parseServerConfig({ auth, channels }, '/tmp', { DATABASE_URL: `postgres://payhost:hunter2-secret@127.0.0.1:${port}/ledger` });
    let caught: { code?: string; message?: string } = {};
    await openStore(config).catch((err) => (caught = err));
    expect(caught.code).to.equal('store_unavailable');
    expect(caught.message).to.include(`at 127.0.0.1:${port}/ledger (DATABASE_URL): connect ECONNREFUSED`);
    expect(caught.message).to.not.include('hunter2').and.not.include('idempotency key');
  });

  it('names the database and PostgreSQL\'s reason when it refuses the connection (no such database)', async () => {
    const url = new URL(process.env['PAYHOST_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
    url.pathname = `/payhost_missing_${Date.now()}`;
    const config = parseServerConfig({ auth, channels }, '/tmp', { DATABASE_URL: url.href });
    let caught: { code?: string; message?: string } = {};
    await openStore(config).catch((err) => (caught = err));
    expect(caught.code).to.equal('store_unavailable');
    expect(caught.message).to.include(`${url.pathname} (DATABASE_URL): database "${url.pathname.slice(1)}" does not exist`);
  });

  it('refuses to open the embedded database for a configuration that names a PostgreSQL schema without DATABASE_URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'payhost-schema-no-url-'));
    try {
      const config = parseServerConfig({ server: { databaseSchema: 'payhost', dataDir: 'data' }, auth, channels }, dir, {});
      let caught: { code?: string; message?: string; details?: unknown } = {};
      await openStore(config).catch((err) => (caught = err));
      expect(caught.code).to.equal('invalid_configuration');
      expect(caught.message).to.include('DATABASE_URL is not set');
      expect(caught.details).to.deep.equal({ field: 'server.databaseSchema' });
      expect(existsSync(join(dir, 'data')), 'no embedded database was created').to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
