import { FlutterwaveGatewayPlugin } from '@payhost/plugin-flutterwave';
import { describePluginConformance, type TokenContext } from '@payhost/testkit/conformance';
import { FakeFlutterwave } from '@payhost/testkit/flutterwave';
import { STATE_DIR, blockOutsideNetwork } from './helpers.js';

interface Env {
  fake: FakeFlutterwave;
  /** What each Inline checkout was told to charge (the plugin's client token), by tx_ref. */
  charged: Map<string, number>;
}

/** Flutterwave Inline as the customer completes it, for the plugin's client token. */
async function inline(ctx: TokenContext<Env>, status: 'successful' | 'failed' = 'successful'): Promise<string> {
  const token = JSON.parse(await ctx.clientToken()) as { tx_ref: string; amount: number; currency: string };
  ctx.env.charged.set(token.tx_ref, token.amount);
  const { transaction: _transaction, ...callback } = ctx.env.fake.pay({
    tx_ref: token.tx_ref,
    amount: token.amount,
    currency: token.currency,
    status,
    ...(status === 'failed' ? { processorResponse: 'Insufficient funds' } : {}),
  });
  return JSON.stringify(callback);
}

describe('flutterwave (conformance, against the fake Flutterwave)', () => {
  blockOutsideNetwork();

  describePluginConformance<Env>(FlutterwaveGatewayPlugin, {
    start: async () => ({ fake: await FakeFlutterwave.start(), charged: new Map() }),
    stop: ({ fake }) => fake.close(),
    configuration: ({ fake }) => ({
      public_key: fake.publicKey,
      secret_key: fake.secretKey,
      secret_hash: fake.secretHash,
      api_base_url: fake.baseUrl,
      supported_currencies: 'NGN, UGX',
      sdk_state_dir: STATE_DIR,
      sdk_telemetry: false,
    }),
    // Flutterwave has no three-decimal currency.
    currencies: { zero: 'UGX', two: 'NGN' },
    successToken: (ctx) => inline(ctx),
    declineToken: (ctx) => inline(ctx, 'failed'),
    // Flutterwave takes major units: a charge is what the plugin's client token told Inline, a refund what it posted.
    amountUnits: 'major',
    amountSent: (env, { operation, payment }) => {
      if (operation === 'refundPayment') return (env.fake.requests.at(-1)?.body as { amount?: unknown } | undefined)?.amount;
      const callback = JSON.parse(payment.token ?? '{}') as { tx_ref?: string };
      return env.charged.get(callback.tx_ref ?? '');
    },
    // The refund API takes no idempotency key (see the plugin's refundPayment): the ledger reconciles a lost answer instead.
    notIdempotent: { refund: 'the Flutterwave refund API takes no idempotency key' },
    // Flutterwave finds a charge by the Inline result (the token), not the key: a transaction it never had.
    transactionStatus: { unknownToken: () => JSON.stringify({ transaction_id: 987654321, tx_ref: 'conformance-never-paid' }) },
    webhooks: {
      signed: ({ env, response }) => env.fake.webhook('charge.completed', Number(response.pspReference)),
      badlySigned: ({ env, response }) => env.fake.webhook('charge.completed', Number(response.pspReference), { secretHash: 'not-the-secret-hash' }),
      signatureHeader: 'verif-hash',
      // verif-hash is a shared secret, not a signature of the body: the plugin re-verifies every event with the API instead.
      bodySigned: false,
    },
  });
});
