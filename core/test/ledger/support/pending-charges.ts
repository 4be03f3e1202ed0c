import sinon from 'sinon';
import type { GatewayResponse } from '@payhost/core';
import type { Setup } from '../helpers.js';

/** After each test: removes the sinon stubs, then closes the environment `current` returns (if the test set one up). */
export function restoreAfterEach(current: () => Setup | undefined): void {
  afterEach(async () => {
    sinon.restore();
    await current()?.close();
  });
}

/** A successful gateway answer of `kind` for 10.00 USD as `transactionId`, with `overrides` on top. */
export type Answer = (kind: GatewayResponse['kind'], overrides?: Partial<GatewayResponse>) => GatewayResponse;

/** Answers about the gateway transaction `transactionId` (a processor that keeps one id across attempts). */
export function answersAs(transactionId: string): Answer {
  return (kind, overrides = {}) => ({
    isSuccess: true,
    actionRequired: false,
    error: null,
    kind,
    amount: '10.00' as never,
    currency: 'USD',
    transactionId,
    ...overrides,
  });
}
