/**
 * Base shapes of the resources the fake serves, taken from Stripe's published
 * example objects (fixtures3.json of Stripe's OpenAPI repository), with the
 * placeholder values of optional sub-objects reset to what a fresh object has.
 * The fake fills in ids, amounts and states.
 */
export type Json = Record<string, unknown>;

const now = (): number => Math.floor(Date.now() / 1000);

export function paymentIntentShape(): Json {
  return {
    id: '', object: 'payment_intent', amount: 0, amount_capturable: 0, amount_details: { tip: {} }, amount_received: 0,
    application: null, application_fee_amount: null, automatic_payment_methods: null, canceled_at: null,
    cancellation_reason: null, capture_method: 'automatic', client_secret: '', confirmation_method: 'automatic',
    created: now(), currency: 'usd', customer: null, description: null, last_payment_error: null, latest_charge: null,
    livemode: false, metadata: {}, next_action: null, on_behalf_of: null, payment_method: null,
    payment_method_configuration_details: null, payment_method_options: {}, payment_method_types: ['card'],
    processing: null, receipt_email: null, review: null, setup_future_usage: null, shipping: null,
    statement_descriptor: null, statement_descriptor_suffix: null, status: 'requires_payment_method',
    transfer_data: null, transfer_group: null, source: null, excluded_payment_method_types: null, customer_account: null,
  };
}

export function setupIntentShape(): Json {
  return {
    id: '', object: 'setup_intent', application: null, automatic_payment_methods: null, cancellation_reason: null,
    client_secret: '', created: now(), customer: null, description: null, flow_directions: null, last_setup_error: null,
    latest_attempt: null, livemode: false, mandate: null, metadata: {}, next_action: null, on_behalf_of: null,
    payment_method: null, payment_method_configuration_details: null, payment_method_options: {},
    payment_method_types: ['card'], single_use_mandate: null, status: 'requires_payment_method', usage: 'off_session',
    excluded_payment_method_types: null,
  };
}

export function chargeShape(): Json {
  return {
    id: '', object: 'charge', amount: 0, amount_captured: 0, amount_refunded: 0, application: null, application_fee: null,
    application_fee_amount: null, balance_transaction: null,
    billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: null, captured: false, created: now(), currency: 'usd', customer: null,
    description: null, disputed: false, failure_balance_transaction: null, failure_code: null, failure_message: null,
    fraud_details: {}, livemode: false, metadata: {}, on_behalf_of: null,
    outcome: { advice_code: null, network_advice_code: null, network_decline_code: null, network_status: 'approved_by_network', reason: null, seller_message: 'Payment complete.', type: 'authorized' },
    paid: true, payment_intent: null, payment_method: null, payment_method_details: null, receipt_email: null,
    receipt_number: null, receipt_url: null, refunded: false,
    review: null, shipping: null, source_transfer: null, statement_descriptor: null, statement_descriptor_suffix: null,
    status: 'succeeded', transfer_data: null, transfer_group: null,
  };
}

export function refundShape(): Json {
  return {
    id: '', object: 'refund', amount: 0, balance_transaction: null, charge: null, created: now(), currency: 'usd',
    destination_details: { card: { type: 'reversal' }, type: 'card' }, metadata: {}, payment_intent: null, reason: null,
    receipt_number: null, source_transfer_reversal: null, status: 'succeeded', transfer_reversal: null, customer: null,
    customer_account: null, payment_method: null,
  };
}

export function customerShape(): Json {
  return {
    id: '', object: 'customer', address: null, balance: 0, created: now(), currency: null, default_source: null,
    delinquent: false, description: null, discount: null, email: null, invoice_prefix: '7FE1103',
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false, metadata: {}, name: null, next_invoice_sequence: 1, phone: null, preferred_locales: [],
    shipping: null, tax_exempt: 'none', test_clock: null,
  };
}

export function paymentMethodShape(): Json {
  return {
    id: '', object: 'payment_method', allow_redisplay: 'unspecified',
    billing_details: { address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null }, email: null, name: null, phone: null, tax_id: null },
    card: null, created: now(), customer: null, livemode: false, metadata: {}, type: 'card', customer_account: null,
  };
}

export function disputeShape(): Json {
  return {
    id: '', object: 'dispute', amount: 0, balance_transactions: [], charge: null, created: now(), currency: 'usd',
    evidence_details: { due_by: now() + 7 * 86400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false, livemode: false, metadata: {}, payment_intent: null,
    payment_method_details: { card: { brand: 'visa', case_type: 'chargeback', network_reason_code: '10.4' }, type: 'card' },
    reason: 'fraudulent', status: 'needs_response',
  };
}

export function eventShape(): Json {
  return {
    id: '', object: 'event', api_version: null, created: now(), data: { object: {} }, livemode: false,
    pending_webhooks: 1, request: { id: null, idempotency_key: null }, type: '',
  };
}

export function listShape(data: Json[], url: string): Json {
  return { object: 'list', data, has_more: false, url };
}
