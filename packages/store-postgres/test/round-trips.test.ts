import { randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { expect } from 'chai';
import pg from 'pg';
import { PaymentService, PluginManager } from '@payhost/core';
import { DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { createPostgresStore, type SqlLedgerStore } from '@payhost/store-postgres';
import { describePostgres } from '../../../tests/ledger/support/postgres.js';
import { openMigratedPgliteStore } from '../../../tests/support/pglite-template.js';

/**
 * Pins the database round trips of one payment (PaymentService.pay: what POST /payments runs), of a
 * refund and of a capture, counted where the store's driver talks to the database, so a change that adds one shows
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

type Counted = { pay: string[][]; refund: string[][]; capture: string[][] };

/**
 * Round trips of one pay(), of one refund of its payment and of one capture of an authorized payment,
 * after a few of each (statements prepared, pooled connections set up).
 */
async function countRoundTrips(store: SqlLedgerStore, record: () => Recorder): Promise<Counted> {
  const { payments, close } = service(store);
  const pay = (action: 'process' | 'authorize' = 'process') =>
    payments.pay({ channel: 'web', total: '10.00', currency: 'USD', token: 'tok_dummy_success', action, idempotencyKey: randomUUID() });
  const refund = (paymentId: string) => payments.refund({ paymentId, amount: '1.00', idempotencyKey: randomUUID() });
  const capture = (paymentId: string) => payments.capture({ paymentId, amount: '4.00', idempotencyKey: randomUUID() });
  try {
    for (let i = 0; i < 3; i++) {
      await refund((await pay()).payment.id);
      await capture((await pay('authorize')).payment.id);
    }
    const authorized = await pay('authorize');
    const recorder = record();
    try {
      recorder.take();
      const paid = await pay();
      const payExchanges = recorder.take();
      const refunded = await refund(paid.payment.id);
      const refundExchanges = recorder.take();
      const captured = await capture(authorized.payment.id);
      const captureExchanges = recorder.take();
      expect(paid.payment.chargeStatus).to.equal('fully-charged');
      expect(refunded.payment.chargeStatus).to.equal('partially-refunded');
      expect(captured.payment.chargeStatus).to.equal('partially-charged');
      return { pay: payExchanges, refund: refundExchanges, capture: captureExchanges };
    } finally {
      recorder.restore();
    }
  } finally {
    await close();
  }
}

/** A write pipelined with BEGIN would run outside the transaction if BEGIN failed: exchanges that begin one only read. */
function expectNoWriteWithBegin(exchanges: string[][]): void {
  for (const exchange of exchanges) {
    if (!/^BEGIN/.test(exchange[0] ?? '')) continue;
    for (const statement of exchange.slice(1)) expect(statement, oneLine([exchange])).not.to.match(/\b(INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/);
  }
}

/**
 * pay: 1. claim + payment + pending transaction (one statement, no BEGIN/COMMIT); 2. BEGIN + lock the
 * payment and its transaction (and the PSP reference); 3. who else holds the PSP reference; 4. the
 * settled rows + COMMIT.
 * refund, capture (and void, confirm: the same path): 1. BEGIN + lock the payment + its transactions
 * + the key's record (a repeat answers from it); 2. claim + pending transaction (one statement) +
 * COMMIT; then, after the gateway, 3. BEGIN + lock the payment and its transaction; 4. the settled
 * rows + COMMIT.
 */
const PAY_ROUND_TRIPS = 4;
const FOLLOW_UP_ROUND_TRIPS = 4;
/** One statement per round trip: pay's 6 statements; a refund's or capture's 10. */
const PAY_STATEMENTS = 6;
const FOLLOW_UP_STATEMENTS = 10;

describe('store-postgres: database round trips per payment', function () {
  this.timeout(60_000);

  it(`PGlite: pay() takes ${PAY_ROUND_TRIPS} exchanges, a refund and a capture ${FOLLOW_UP_ROUND_TRIPS} each`, async () => {
    const store = await openMigratedPgliteStore(); // A copy of a migrated database: creating one takes seconds.
    try {
      const counted = await countRoundTrips(store, () => recordPglite(store));
      expect(counted.pay.length, oneLine(counted.pay)).to.equal(PAY_ROUND_TRIPS);
      expect(counted.refund.length, oneLine(counted.refund)).to.equal(FOLLOW_UP_ROUND_TRIPS);
      expect(counted.capture.length, oneLine(counted.capture)).to.equal(FOLLOW_UP_ROUND_TRIPS);
    } finally {
      await store.close();
    }
  });
});

describePostgres('store-postgres: database round trips per payment', (pgc) => {
  it(`PostgreSQL: pay() takes ${PAY_ROUND_TRIPS} round trips (${PAY_STATEMENTS} statements), a refund and a capture ${FOLLOW_UP_ROUND_TRIPS} (${FOLLOW_UP_STATEMENTS})`, async () => {
    const store = await createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('rt'), pool: { max: 2 } });
    try {
      const counted = await countRoundTrips(store, recordPostgres);
      expect(counted.pay.length, oneLine(counted.pay)).to.equal(PAY_ROUND_TRIPS);
      expect(counted.pay.flat().length, oneLine(counted.pay)).to.equal(PAY_STATEMENTS);
      expect(counted.pay[1]?.[0], 'BEGIN goes with the lock').to.match(/^BEGIN/);
      expect(counted.pay[3]?.[1], 'COMMIT goes with the settled rows').to.equal('COMMIT');
      for (const exchanges of [counted.refund, counted.capture]) {
        expect(exchanges.length, oneLine(exchanges)).to.equal(FOLLOW_UP_ROUND_TRIPS);
        expect(exchanges.map((e) => e.length), oneLine(exchanges)).to.deep.equal([4, 2, 2, 2]);
        expect(exchanges[0]?.[0], 'BEGIN goes with the lock and the reads').to.match(/^BEGIN/);
        expect(exchanges[1]?.[1], 'COMMIT goes with the claim and the pending transaction').to.equal('COMMIT');
        expect(exchanges[3]?.[1], 'COMMIT goes with the settled rows').to.equal('COMMIT');
      }
      for (const exchanges of [counted.pay, counted.refund, counted.capture]) expectNoWriteWithBegin(exchanges);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL without pipelining (pool.pipeline false): the same statements, one round trip each', async () => {
    const store = await createPostgresStore({ connectionString: pgc.url, schema: pgc.newSchema('rt_np'), pool: { max: 2, pipeline: false } });
    try {
      const counted = await countRoundTrips(store, recordPostgres);
      expect(counted.pay.length, oneLine(counted.pay)).to.equal(PAY_STATEMENTS);
      expect(counted.pay.map((e) => e.length)).to.deep.equal(Array(PAY_STATEMENTS).fill(1));
      for (const exchanges of [counted.refund, counted.capture]) {
        expect(exchanges.length, oneLine(exchanges)).to.equal(FOLLOW_UP_STATEMENTS);
        expect(exchanges.map((e) => e.length)).to.deep.equal(Array(FOLLOW_UP_STATEMENTS).fill(1));
      }
    } finally {
      await store.close();
    }
  });
});
