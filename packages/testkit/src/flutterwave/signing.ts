/**
 * Flutterwave signs nothing: each webhook carries a `verif-hash` header whose
 * value is the secret hash configured on the dashboard. These helpers build
 * deliveries as the host's HTTP layer receives them.
 */
export interface FlutterwaveWebhookDelivery {
  rawBody: Buffer;
  headers: Record<string, string>;
  /** The parsed payload, for assertions. */
  payload: Record<string, unknown>;
}

/** Serializes a payload and adds `verif-hash: <secretHash>` (null: header left out). */
export function flutterwaveWebhook(payload: Record<string, unknown>, secretHash: string | null): FlutterwaveWebhookDelivery {
  const rawBody = Buffer.from(JSON.stringify(payload), 'utf8');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (secretHash !== null) headers['verif-hash'] = secretHash;
  return { rawBody, headers, payload };
}

/** What Flutterwave Inline hands the browser's `callback` after a payment. */
export interface FlutterwaveInlineResult {
  transaction_id: number;
  tx_ref: string;
  flw_ref: string;
  status: string;
  amount: number;
  currency: string;
}
