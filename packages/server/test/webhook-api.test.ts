import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { MemoryLedgerStore } from '@payhost/core';
import { ADMIN_KEY, WEBHOOK_SECRET, key, leakingLines, signWebhook, startTestServer, type TestServer } from './support/harness.js';

describe('server API over HTTP: plugin webhooks', () => {
  let t: TestServer;

  before(async () => {
    t = await startTestServer({ store: new MemoryLedgerStore(), kind: 'memory' });
  });
  after(async () => {
    await t.close();
  });

  /** Delivers `body` to the test gateway's webhook in `channel`, signed with its secret. */
  const deliver = (body: string, channel = 'us-store') =>
    t.request('POST', `/plugins/channel/${channel}/test.signed/webhook`, { key: null, raw: body, headers: { 'content-type': 'application/json', 'x-test-signature': signWebhook(body) } });
  /** An authorization on the signed test gateway in us-store, for its webhooks to settle. */
  const authorizeSigned = (amount: string) =>
    t.request('POST', '/payments', {
      body: { channel: 'us-store', gateway: 'test.signed', currency: 'USD', amount, token: 'sig-token', action: 'authorize' },
      idempotencyKey: key(),
    });

  it('applies a signed event once through the ledger inbox', async () => {
    const created = await authorizeSigned('7.00');
    expect(created.status).to.equal(201);
    const id = created.body.payment.id;
    const body = JSON.stringify({ id: `evt-${id}`, paymentId: id, amount: '7.00', currency: 'USD' });
    const post = () => deliver(body);
    const first = await post();
    expect(first.status).to.equal(200);
    expect(first.body).to.deep.equal({ received: true });
    const second = await post();
    expect(second.status).to.equal(200);
    const fetched = await t.request('GET', `/payments/${id}`);
    expect(fetched.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '7.00' });
    expect(fetched.body.transactions.filter((x: { kind: string; isSuccess: boolean }) => x.kind === 'capture' && x.isSuccess)).to.have.length(1);
  });

  it('acknowledges a signed event for a payment this ledger does not know, logs it, and records nothing', async () => {
    // Another system or deployment sharing the processor account: a refusal would make the processor retry for days.
    const stranger = randomUUID();
    const body = JSON.stringify({ id: `evt-${stranger}`, paymentId: stranger, amount: '3.00', currency: 'USD' });
    const logged = t.logs.length;
    const res = await deliver(body);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ received: true });
    const fetched = await t.request('GET', `/payments/${stranger}`);
    expect(fetched.status).to.equal(404);
    const warnings = t.logs.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line['msg'] === 'webhook event for an unknown payment: acknowledged, not applied');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ level: 40, gateway: 'test.signed', eventId: `evt-${stranger}`, paymentId: stranger });
  });

  it('refuses (404) an event that only carries a processor reference no payment has yet, so the processor retries it', async () => {
    const body = JSON.stringify({ id: `evt-${randomUUID()}`, amount: '3.00', currency: 'USD' });
    const res = await deliver(body);
    expect(res.status).to.equal(404);
    expect(res.body.code).to.equal('payment_not_found');
  });

  it('acknowledges a reference-only event that no payment holds once it is older than the retry window, and logs it', async () => {
    // A payment link or another system on the processor account: refused forever, the processor would disable the endpoint.
    const reference = `sig_${randomUUID()}`;
    const createdAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const body = JSON.stringify({ id: `evt-${reference}`, pspReference: reference, amount: '3.00', currency: 'USD', createdAt });
    const logged = t.logs.length;
    const res = await deliver(body);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ received: true });
    const warnings = t.logs.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => String(line['msg']).includes('past the retry window'));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ level: 40, gateway: 'test.signed', eventId: `evt-${reference}`, pspReference: reference, retryMs: 3_600_000 });
    expect(warnings[0]?.['ageMs']).to.be.within(2 * 3_600_000, 2 * 3_600_000 + 60_000);
  });

  it('still refuses a reference-only event inside the retry window, or dated in the future', async () => {
    for (const offset of [-60_000, 10 * 60_000]) {
      const createdAt = new Date(Date.now() + offset).toISOString();
      const body = JSON.stringify({ id: `evt-${randomUUID()}`, pspReference: `sig_${randomUUID()}`, amount: '3.00', currency: 'USD', createdAt });
      const res = await deliver(body);
      expect(res.status, `created ${offset} ms from now`).to.equal(404);
      expect(res.body.code).to.equal('payment_not_found');
    }
  });

  it('applies an old event that matches a payment by its reference (the window only covers events no payment holds)', async () => {
    const created = await authorizeSigned('4.00');
    expect(created.status).to.equal(201);
    const id = created.body.payment.id;
    const createdAt = new Date(Date.now() - 5 * 3_600_000).toISOString();
    const res = await deliver(JSON.stringify({ id: `evt-old-${id}`, pspReference: created.body.payment.pspReference, amount: '4.00', currency: 'USD', createdAt }));
    expect(res.status).to.equal(200);
    const fetched = await t.request('GET', `/payments/${id}`);
    expect(fetched.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '4.00' });
  });

  it('refuses a bad signature without touching the ledger, and 404s unknown or inactive plugins', async () => {
    const body = JSON.stringify({ id: 'evt-bad', paymentId: 'x', amount: '1.00', currency: 'USD' });
    const bad = await t.request('POST', '/plugins/channel/us-store/test.signed/webhook', { key: null, raw: body, headers: { 'content-type': 'application/json', 'x-test-signature': 'deadbeef' } });
    expect(bad.status).to.equal(400);
    expect(bad.body.code).to.equal('invalid_signature');
    const unknown = await t.request('POST', '/plugins/channel/us-store/nope/webhook', { key: null, raw: '{}' });
    expect(unknown.status).to.equal(404);
    const inactive = await t.request('POST', '/plugins/channel/eu-store/test.signed/webhook', { key: null, raw: '{}' });
    expect(inactive.status).to.equal(404);
    const global = await t.request('POST', '/plugins/global/test.audit/anything', { key: null, raw: '{}' });
    expect(global.status).to.equal(404);
    expect(global.body.code).to.equal('unknown_plugin');
    // A per-channel gateway's webhooks sent to the global endpoint: the answer says where they go.
    const misplaced = await t.request('POST', '/plugins/global/test.signed/webhook', { key: null, raw: '{}' });
    expect(misplaced.status).to.equal(404);
    expect(misplaced.body).to.include({ code: 'unknown_plugin', message: `Plugin "test.signed" is configured per channel: its webhooks go to each channel's endpoint, not the global one` });
    expect(unknown.body.message).to.equal('No active plugin "nope" here');
  });

  it("acknowledges an event received on another channel's endpoint without changing the payment; its own channel applies it", async () => {
    // One processor account for two channels: each channel's endpoint receives every event.
    const activate = (active: boolean) =>
      t.request('PUT', '/admin/channels/eu-store/plugins/test.signed', { key: ADMIN_KEY, body: { active, configuration: { supported_currencies: 'EUR', webhook_secret: WEBHOOK_SECRET } } });
    expect((await activate(true)).status).to.equal(200);
    try {
      const created = await authorizeSigned('4.00');
      const id = created.body.payment.id;
      const body = JSON.stringify({ id: `evt-${id}`, paymentId: id, amount: '4.00', currency: 'USD' });
      expect((await deliver(body, 'eu-store')).status).to.equal(200);
      const untouched = await t.request('GET', `/payments/${id}`);
      expect(untouched.body.payment).to.include({ chargeStatus: 'not-charged', capturedAmount: '0.00' });
      expect((await deliver(body, 'us-store')).status).to.equal(200);
      const applied = await t.request('GET', `/payments/${id}`);
      expect(applied.body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '4.00' });
    } finally {
      await activate(false);
    }
  });

  it("acknowledges (200) an event from one gateway's endpoint naming a payment of another, logging a warning; the payment's own gateway still applies its events", async () => {
    const created = await authorizeSigned('3.00');
    const id = created.body.payment.id;
    const logged = t.logs.length;
    // The global test.answers plugin's event names the test.signed payment (a capture of 1.00).
    const other = await t.request('POST', '/plugins/global/test.answers/webhook', { key: null, raw: JSON.stringify({ mode: 'valid', paymentId: id }), headers: { 'content-type': 'application/json' } });
    expect(other.status).to.equal(200);
    const lines = t.logs.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(other.body).to.deep.equal({ path: '/webhook' });
    expect(lines.find((line) => line['msg'] === 'webhook event names a payment of another gateway: acknowledged, not applied')).to.include({ level: 40, eventGateway: 'test.answers', paymentGateway: 'test.signed', paymentId: id });
    // The server's line for the delivery (info: the ledger's line above is the one warning): its endpoint, not the generic 'webhook event'.
    const served = lines.filter((line) => line['eventId'] === `evt-${id}` && line['gateway'] === 'test.answers');
    expect(served.map((line) => [line['level'], line['msg']])).to.deep.equal([[30, "webhook event for another gateway's payment: acknowledged, not applied"]]);
    expect(served[0]).to.include({ status: 'other_gateway', channel: null, payment: id, paymentGateway: 'test.signed', type: 'capture' });
    expect((await t.request('GET', `/payments/${id}`)).body.payment).to.include({ chargeStatus: 'not-charged', capturedAmount: '0.00' });
    expect((await deliver(JSON.stringify({ id: `evt-${id}`, paymentId: id, amount: '3.00', currency: 'USD' }))).status).to.equal(200);
    expect((await t.request('GET', `/payments/${id}`)).body.payment).to.include({ chargeStatus: 'fully-charged', capturedAmount: '3.00' });
  });

  it('acknowledges (200, the plugin\'s answer) a refund event the ledger holds for review, logging a warning; its repeat too, nothing counted', async () => {
    const created = await authorizeSigned('5.00');
    const id = created.body.payment.id;
    expect((await deliver(JSON.stringify({ id: `evt-cap-${id}`, paymentId: id, amount: '5.00', currency: 'USD' }))).status).to.equal(200);
    const logged = t.logs.length;
    // A dashboard refund of more than is captured: the ledger cannot count it (held for review), the processor's retry would change nothing.
    const refund = (eventId: string) => JSON.stringify({ id: eventId, paymentId: id, amount: '8.00', currency: 'USD', kind: 'refund', transactionId: `re_${id}` });
    for (const eventId of [`evt-re-${id}`, `evt-re-again-${id}`]) {
      const res = await deliver(refund(eventId));
      expect([res.status, res.body], eventId).to.deep.equal([200, { received: true }]);
    }
    const lines = t.logs.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>);
    const held = lines.filter((line) => line['status'] === 'held');
    expect(held.map((line) => [line['level'], line['msg'], line['eventId']])).to.deep.equal([
      [40, 'webhook refund event held for review: acknowledged, nothing counted until a person resolves it (/admin/review)', `evt-re-${id}`],
      [40, 'webhook refund event held for review: acknowledged, nothing counted until a person resolves it (/admin/review)', `evt-re-again-${id}`],
    ]);
    const read = await t.request('GET', `/payments/${id}`);
    const review = read.body.transactions.filter((x: { state: string }) => x.state === 'review');
    expect(review).to.have.length(1);
    expect(held[0]).to.include({ gateway: 'test.signed', channel: 'us-store', payment: id, type: 'refund', transaction: review[0].id });
    expect(held[1]).to.include({ transaction: review[0].id });
    expect(read.body.payment).to.include({ capturedAmount: '5.00', chargeStatus: 'fully-charged' });
  });

  // Last: every request above has been logged by then.
  it('wrote no configured secret or API key to any log line', () => {
    expect(t.logs.length).to.be.greaterThan(5);
    expect(leakingLines(t.logs, [])).to.deep.equal([]);
  });
});
