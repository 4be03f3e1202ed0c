import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type fc from 'fast-check';
import type { GatewayResponse, PaymentData } from '@payhost/core';
import { DummyGatewayPlugin, LOST_CHARGE_PREFIX, dummyStore } from '@payhost/plugin-dummy';
import { CHANNEL } from '../helpers.js';

/** The manager's hook timeout in the concurrent model, and how late a slow call lands (after it). */
export const HOOK_TIMEOUT_MS = 40;
const SLOW_MS = 60;

/** The webhook event the dummy would send for something it did. */
export interface OutboxEvent {
  eventId: string;
  gatewayKey: string | null;
  paymentId: string;
  response: { isSuccess: boolean; actionRequired: boolean; kind: GatewayResponse['kind']; amount: string; transactionId: string; pspReference: string | null; errorCode: GatewayResponse['errorCode'] | null; currency: string };
}

/** The dummy, with a scheduled point before it acts and before its answer returns, and an outbox of its events. */
export class SchedDummy extends DummyGatewayPlugin {
  static sched: fc.Scheduler | null = null;
  static outbox: OutboxEvent[] = [];
  /** Gateway keys the dummy acted on (not replays). */
  static acted: string[] = [];
  static log: string[] = [];
  /** Per call (in order), whether it lands only after the manager stopped waiting (plugin_timeout). */
  static slowPlan: boolean[] = [];
  static running = 0;

  static reset(): void {
    SchedDummy.outbox = [];
    SchedDummy.acted = [];
    SchedDummy.log = [];
    SchedDummy.slowPlan = [];
    SchedDummy.running = 0;
  }

  private async wrap(op: string, p: PaymentData, run: () => Promise<GatewayResponse | undefined>): Promise<GatewayResponse | undefined> {
    const label = `${op} ${p.amount.toString()} key=${(p.idempotencyKey ?? '').slice(-6)}`;
    SchedDummy.running += 1;
    try {
      const slow = SchedDummy.sched !== null && SchedDummy.slowPlan.shift() === true;
      if (slow) {
        SchedDummy.log.push(`slow ${label}`);
        await sleep(SLOW_MS);
      }
      if (SchedDummy.sched) await SchedDummy.sched.schedule(Promise.resolve(), `land ${label}`);
      const response = await run();
      if (response && response.rawResponse?.['code'] === 'answer_lost') {
        // What really happened: the charge the dummy took (its webhook would say so), or nothing.
        const charge = p.idempotencyKey ? dummyStore.findCharge(CHANNEL, `${LOST_CHARGE_PREFIX}${p.idempotencyKey}`) : undefined;
        SchedDummy.acted.push(p.idempotencyKey ?? '');
        SchedDummy.log.push(`dummy ${label} -> lost answer, charged=${charge !== undefined}`);
        if (charge) {
          const psp = charge.pspReference;
          SchedDummy.outbox.push({
            eventId: `evt-${randomUUID()}`,
            gatewayKey: p.idempotencyKey ?? null,
            paymentId: p.paymentId,
            response: { isSuccess: true, actionRequired: false, kind: charge.captureOnConfirm ? 'capture' : 'auth', amount: charge.amount.toString(), transactionId: psp, pspReference: psp, errorCode: null, currency: 'USD' },
          });
        }
        if (SchedDummy.sched) await SchedDummy.sched.schedule(Promise.resolve(), `answer ${label}`);
        return response;
      }
      if (response && response.rawResponse?.['idempotentReplayed'] !== true) {
        SchedDummy.acted.push(p.idempotencyKey ?? '');
        SchedDummy.log.push(`dummy ${label} -> ${response.kind} ${response.isSuccess ? 'ok' : 'fail'} ${response.amount.toString()}`);
        SchedDummy.outbox.push({
          eventId: `evt-${randomUUID()}`,
          gatewayKey: p.idempotencyKey ?? null,
          paymentId: p.paymentId,
          response: {
            isSuccess: response.isSuccess,
            actionRequired: response.actionRequired,
            kind: response.kind,
            amount: response.amount.toString(),
            transactionId: response.transactionId,
            pspReference: response.pspReference ?? null,
            errorCode: response.errorCode ?? null,
            currency: String(response.currency ?? ''),
          },
        });
      }
      if (SchedDummy.sched) await SchedDummy.sched.schedule(Promise.resolve(), `answer ${label}`);
      return response;
    } finally {
      SchedDummy.running -= 1;
    }
  }
  override processPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.wrap('process', p, () => super.processPayment(p, v));
  }
  override authorizePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.wrap('authorize', p, () => super.authorizePayment(p, v));
  }
  override capturePayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.wrap('capture', p, () => super.capturePayment(p, v));
  }
  override refundPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.wrap('refund', p, () => super.refundPayment(p, v));
  }
  override voidPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.wrap('void', p, () => super.voidPayment(p, v));
  }
  override confirmPayment(p: PaymentData, v: GatewayResponse | null): Promise<GatewayResponse | undefined> {
    return this.wrap('confirm', p, () => super.confirmPayment(p, v));
  }
}
