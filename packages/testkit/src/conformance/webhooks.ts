import type { MochaLike, WebhookAdapter, WebhookDelivery } from './adapter.js';
import { assertConforms, checkWebhookResponse } from './checks.js';
import type { Harness } from './harness.js';
import { registerRefundEventTests } from './refund-events.js';

/** The headers without `name`, whatever the case it is written in. */
function withoutHeader(headers: WebhookDelivery['headers'], name: string): WebhookDelivery['headers'] {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name.toLowerCase()));
}

/** The body with one field added (JSON) or one byte appended: a signature over the body no longer matches. */
function tampered(body: Buffer): Buffer {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Buffer.from(JSON.stringify({ ...(parsed as object), conformance_tampered: true }), 'utf8');
    }
  } catch {
    // not JSON: append a byte below
  }
  return Buffer.concat([body, Buffer.from(' ')]);
}

/** Webhook signature checks: a good signature is accepted; a wrong secret, a missing signature header or an altered body rejected. */
export function registerWebhookTests<Env>(ui: MochaLike, h: Harness<Env>, webhooks: WebhookAdapter<Env>): void {
  const { describe, it } = ui;
  describe('webhook', () => {
    it('accepts a correctly signed webhook (2xx, well-formed events)', async () => {
      const charged = await h.webhookCharge();
      const response = await h.deliver(await webhooks.signed(charged));
      assertConforms(checkWebhookResponse(response, { expect: 'accepted' }), 'a correctly signed webhook');
    });

    it('rejects a webhook signed with a wrong secret (4xx, no events)', async () => {
      const charged = await h.webhookCharge();
      const response = await h.deliver(await webhooks.badlySigned(charged));
      assertConforms(checkWebhookResponse(response, { expect: 'rejected' }), 'a webhook signed with a wrong secret');
    });

    const header = webhooks.signatureHeader;
    if (header) {
      it(`rejects a webhook without its ${header} header`, async () => {
        const charged = await h.webhookCharge();
        const delivery = await webhooks.signed(charged);
        const response = await h.deliver({ ...delivery, headers: withoutHeader(delivery.headers, header) });
        assertConforms(checkWebhookResponse(response, { expect: 'rejected' }), `a webhook without its ${header} header`);
      });
    }

    if (webhooks.bodySigned !== false) {
      it('rejects a correctly signed webhook whose body was altered', async () => {
        const charged = await h.webhookCharge();
        const delivery = await webhooks.signed(charged);
        const response = await h.deliver({ ...delivery, rawBody: tampered(delivery.rawBody) });
        assertConforms(checkWebhookResponse(response, { expect: 'rejected' }), 'a signed webhook with an altered body');
      });
    }

    registerRefundEventTests(ui, h, webhooks);
  });
}
