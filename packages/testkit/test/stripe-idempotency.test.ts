import { expect } from 'chai';
import Stripe from 'stripe';
import { FakeStripe } from '@payhost/testkit/stripe';

const SECRET_KEY = 'sk_test_testkitIdempotency';

interface SdkError {
  type?: string;
  statusCode?: number;
  message?: string;
  headers?: Record<string, string>;
}

async function failure(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the request to fail');
}

/**
 * Stripe's idempotency layer (https://docs.stripe.com/api/idempotent_requests):
 * the status and body of the first request with a key are saved once the
 * endpoint began executing and replayed to every retry with the key, 500s
 * included; parameter validation errors are not saved; another body under the
 * key is an idempotency_error; keys may be pruned after 24 hours.
 */
describe('testkit: the fake Stripe saves and replays idempotent results as Stripe does', () => {
  let fake: FakeStripe;
  const sdk = (): Stripe => new Stripe(SECRET_KEY, fake.sdkOptions());
  const intents = (): number => fake.state.account(null).paymentIntents.size;

  before(async () => {
    fake = await FakeStripe.start();
  });
  beforeEach(() => fake.reset());
  after(async () => fake.close());

  it('replays a success with Idempotent-Replayed: true, without running the request again', async () => {
    const first = await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-ok' });
    const again = await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-ok' });
    expect(again.id).to.equal(first.id);
    expect(first.lastResponse.headers['idempotent-replayed']).to.equal(undefined);
    expect(again.lastResponse.headers['idempotent-replayed']).to.equal('true');
    expect(intents()).to.equal(1);
    expect(fake.requestsTo('/v1/payment_intents', 'POST').map((r) => r.replayed)).to.deep.equal([false, true]);
  });

  it('saves an error the endpoint answered (a decline, a missing object, a refused state change) and replays it', async () => {
    const declined = await failure(sdk().paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true }, { idempotencyKey: 'k-402' }));
    const declinedAgain = await failure(sdk().paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true }, { idempotencyKey: 'k-402' }));
    expect([declined.statusCode, declinedAgain.statusCode]).to.deep.equal([402, 402]);
    expect(declinedAgain.headers?.['idempotent-replayed']).to.equal('true');
    expect(intents()).to.equal(1);

    const missing = await failure(sdk().refunds.create({ payment_intent: 'pi_missing' }, { idempotencyKey: 'k-404' }));
    expect(missing.statusCode).to.equal(404);
    const unconfirmed = await sdk().paymentIntents.create({ amount: 100, currency: 'usd' });
    const capture = () => sdk().paymentIntents.capture(unconfirmed.id, {}, { idempotencyKey: 'k-400' });
    expect((await failure(capture())).statusCode).to.equal(400);
    const replayed = await failure(capture());
    expect(replayed.statusCode).to.equal(400);
    expect(replayed.headers?.['idempotent-replayed']).to.equal('true');
    expect(fake.requestsTo(/\/v1\/(refunds|payment_intents\/.+\/capture)$/).map((r) => [r.status, r.replayed])).to.deep.equal([
      [404, false],
      [400, false],
      [400, true],
    ]);
  });

  it('saves a 500 the endpoint answered, before or after its effects: the retry gets the same 500 (replayed), never a fresh run', async () => {
    fake.failNext({ status: 500, saved: true });
    const first = await failure(sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-500' }));
    const retry = await failure(sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-500' }));
    expect([first.statusCode, retry.statusCode]).to.deep.equal([500, 500]);
    expect(first.headers?.['idempotent-replayed']).to.equal(undefined);
    expect(retry.headers?.['idempotent-replayed']).to.equal('true');
    expect(retry.message).to.equal(first.message);
    expect(intents()).to.equal(0);

    fake.failNext({ status: 500, saved: true, afterProcessing: true });
    await failure(sdk().paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }, { idempotencyKey: 'k-500-charged' }));
    expect(intents()).to.equal(1);
    const replayed = await failure(sdk().paymentIntents.create({ amount: 100, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }, { idempotencyKey: 'k-500-charged' }));
    expect(replayed.statusCode).to.equal(500);
    expect(intents()).to.equal(1);
    // A new key runs the request.
    await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-500-new' });
    expect(intents()).to.equal(2);
  });

  it('saves nothing for a fault before the endpoint executed (network level), a parameter that fails validation, a bad key or an unknown URL', async () => {
    fake.failNext({ status: 502 });
    expect((await failure(sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-net' }))).statusCode).to.equal(502);
    const ran = await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-net' });
    expect(ran.lastResponse.headers['idempotent-replayed']).to.equal(undefined);

    expect((await failure(sdk().paymentIntents.create({ amount: 0, currency: 'usd' }, { idempotencyKey: 'k-invalid' }))).statusCode).to.equal(400);
    const fixed = await failure(sdk().paymentIntents.create({ amount: 0, currency: 'usd' }, { idempotencyKey: 'k-invalid' }));
    expect(fixed.headers?.['idempotent-replayed']).to.equal(undefined);

    const bad = new Stripe('sk_test_', fake.sdkOptions());
    expect((await failure(bad.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-auth' }))).statusCode).to.equal(401);
    const authorized = await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-auth' });
    expect(authorized.lastResponse.headers['idempotent-replayed']).to.equal(undefined);
    expect(intents()).to.equal(2);
  });

  it('a saved response lost on the way back (afterProcessing) is replayed to the retry', async () => {
    fake.failNext({ status: 502, afterProcessing: true });
    expect((await failure(sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-lost' }))).statusCode).to.equal(502);
    const retry = await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-lost' });
    expect(retry.lastResponse.headers['idempotent-replayed']).to.equal('true');
    expect(intents()).to.equal(1);
  });

  it('answers another body under a saved key with a 400 idempotency_error, per account', async () => {
    await sdk().paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'k-body' });
    const other = await failure(sdk().paymentIntents.create({ amount: 200, currency: 'usd' }, { idempotencyKey: 'k-body' }));
    expect(other).to.include({ type: 'StripeIdempotencyError', statusCode: 400 });
    // The same key on a connected account is another key.
    await sdk().paymentIntents.create({ amount: 200, currency: 'usd' }, { idempotencyKey: 'k-body', stripeAccount: 'acct_other1' });
  });

  it('keeps a key 24 hours: an hour later it still replays; once pruned the same key runs the request again', async () => {
    const first = await sdk().customers.create({ metadata: { n: '1' } }, { idempotencyKey: 'k-day' });
    fake.advanceClock(23 * 60 * 60 * 1000);
    expect((await sdk().customers.create({ metadata: { n: '1' } }, { idempotencyKey: 'k-day' })).id).to.equal(first.id);
    fake.advanceClock(60 * 60 * 1000);
    const after = await sdk().customers.create({ metadata: { n: '1' } }, { idempotencyKey: 'k-day' });
    expect(after.id).to.not.equal(first.id);
    expect(after.lastResponse.headers['idempotent-replayed']).to.equal(undefined);
    // And explicitly, as Stripe may prune any key at least 24 hours old.
    fake.expireIdempotencyKeys();
    expect((await sdk().customers.create({ metadata: { n: '2' } }, { idempotencyKey: 'k-day' })).id).to.not.equal(after.id);
  });
});
