import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { expect } from 'chai';
import pg from 'pg';
import { PaymentService, PluginManager } from '@payhost/core';
import { DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { createPgliteStore, createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';

/**
 * Pins the database round trips of one payment (PaymentService.pay: what POST /payments runs) and of a
 * refund, counted where the store's driver talks to the database, so a change that adds one shows
 * here (tests/bench/support/round-trips.mjs prints the same breakdown). A round trip is one
 * exchange the store waits for: one pg query, or several issued while the first is still in flight
 * on the same client (pg's pipeline mode sends them together); one PGlite protocol exchange.
 */

interface Recorder {
  /** The exchanges since the last take, each with the statements it carried. */
  take(): string[][];
  restore(): void;
}

function recordPostgres(): Recorder {
  const exchanges: string[][] = [];
  const original = pg.Client.prototype.query;
  const inFlight = new WeakMap<object, { count: number; exchange: string[] }>();
  // The overloads of Client.query do not survive a wrapper's signature: the wrapper takes what they take.
  const wrapper = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : (config?.text ?? '(no text)');
    let state = inFlight.get(this);
    if (state && state.count > 0) state.exchange.push(text);
    else {
      state = { count: 0, exchange: [text] };
      exchanges.push(state.exchange);
      inFlight.set(this, state);
    }
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) {
      const open = state;
      open.count += 1;
      const done = () => {
        open.count -= 1;
      };
      result.then(done, done);
    }
    return result;
  };
  pg.Client.prototype.query = wrapper as unknown as typeof original;
  return {
    take: () => exchanges.splice(0),
    restore: () => {
      pg.Client.prototype.query = original;
    },
  };
}

function recordPglite(store: SqlLedgerStore): Recorder {
  const exchanges: string[][] = [];
  const db = (store.driver as unknown as { db: PGlite }).db;
  const original = db.execProtocol;
  db.execProtocol = function (this: PGlite, message: Uint8Array, options?: Parameters<PGlite['execProtocol']>[1]) {
    exchanges.push([`${message.length} bytes`]);
    return original.call(this, message, options);
  } as PGlite['execProtocol'];
  return {
    take: () => exchanges.splice(0),
    restore: () => {
      db.execProtocol = original;
    },
  };
}

const oneLine = (exchanges: string[][]) => exchanges.map((e, i) => `${i + 1}. ${e.map((s) => s.replace(/\s+/g, ' ').slice(0, 100)).join('  +  ')}`).join('\n');

function service(store: SqlLedgerStore): { payments: PaymentService; close(): Promise<void> } {
  const manager = new PluginManager({
    plugins: [DummyGatewayPlugin],
    config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } } } }] },
  });
  return { payments: new PaymentService({ manager, store }), close: () => manager.close() };
}

/** Round trips of one pay() and of one refund of its payment, after a few of each (statements prepared, pooled connections set up). */
async function countRoundTrips(store: SqlLedgerStore, record: () => Recorder): Promise<{ pay: string[][]; refund: string[][] }> {
  const { payments, close } = service(store);
  const pay = () => payments.pay({ channel: 'web', total: '10.00', currency: 'USD', token: 'tok_dummy_success', idempotencyKey: randomUUID() });
  const refund = (paymentId: string) => payments.refund({ paymentId, amount: '1.00', idempotencyKey: randomUUID() });
  try {
    for (let i = 0; i < 3; i++) await refund((await pay()).payment.id);
    const recorder = record();
    try {
      recorder.take();
      const paid = await pay();
      const payExchanges = recorder.take();
      const refunded = await refund(paid.payment.id);
      const refundExchanges = recorder.take();
      expect(paid.payment.chargeStatus).to.equal('fully-charged');
      expect(refunded.payment.chargeStatus).to.equal('partially-refunded');
      return { pay: payExchanges, refund: refundExchanges };
    } finally {
      recorder.restore();
    }
  } finally {
    await close();
  }
}

/**
 * pay: 1. claim + payment + pending transaction (one statement, no BEGIN/COMMIT); 2. BEGIN + lock the
 * payment and its transaction (and the PSP reference); 3. who else holds the PSP reference; 4. the
 * settled rows + COMMIT.
 * refund: the key's record (a repeat answers from it); BEGIN + lock the payment; claim; list its
 * transactions; insert the pending refund; COMMIT; then BEGIN + lock; settled rows + COMMIT.
 */
const PAY_ROUND_TRIPS = 4;
const REFUND_ROUND_TRIPS = 8;

describe('store-postgres: database round trips per payment', function () {
  this.timeout(60_000);

  it(`PGlite: pay() takes ${PAY_ROUND_TRIPS} exchanges, a refund ${REFUND_ROUND_TRIPS}`, async () => {
    const store = await createPgliteStore();
    try {
      const counted = await countRoundTrips(store, () => recordPglite(store));
      expect(counted.pay.length, oneLine(counted.pay)).to.equal(PAY_ROUND_TRIPS);
      expect(counted.refund.length, oneLine(counted.refund)).to.equal(REFUND_ROUND_TRIPS);
    } finally {
      await store.close();
    }
  });
});

describePostgres('store-postgres: database round trips per payment', (pgc) => {
  it(`PostgreSQL: pay() takes ${PAY_ROUND_TRIPS} round trips (6 statements), a refund ${REFUND_ROUND_TRIPS}`, async () => {
    const store = await createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('rt'), pool: { max: 2 } });
    try {
      const counted = await countRoundTrips(store, recordPostgres);
      expect(counted.pay.length, oneLine(counted.pay)).to.equal(PAY_ROUND_TRIPS);
      expect(counted.pay.flat().length, oneLine(counted.pay)).to.equal(6);
      expect(counted.pay[1]?.[0], 'BEGIN goes with the lock').to.match(/^BEGIN/);
      expect(counted.pay[3]?.[1], 'COMMIT goes with the settled rows').to.equal('COMMIT');
      expect(counted.refund.length, oneLine(counted.refund)).to.equal(REFUND_ROUND_TRIPS);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL without pipelining (pool.pipeline false): the same statements, one round trip each', async () => {
    const store = await createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('rt_np'), pool: { max: 2, pipeline: false } });
    try {
      const counted = await countRoundTrips(store, recordPostgres);
      expect(counted.pay.length, oneLine(counted.pay)).to.equal(6);
      expect(counted.pay.map((e) => e.length)).to.deep.equal([1, 1, 1, 1, 1, 1]);
    } finally {
      await store.close();
    }
  });
});
