import { expect } from 'chai';
import { Decimal, type GatewayEvent, type GatewayResponse, type PaymentData } from '@payhost/core';
import { checkRefundEvents, checkTransactionStatus, checkWebhookResponse } from '@payhost/testkit/conformance';

function response(overrides: Partial<GatewayResponse> = {}): GatewayResponse {
  return { isSuccess: true, actionRequired: false, kind: 'capture', amount: new Decimal('10.50'), currency: 'USD', transactionId: 'ch_1', error: null, errorCode: null, ...overrides };
}

const payment = { amount: new Decimal('10.50'), currency: 'USD' };

describe('testkit conformance checks: checkTransactionStatus', () => {
  it('a completed charge must be found as that charge: success, its kind and transactionId', () => {
    const charge = response();
    expect(checkTransactionStatus(response(), { found: charge }, payment)).to.deep.equal([]);
    expect(checkTransactionStatus(null, { found: charge }, payment)).to.deep.equal([
      'answered null ("cannot tell") for a completed charge: the plugin must find a call by the idempotency key it sent it with',
    ]);
    expect(checkTransactionStatus(response({ kind: 'auth', transactionId: 'ch_2' }), { found: charge }, payment)).to.deep.equal([
      "kind must be the charge's 'capture', got string 'auth'",
      "transactionId must be the charge's string 'ch_1', got string 'ch_2'",
    ]);
  });

  it('a key the processor never received must be "no record": a failure with processing_error, not null nor another code', () => {
    const noRecord = response({ isSuccess: false, transactionId: '', error: 'never received', errorCode: 'processing_error' });
    expect(checkTransactionStatus(noRecord, 'no record', payment)).to.deep.equal([]);
    expect(checkTransactionStatus(undefined, 'no record', payment)[0]).to.include('answered undefined ("cannot tell") for a key the processor never received');
    expect(checkTransactionStatus({ ...noRecord, errorCode: 'declined' }, 'no record', payment)).to.deep.equal([
      "\"no record\" must be errorCode 'processing_error' (another code is the processor's verdict on a call it had), got string 'declined'",
    ]);
    expect(checkTransactionStatus(response(), 'no record', payment)[0]).to.include('expected "no record"');
  });
});

describe('testkit conformance checks: checkRefundEvents', () => {
  const refundPayment: PaymentData = {
    paymentId: 'pay-1',
    graphqlPaymentId: 'pay-1',
    amount: new Decimal('2.50'),
    currency: 'USD',
    token: 'ch_1',
    customerEmail: 'buyer@example.com',
    billing: null,
    shipping: null,
    orderId: null,
    customerIpAddress: null,
    customerId: null,
    reuseSource: false,
    data: null,
    idempotencyKey: 'payhost:refund:pay-1:t3',
  };
  const refund = { payment: refundPayment, response: response({ kind: 'refund', amount: new Decimal('2.50'), transactionId: 're_2' }) };
  const event = (overrides: Partial<GatewayEvent> = {}, answer: Partial<GatewayResponse> = {}): GatewayEvent => ({
    eventId: 'evt_1',
    type: 'refund.created',
    paymentId: 'pay-1',
    pspReference: 'pi_1',
    gatewayIdempotencyKey: 'payhost:refund:pay-1:t3',
    response: response({ kind: 'refund', amount: new Decimal('2.50'), transactionId: 're_2', ...answer }),
    ...overrides,
  });
  const delivered = (...events: GatewayEvent[]) => ({ status: 200, events });

  it("accepts the refund's id, its own amount and the call's key (or no key)", () => {
    expect(checkRefundEvents(delivered(event()), refund, 'ch_1')).to.deep.equal([]);
    expect(checkRefundEvents(delivered(event({ gatewayIdempotencyKey: null, paymentId: null })), refund, 'ch_1')).to.deep.equal([]);
  });

  it("refuses the charge's id, a running total, another key, and an event that names no payment", () => {
    expect(checkRefundEvents(delivered(event({}, { transactionId: 'ch_1' })), refund, 'ch_1')).to.deep.equal([
      "event string 'evt_1' (refund.created): response.transactionId is the charge's id string 'ch_1'; it must be the processor's refund id, string 're_2' as refundPayment answered",
    ]);
    expect(checkRefundEvents(delivered(event({}, { amount: new Decimal('5.00') })), refund, 'ch_1')).to.deep.equal([
      "event string 'evt_1' (refund.created): response.amount must be the refund's own amount 2.5, got 5 (a running total of the charge's refunds is counted again)",
    ]);
    expect(checkRefundEvents(delivered(event({ gatewayIdempotencyKey: 'payhost:refund:pay-1:t2' })), refund, 'ch_1')).to.deep.equal([
      "event string 'evt_1' (refund.created): gatewayIdempotencyKey must be the refund call's key string 'payhost:refund:pay-1:t3' (as the processor echoed it) or null, got string 'payhost:refund:pay-1:t2'",
    ]);
    expect(checkRefundEvents(delivered(event({ paymentId: null, pspReference: null })), refund, 'ch_1')).to.deep.equal([
      "event string 'evt_1' (refund.created): neither paymentId nor pspReference is set: the host cannot find the payment",
    ]);
    expect(checkRefundEvents(delivered(event({}, { kind: 'capture' })), refund, 'ch_1')).to.deep.equal([
      'the delivery about a refund reported no refund event (response.kind refund, refund_ongoing or refund_failed)',
    ]);
  });

  it('checkWebhookResponse refuses a gatewayIdempotencyKey that is not a string or null', () => {
    expect(checkWebhookResponse({ status: 200, events: [{ ...event(), gatewayIdempotencyKey: 42 }] }, { expect: 'accepted' })).to.deep.equal([
      'events[0].gatewayIdempotencyKey must be a string or null (the key of the call the event answers), got number 42',
    ]);
  });
});
