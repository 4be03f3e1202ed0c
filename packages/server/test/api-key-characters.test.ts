import { expect } from 'chai';
import { parseServerConfig } from '@payhost/server';

const auth = { adminApiKey: 'admin-key-admin-key-1234', paymentApiKey: 'payment-key-payment-key-1234' };
const channels = [{ slug: 'web', currencies: ['USD'], plugins: {} }];

function refusal(document: unknown, env: NodeJS.ProcessEnv = {}): { code?: string; message?: string; details?: unknown } {
  try {
    parseServerConfig(document, '/tmp', env);
  } catch (err) {
    return err as { code?: string; message?: string; details?: unknown };
  }
  return {};
}

describe('server configuration: API keys a client can present', () => {
  it('a key outside printable ASCII could never be sent: fetch refuses the header', () => {
    // Why the rule exists: a browser or Node fetch cannot present such a key at all.
    expect(() => new Headers({ authorization: 'Bearer admin-ключ-0123456789' })).to.throw(TypeError);
  });

  it('refuses a key with a character outside printable ASCII at start, naming the field and reason, never the key', () => {
    const bad = ['admin-ключ-0123456789', 'admin-key-café-0123456789', 'admin-key-\u{1f511}-0123456789', 'admin-key-\u00e9\u00e9-0123456789'];
    for (const adminApiKey of bad) {
      const error = refusal({ auth: { ...auth, adminApiKey }, channels });
      expect(error, adminApiKey).to.deep.include({ code: 'invalid_configuration', details: { field: 'auth.adminApiKey', reason: 'key_not_printable_ascii' } });
      expect(error.message).to.include('auth.adminApiKey').and.not.include('admin-key').and.not.include('ключ');
    }
    // The payment key, and one read from the environment, alike.
    const fromEnv = refusal({ auth: { ...auth, paymentApiKey: '${PAYMENT_KEY}' }, channels }, { PAYMENT_KEY: 'payment-ключ-0123456789' });
    expect(fromEnv).to.deep.include({ code: 'invalid_configuration', details: { field: 'auth.paymentApiKey', reason: 'key_not_printable_ascii' } });
  });

  it('takes every printable ASCII character (inner spaces included)', () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    const config = parseServerConfig({ auth: { ...auth, adminApiKey: printable, paymentApiKey: 'a key with inner spaces 0123' }, channels }, '/tmp', {});
    expect(config.auth).to.deep.equal({ adminApiKey: printable, paymentApiKey: 'a key with inner spaces 0123' });
  });
});
