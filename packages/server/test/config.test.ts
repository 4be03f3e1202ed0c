import { expect } from 'chai';
import { parseServerConfig } from '@payhost/server';

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

describe('server configuration file', () => {
  it('reads a minimal file, with defaults and an editor $schema hint', () => {
    const config = parseServerConfig({ $schema: './payhost.schema.json', auth, channels }, '/srv/payhost');
    expect(config.server).to.include({ port: 3000, host: '127.0.0.1', dataDir: '/srv/payhost/.payhost-data' });
    expect(config.host.channels).to.deep.equal(channels);
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
});
