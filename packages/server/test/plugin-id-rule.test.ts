import { expect } from 'chai';
import { MemoryLedgerStore, PLUGIN_ID_RULE } from '@payhost/core';
import { ADMIN_KEY, key, startServer, testConfigDocument, type TestServer } from './support/harness.js';

/**
 * The server checks plugin ids (a payment's `gateway`, the admin API's `:plugin`) by the rule the loader
 * loads plugins by: an id that loads can be addressed, and one that cannot load is refused saying the rule.
 */
describe('server: plugin ids follow core’s plugin id rule', () => {
  let t: TestServer;

  before(async () => {
    const document = testConfigDocument();
    document['plugins'] = [...(document['plugins'] as string[]), './edge-id-plugin.mjs'];
    const [us] = document['channels'] as Array<{ plugins: Record<string, unknown> }>;
    us!.plugins['@acme.card_v2-x'] = { active: true, configuration: { supported_currencies: 'USD' } };
    t = await startServer(document, {}, { store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  const pay = (gateway: string) => t.request('POST', '/payments', { body: { channel: 'us-store', amount: '10.00', currency: 'USD', token: 'tok', gateway }, idempotencyKey: key('id-rule') });

  it('an id using each allowed sign (@ . _ -) is taken by payments and the admin API', async () => {
    const paid = await pay('@acme.card_v2-x');
    expect(paid.status, paid.text).to.equal(201);
    expect(paid.body.payment.gateway).to.equal('@acme.card_v2-x');
    const read = await t.request('GET', '/admin/channels/us-store/plugins/@acme.card_v2-x', { key: ADMIN_KEY });
    expect(read.status, read.text).to.equal(200);
  });

  it('a gateway id the loader refuses is a 400 stating the rule (":" "+" "?" "/" a non-ASCII letter, "." and "..", over 200 characters)', async () => {
    for (const id of ['acme:card', 'zeta+gw', 'zeta?gw', 'acme/card', 'z\u00e9ta', '.', '..', 'a'.repeat(201)]) {
      const res = await pay(id);
      expect(res.status, `${id}: ${res.text}`).to.equal(400);
      expect(res.body.code, id).to.equal('invalid_input');
      const rule = id.length > 200 ? 'must be at most 200 characters long' : `must be a plugin id: ${PLUGIN_ID_RULE}`;
      expect(res.body.message, id).to.include(rule);
    }
  });

  it('the admin API refuses such an id in its path with the same rule (encoded, as a client sends it)', async () => {
    const res = await t.request('GET', `/admin/channels/us-store/plugins/${encodeURIComponent('acme:card')}`, { key: ADMIN_KEY });
    expect(res.status, res.text).to.equal(400);
    expect(res.body.message).to.include(`must be a plugin id: ${PLUGIN_ID_RULE}`);
  });
});
