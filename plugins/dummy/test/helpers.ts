import { expect } from 'chai';
import { Decimal, silentLogger, type ConfigValues, type GatewayResponse, type PaymentData } from '@payhost/core';
import type { Logger } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin, dummyStore } from '@payhost/plugin-dummy';

export function makePlugin(configuration: ConfigValues = {}, channel = 'ch', logger: Logger = silentLogger()): DummyGatewayPlugin {
  return new DummyGatewayPlugin({
    channel,
    active: true,
    configuration: { ...DummyGatewayPlugin.defaultConfiguration, ...configuration },
    logger,
  });
}

export function payment(overrides: Partial<PaymentData> = {}): PaymentData {
  return {
    amount: new Decimal('10.00'),
    paymentId: '1',
    graphqlPaymentId: 'UGF5bWVudDox',
    currency: 'USD',
    billing: null,
    shipping: null,
    orderId: null,
    customerIpAddress: null,
    customerEmail: 'buyer@example.com',
    token: DUMMY_TOKENS.success,
    customerId: null,
    reuseSource: false,
    data: null,
    ...overrides,
  };
}

/** Awaits a hook and asserts it did not pass through (undefined). */
export async function call<T>(promise: Promise<T | undefined>): Promise<T> {
  const value = await promise;
  expect(value, 'hook passed through').to.not.equal(undefined);
  return value as T;
}

export function expectSuccess(response: GatewayResponse, kind: GatewayResponse['kind'], amount: string): void {
  expect(response.error, response.error ?? '').to.equal(null);
  expect(response.isSuccess).to.equal(true);
  expect(response.actionRequired).to.equal(false);
  expect(response.kind).to.equal(kind);
  expect(response.amount.toString()).to.equal(amount);
  expect(response.errorCode ?? null).to.equal(null);
  expect(response.transactionId).to.be.a('string').and.not.equal('');
  expect(response.pspReference).to.be.a('string').and.match(/^dummy_ch_/);
}

export function expectFailure(response: GatewayResponse, errorCode: string, messagePart?: RegExp): void {
  expect(response.isSuccess).to.equal(false);
  expect(response.actionRequired).to.equal(false);
  expect(response.errorCode).to.equal(errorCode);
  expect(response.error).to.be.a('string').and.not.equal('');
  if (messagePart) expect(response.error).to.match(messagePart);
  expect(response.transactionId).to.be.a('string').and.not.equal('');
}

export function resetDummy(): void {
  dummyStore.reset();
}
