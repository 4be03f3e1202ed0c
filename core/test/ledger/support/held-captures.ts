import sinon from 'sinon';
import type { GatewayResponse, PaymentData } from '@payhost/core';
import { DummyGatewayPlugin, GatedDummy } from '../helpers.js';

/** What a held capture answers instead of the dummy (e.g. a decline); none: the dummy's own answer. */
export type CaptureAnswer = (p: PaymentData) => GatewayResponse;

/** A capture call waiting at the gateway. */
export interface HeldCapture {
  payment: PaymentData;
  release(answer?: CaptureAnswer): void;
}

export interface CaptureHolds {
  /** The next `count` capture calls wait at the gateway until released; the others go through. */
  hold(count?: number): void;
  /** Resolves with the next held capture once it has reached the gateway (in arrival order). */
  arrival(): Promise<HeldCapture>;
}

/** Held captures not released yet: a failed test leaves some, which would keep the manager's close() waiting. */
const unreleased = new Set<() => void>();

/** Lets every capture still held answer as the dummy does (call in afterEach, before closing the manager). */
export function releaseHeldCaptures(): void {
  for (const release of [...unreleased]) release();
}

/**
 * Stubs GatedDummy's capturePayment so chosen calls wait at the gateway, each released on its own.
 * Install it before the plugin is first called (the manager binds its hooks then); sinon.restore() removes it.
 */
export function holdCaptures(): CaptureHolds {
  let toHold = 0;
  const arrived: HeldCapture[] = [];
  const waiting: Array<(held: HeldCapture) => void> = [];
  const original = DummyGatewayPlugin.prototype.capturePayment;
  sinon.stub(GatedDummy.prototype, 'capturePayment').callsFake(async function (this: GatedDummy, p: PaymentData, v: GatewayResponse | null) {
    if (toHold === 0) return original.call(this, p, v);
    toHold -= 1;
    let resolve: (answer?: CaptureAnswer) => void = () => undefined;
    const released = new Promise<CaptureAnswer | undefined>((r) => (resolve = r));
    const release = (answer?: CaptureAnswer): void => {
      unreleased.delete(release);
      resolve(answer);
    };
    unreleased.add(release);
    const held: HeldCapture = { payment: p, release };
    const waiter = waiting.shift();
    if (waiter) waiter(held);
    else arrived.push(held);
    const answer = await released;
    return answer ? answer(p) : original.call(this, p, v);
  });
  return {
    hold: (count = 1) => {
      toHold += count;
    },
    arrival: () => {
      const held = arrived.shift();
      return held ? Promise.resolve(held) : new Promise<HeldCapture>((resolve) => waiting.push(resolve));
    },
  };
}

/** A capture the processor declines (the authorization expired). */
export function declinedCapture(p: PaymentData): GatewayResponse {
  return {
    isSuccess: false,
    actionRequired: false,
    kind: 'capture',
    amount: p.amount,
    currency: p.currency,
    transactionId: '',
    error: 'The authorization expired',
    errorCode: 'processing_error',
  };
}
