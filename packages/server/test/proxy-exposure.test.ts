import { join } from 'node:path';
import { expect } from 'chai';
import { createLogger, MemoryLedgerStore } from '@payhost/core';
import { createServer, loadServerConfig, parseServerConfig, type ServerConfig } from '@payhost/server';
import { fixturesDir, here, testConfigDocument } from './support/harness.js';

const SHIPPED_CONFIG = join(here, '..', '..', '..', '..', 'payhost.config.json');
const DEV_KEYS = ['dev-admin-key-change-me', 'dev-payment-key-change-me'];

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

/**
 * The setup operating.md recommends: nginx on the same machine, payhost on 127.0.0.1, server.trustProxy
 * naming the proxy. The host is loopback, yet the proxy forwards the internet's requests: the development
 * keys and the keyless checkout are refused there as on a public host.
 */
describe('server: a loopback host behind a trusted reverse proxy is not private to this machine', () => {
  it('refuses the development keys (development_api_keys) when server.trustProxy is set, saying why; never printing a key', async () => {
    for (const trustProxy of ['127.0.0.1', ['127.0.0.1'], 'loopback', 1, true]) {
      const config = await loadServerConfig(SHIPPED_CONFIG, {});
      config.server.checkout = false;
      config.server.trustProxy = parseServerConfig({ ...testConfigDocument(), server: { trustProxy } }, fixturesDir, {}).server.trustProxy;
      const { error } = await start(config);
      expect(error?.code, JSON.stringify(trustProxy)).to.equal('invalid_configuration');
      expect(error?.details).to.deep.include({ reason: 'development_api_keys', fields: ['auth.adminApiKey', 'auth.paymentApiKey'], host: '127.0.0.1' });
      expect(error?.message).to.include('server.trustProxy is set').and.include('a proxy forwards other machines\' requests');
      expect(error?.message).to.include('set PAYHOST_ADMIN_KEY and PAYHOST_PAYMENT_KEY to secrets of your own');
      for (const key of DEV_KEYS) expect(error?.message).to.not.include(key);
    }
  });

  it('refuses the public checkout without server.checkoutOnPublicHost (checkout_on_public_host); acknowledged, it starts', async () => {
    const document = testConfigDocument();
    const server = { ...(document['server'] as object), host: '127.0.0.1', checkout: true, trustProxy: '127.0.0.1' };
    const { error } = await start(parseServerConfig({ ...document, server }, fixturesDir, {}));
    expect(error?.code).to.equal('invalid_configuration');
    expect(error?.details).to.deep.include({ field: 'server.checkout', host: '127.0.0.1', reason: 'checkout_on_public_host' });
    expect(error?.message).to.include('server.trustProxy is set').and.include('server.checkoutOnPublicHost');
    const acknowledged = await start(parseServerConfig({ ...document, server: { ...server, checkoutOnPublicHost: true } }, fixturesDir, {}));
    expect(acknowledged.error).to.equal(null);
    expect(acknowledged.logs.some((line) => (JSON.parse(line) as { msg: string }).msg.startsWith('server.checkout is on a host other machines can reach'))).to.equal(true);
  });

  it('the review\'s configuration (127.0.0.1, trustProxy "127.0.0.1", checkout on, the development keys) is refused', async () => {
    const config = await loadServerConfig(SHIPPED_CONFIG, {});
    config.server.trustProxy = ['127.0.0.1'];
    expect((await start(config)).error?.details).to.deep.include({ reason: 'development_api_keys' });
    // With keys of its own, the checkout is what is still refused.
    const keyed = await loadServerConfig(SHIPPED_CONFIG, { PAYHOST_ADMIN_KEY: 'own-admin-key-0123456789abcdef', PAYHOST_PAYMENT_KEY: 'own-payment-key-0123456789abcdef' });
    keyed.server.trustProxy = ['127.0.0.1'];
    expect((await start(keyed)).error?.details).to.deep.include({ reason: 'checkout_on_public_host' });
  });

  it('without server.trustProxy (the shipped file, npm start) both are accepted on 127.0.0.1 as before, with the development keys\' warning', async () => {
    const config = await loadServerConfig(SHIPPED_CONFIG, {});
    expect(config.server).to.include({ host: '127.0.0.1', checkout: true, trustProxy: false });
    const { error, logs } = await start(config);
    expect(error).to.equal(null);
    const warnings = logs.map((line) => JSON.parse(line) as { level: number; fields?: string[] }).filter((line) => line.level === 40 && line.fields);
    expect(warnings.map((line) => line.fields)).to.deep.equal([['auth.adminApiKey', 'auth.paymentApiKey']]);
  });
});
