// Words for the shopper in place of the ledger's codes (the codes stay in data- attributes).

const CHARGE_STATUS = {
  'not-charged': 'Not charged',
  pending: 'Pending',
  'partially-charged': 'Partially charged',
  'fully-charged': 'Fully charged',
  'partially-refunded': 'Partially refunded',
  'fully-refunded': 'Refunded',
  refused: 'Refused',
  cancelled: 'Cancelled',
};

const KIND = {
  action_to_confirm: '3-D Secure',
  auth: 'Authorization',
  cancel: 'Cancellation',
  capture: 'Charge',
  capture_failed: 'Failed charge',
  confirm: 'Confirmation',
  external: 'External',
  pending: 'Pending',
  refund: 'Refund',
  refund_failed: 'Failed refund',
  refund_ongoing: 'Refund in progress',
  refund_reversed: 'Refund reversed',
  void: 'Void',
};

/** A code the page has no words for is shown as it is, readably ("some-code" -> "some code"). */
const fallback = (code) => String(code ?? '').replace(/[-_]+/g, ' ');

export const chargeStatusLabel = (status) => CHARGE_STATUS[status] ?? fallback(status);
export const kindLabel = (kind) => KIND[kind] ?? fallback(kind);
