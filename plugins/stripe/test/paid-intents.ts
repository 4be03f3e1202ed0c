import { expect } from 'chai';
import Stripe from 'stripe';
import type { PaymentService, PluginManager } from '@payhost/core';
import type { FakeStripe, Json } from '@payhost/testkit/stripe';
import { CHANNEL, GATEWAY, RETURN_URL, SECRET_KEY, WEBHOOK_SECRET, applyWebhookEvents, call, dec, key, makePlugin, rejection } from './helpers.js';

/** One PaymentIntent's path (its read, and its update). */
export const INTENT_PATH = /^\/v1\/payment_intents\/pi_\w+$/;

/** Stripe's error bodies for a rate limit (429) and a refused key (401, 403). */
export const REFUSALS: Record<number, Json> = {
  429: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests made to the API too quickly' } },
  401: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' } },
  403: { error: { type: 'invalid_request_error', message: 'The provided key does not have the required permissions' } },
};

/** A client-token intent naming no payment, confirmed (paid) in the browser as Stripe.js does. */
export async function paidInBrowser(fake: FakeStripe): Promise<string> {
  const secret = await call(makePlugin(fake).getClientToken({ amount: dec('10.00'), currency: 'USD' }, null));
  const id = secret.split('_secret_')[0] ?? '';
  await new Stripe(SECRET_KEY, fake.sdkOptions()).paymentIntents.confirm(id, { payment_method: 'pm_card_visa', return_url: RETURN_URL });
  expect(fake.paymentIntent(id)['status']).to.equal('succeeded');
  return id;
}

/** The latest payment_intent.succeeded delivered through the manager (answered 200) and applied to the ledger. */
export async function succeededWebhook(fake: FakeStripe, service: PaymentService, manager: PluginManager): Promise<string[]> {
  const answer = await manager.webhook({ channel: CHANNEL, plugin: GATEWAY, ...fake.webhook(fake.lastEvent('payment_intent.succeeded'), WEBHOOK_SECRET) });
  expect(answer?.status).to.equal(200);
  return applyWebhookEvents(service, answer ?? {});
}

/** Runs `use` with the ledger, and closes its manager after, whatever the outcome. */
export async function withLedger<L extends { manager: PluginManager }>(ledger: L, use: (ledger: L) => Promise<void>): Promise<void> {
  try {
    await use(ledger);
  } finally {
    await ledger.manager.close();
  }
}

/**
 * Processes the 10.00 USD payment paid by `intentId` after the caller made Stripe fail for now (the call and the
 * ledger's status check right after it): held for review, not failed; reconciliation then records the charge, and
 * the intent's payment_intent.succeeded webhook finds it applied.
 */
export async function expectHeldThenReconciled(fake: FakeStripe, { manager, service }: { manager: PluginManager; service: PaymentService }, paymentId: string, intentId: string): Promise<void> {
  const err = await rejection(service.process({ paymentId, idempotencyKey: key() }));
  expect(err.code).to.equal('outcome_unknown');
  const [held] = await service.listTransactions(paymentId);
  expect(held).to.deep.include({ kind: 'capture', state: 'review' });
  expect((await service.getPayment(paymentId)).chargeStatus).to.equal('not-charged');

  const report = await service.reconcile({ minAgeMs: 0 });
  expect(report.applied).to.deep.equal([held?.id]);
  const charged = await service.getPayment(paymentId);
  expect(charged).to.deep.include({ chargeStatus: 'fully-charged', pspReference: intentId });
  expect(charged.capturedAmount.eq('10')).to.equal(true);
  expect(await succeededWebhook(fake, service, manager)).to.deep.equal(['already_applied']);
}
