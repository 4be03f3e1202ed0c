import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Transaction references (tx_ref) the plugin issues for Flutterwave Inline:
 * `ph-<paymentId>-<nonce>-<sig>` (or `ph-<nonce>-<sig>` when no payment id is
 * known yet), where sig is an HMAC-SHA256 (secret key) over the channel, the
 * payment id and the nonce. A verified transaction's tx_ref therefore proves
 * the plugin issued it, for this channel, and (when bound) for this payment —
 * whatever the browser says. Unique per checkout attempt; at most 100 chars.
 */
const PATTERN = /^ph-(?:([A-Za-z0-9_-]{1,60})-)?([0-9a-f]{12})-([0-9a-f]{16})$/;
const SAFE_ID = /^[A-Za-z0-9_-]{1,60}$/;

function sign(secret: string, channel: string, paymentId: string, nonce: string): string {
  return createHmac('sha256', secret).update(`payhost.flutterwave.tx_ref|${channel}|${paymentId}|${nonce}`).digest('hex').slice(0, 16);
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function issueTxRef(secret: string, channel: string, paymentId: string | null): string {
  const nonce = randomBytes(6).toString('hex');
  const id = paymentId ?? '';
  const sig = sign(secret, channel, id, nonce);
  return SAFE_ID.test(id) ? `ph-${id}-${nonce}-${sig}` : `ph-${nonce}-${sig}`;
}

export interface TxRefCheck {
  /** The plugin issued it for this channel. */
  issued: boolean;
  /** The payment id it was issued for; null when issued before the payment existed (unbound). */
  boundTo: string | null;
}

/**
 * Checks a tx_ref against the secret and channel. With `paymentId`, a ref
 * bound to another payment is not valid for it (issued: false); without, the
 * embedded payment id (if any) is trusted only when the signature covers it.
 */
export function checkTxRef(secret: string, channel: string, txRef: string, paymentId?: string | null): TxRefCheck {
  const match = PATTERN.exec(txRef);
  if (!match || secret === '') return { issued: false, boundTo: null };
  const [, embedded, nonce = '', sig = ''] = match;
  const candidates = new Set<string>(['']);
  if (embedded) candidates.add(embedded);
  if (paymentId && !SAFE_ID.test(paymentId)) candidates.add(paymentId);
  for (const id of candidates) {
    if (!same(sign(secret, channel, id, nonce), sig)) continue;
    if (id !== '' && paymentId && id !== paymentId) return { issued: false, boundTo: id };
    return { issued: true, boundTo: id === '' ? null : id };
  }
  return { issued: false, boundTo: null };
}
