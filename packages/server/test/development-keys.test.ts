import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createLogger, MemoryLedgerStore } from '@payhost/core';
import { createServer, loadServerConfig, parseServerConfig, type ServerConfig } from '@payhost/server';
import { here } from './support/harness.js';

const SHIPPED_CONFIG = join(here, '..', '..', '..', '..', 'payhost.config.json');
const DEV_KEYS = ['dev-admin-key-change-me', 'dev-payment-key-change-me'];
const OWN_ADMIN_KEY = 'own-admin-key-0123456789abcdef';
const OWN_PAYMENT_KEY = 'own-payment-key-0123456789abcdef';

interface Started {
  error: { code?: string; message?: string; details?: Record<string, unknown> } | null;
  logs: string[];
}

/** createServer on a memory store (closed again when it starts): the error it threw, and the log lines. */
async function start(config: ServerConfig): Promise<Started> {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  try {
    const server = await createServer(config, { logger, store: { store: new MemoryLedgerStore(), kind: 'memory' } });
    await server.close();
    return { error: null, logs };
  } catch (err) {
    return { error: err as Started['error'], logs };
  }
}

/** A small configuration whose keys are written in the file, not read from the environment. */
function literalKeys(host: string, adminApiKey = DEV_KEYS[0] as string): ServerConfig {
  return parseServerConfig(
    {
      server: { host, port: 0, checkout: false },
      auth: { adminApiKey, paymentApiKey: OWN_PAYMENT_KEY },
      plugins: ['@payhost/plugin-dummy'],
      channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true } } }],
    },
    here,
    {},
  );
}

describe('server: the development API keys of payhost.config.json', () => {
  it('the shipped file listens on 127.0.0.1 and starts with no environment, warning that the development keys are in use (never printing them)', async () => {
    const config = await loadServerConfig(SHIPPED_CONFIG, {});
    expect(config.server.host).to.equal('127.0.0.1');
    const { error, logs } = await start(config);
    expect(error).to.equal(null);
    const warnings = logs.map((line) => JSON.parse(line) as { level: number; msg: string; fields?: string[] }).filter((line) => line.level === 40 && line.fields);
    expect(warnings).to.have.length(1);
    expect(warnings[0]?.fields).to.deep.equal(['auth.adminApiKey', 'auth.paymentApiKey']);
    expect(warnings[0]?.msg).to.include('set PAYHOST_ADMIN_KEY and PAYHOST_PAYMENT_KEY');
    for (const key of DEV_KEYS) expect(logs.join('\n')).to.not.include(key);
  });

  it('refuses to start on 0.0.0.0 with them, before opening anything, naming the environment variables to set and never a key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'payhost-dev-keys-'));
    try {
      const config = await loadServerConfig(SHIPPED_CONFIG, {});
      config.server.host = '0.0.0.0';
      config.server.dataDir = join(dir, 'data');
      const logs: string[] = [];
      const logger = createLogger({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
      // No store given: a start that got as far as opening one would create the embedded database.
      const error = await createServer(config, { logger }).then(
        async (server) => {
          await server.close();
          return null;
        },
        (err: unknown) => err as Started['error'],
      );
      expect(error?.code).to.equal('invalid_configuration');
      expect(error?.details).to.deep.include({ reason: 'development_api_keys', fields: ['auth.adminApiKey', 'auth.paymentApiKey'], host: '0.0.0.0' });
      expect(error?.message).to.include('set PAYHOST_ADMIN_KEY and PAYHOST_PAYMENT_KEY to secrets of your own').and.include('"0.0.0.0"');
      for (const key of DEV_KEYS) expect(error?.message).to.not.include(key);
      expect(existsSync(config.server.dataDir), 'no embedded database was opened').to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names only the key still at its development value; with both set, starts on 0.0.0.0 without a warning', async () => {
    const one = await loadServerConfig(SHIPPED_CONFIG, { PAYHOST_ADMIN_KEY: OWN_ADMIN_KEY });
    one.server.host = '0.0.0.0';
    const refused = await start(one);
    expect(refused.error?.details).to.deep.include({ reason: 'development_api_keys', fields: ['auth.paymentApiKey'] });
    expect(refused.error?.message).to.include('set PAYHOST_PAYMENT_KEY to a secret of your own').and.not.include('PAYHOST_ADMIN_KEY');

    // The variable set, to a development key: refused as well.
    const copied = await loadServerConfig(SHIPPED_CONFIG, { PAYHOST_ADMIN_KEY: OWN_ADMIN_KEY, PAYHOST_PAYMENT_KEY: 'dev-admin-key-change-me' });
    copied.server.host = '0.0.0.0';
    expect((await start(copied)).error?.details).to.deep.include({ fields: ['auth.paymentApiKey'] });

    const both = await loadServerConfig(SHIPPED_CONFIG, { PAYHOST_ADMIN_KEY: OWN_ADMIN_KEY, PAYHOST_PAYMENT_KEY: OWN_PAYMENT_KEY });
    both.server.host = '0.0.0.0';
    // With both keys set, the file's demo checkout (its API takes no key) is what is still refused there.
    expect((await start(both)).error?.details).to.deep.include({ reason: 'checkout_on_public_host', host: '0.0.0.0' });
    both.server.checkout = false;
    const started = await start(both);
    expect(started.error).to.equal(null);
    expect(started.logs.filter((line) => line.includes('development key'))).to.deep.equal([]);
  });

  it('takes loopback hosts only as loopback (127.0.0.0/8, ::1, localhost); a key written in the file is named by its field', async () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
      expect((await start(literalKeys(host))).error, host).to.equal(null);
    }
    for (const host of ['0.0.0.0', '::', '', '192.168.1.10', '10.0.0.1', 'payhost.example.com', '127.0.0.1.nip.io', 'localhost.example.com']) {
      const { error } = await start(literalKeys(host));
      expect(error?.details, host).to.deep.include({ reason: 'development_api_keys', fields: ['auth.adminApiKey'] });
      expect(error?.message).to.include('set auth.adminApiKey to a secret of your own');
    }
    expect((await start(literalKeys('0.0.0.0', OWN_ADMIN_KEY))).error).to.equal(null);
  });

  it('refuses to listen when the host was changed to a public one after the server was built', async () => {
    const config = literalKeys('127.0.0.1');
    const server = await createServer(config, { logger: createLogger({ level: 'silent' }), store: { store: new MemoryLedgerStore(), kind: 'memory' } });
    try {
      config.server.host = '0.0.0.0';
      const error = await server.listen().then(() => null, (err: unknown) => err as Started['error']);
      expect(error?.details).to.deep.include({ reason: 'development_api_keys' });
      expect(server.app.server.listening).to.equal(false);
    } finally {
      await server.close();
    }
  });
});
