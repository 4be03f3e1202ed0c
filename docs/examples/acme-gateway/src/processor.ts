import { createHmac } from 'node:crypto';

/**
 * The Acme processor's API as the plugin sees it. A real plugin calls the
 * processor over HTTPS here; this example keeps the processor in memory (like
 * the seeds' fake processor backend) so it runs anywhere, with no network.
 */
export interface AcmeCharge {
  id: string;
  /** Amounts in minor units (cents), as most processors count them. */
  amount: number;
  refunded: number;
  currency: string;
  /** What the merchant attached (the host's payment id): Acme echoes it in its webhook events. */
  metadata: Record<string, string>;
}

export interface AcmeRefund {
  id: string;
  chargeId: string;
  amount: number;
  currency: string;
}

/** Acme's own error codes; the plugin maps them onto payhost's unified codes. */
export type AcmeErrorCode = 'card_declined' | 'insufficient_funds' | 'expired_card' | 'incorrect_cvc' | 'invalid_request';

export type AcmeResult<T> = { ok: true; value: T } | { ok: false; code: AcmeErrorCode; message: string };

/** Card tokens the Acme sandbox understands (a browser-side tokenizer issues real ones). */
export const ACME_TEST_TOKENS = {
  success: 'acme_tok_success',
  declined: 'acme_tok_declined',
  insufficientFunds: 'acme_tok_insufficient_funds',
  expired: 'acme_tok_expired',
  incorrectCvc: 'acme_tok_incorrect_cvc',
} as const;

const FAILING_TOKENS: Readonly<Record<string, [AcmeErrorCode, string]>> = {
  [ACME_TEST_TOKENS.declined]: ['card_declined', 'Your card was declined.'],
  [ACME_TEST_TOKENS.insufficientFunds]: ['insufficient_funds', 'Your card has insufficient funds.'],
  [ACME_TEST_TOKENS.expired]: ['expired_card', 'Your card has expired.'],
  [ACME_TEST_TOKENS.incorrectCvc]: ['incorrect_cvc', "Your card's security code is incorrect."],
};

interface Account {
  charges: Map<string, AcmeCharge>;
  /** Idempotency key -> first result: a retried request never acts twice. */
  replies: Map<string, AcmeResult<AcmeCharge> | AcmeResult<AcmeRefund>>;
  sequence: number;
}

/** The sandbox's state, per API key (shared by every plugin instance using the key). */
const accounts = new Map<string, Account>();

export class AcmeClient {
  private readonly account: Account;
  private closed = false;

  constructor(apiKey: string) {
    let account = accounts.get(apiKey);
    if (!account) {
      account = { charges: new Map(), replies: new Map(), sequence: 0 };
      accounts.set(apiKey, account);
    }
    this.account = account;
  }

  async charge(request: { token: string; amount: number; currency: string; idempotencyKey: string; metadata?: Record<string, string> }): Promise<AcmeResult<AcmeCharge>> {
    return this.once(request.idempotencyKey, () => {
      const failure = FAILING_TOKENS[request.token];
      if (failure) return { ok: false, code: failure[0], message: failure[1] };
      if (!request.token.startsWith('acme_tok_')) return { ok: false, code: 'invalid_request', message: 'No such token.' };
      const charge: AcmeCharge = { id: this.nextId('ch'), amount: request.amount, refunded: 0, currency: request.currency, metadata: { ...request.metadata } };
      this.account.charges.set(charge.id, charge);
      return { ok: true, value: { ...charge } };
    });
  }

  async refund(request: { chargeId: string; amount: number; idempotencyKey: string }): Promise<AcmeResult<AcmeRefund>> {
    return this.once(request.idempotencyKey, () => {
      const charge = this.account.charges.get(request.chargeId);
      if (!charge) return { ok: false, code: 'invalid_request', message: `No such charge: ${request.chargeId}.` };
      if (request.amount > charge.amount - charge.refunded) {
        return { ok: false, code: 'invalid_request', message: 'Refund amount is greater than the unrefunded amount.' };
      }
      charge.refunded += request.amount;
      return { ok: true, value: { id: this.nextId('re'), chargeId: charge.id, amount: request.amount, currency: charge.currency } };
    });
  }

  /** The first answer to the request made with this idempotency key; null when Acme never received it. */
  async find(idempotencyKey: string): Promise<AcmeResult<AcmeCharge | AcmeRefund> | null> {
    return this.account.replies.get(idempotencyKey) ?? null;
  }

  /** Releases the connection: a real client destroys its keep-alive HTTP agent here. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private once<T>(key: string, run: () => AcmeResult<T>): AcmeResult<T> {
    if (this.closed) throw new Error('The Acme client is closed');
    const previous = this.account.replies.get(key) as AcmeResult<T> | undefined;
    if (previous) return previous;
    const result = run();
    this.account.replies.set(key, result as AcmeResult<AcmeCharge>);
    return result;
  }

  private nextId(prefix: string): string {
    this.account.sequence += 1;
    return `${prefix}_${String(this.account.sequence).padStart(6, '0')}`;
  }
}

/**
 * How Acme signs a webhook delivery: the `acme-signature` header is
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the webhook secret>`.
 * The plugin checks it (webhooks.ts); tests and the guide's example use this to play Acme.
 */
export function signAcmeWebhook(secret: string, rawBody: Buffer, timestamp: number): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}
