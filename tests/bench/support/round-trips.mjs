// Database round trips of one PaymentService.pay (what POST /payments runs: dummy gateway, auto-capture,
// a token), of a refund of its payment and of a capture of an authorized one (void and confirm take the
// refund's path), counted, not timed: `node tests/bench/support/round-trips.mjs [pglite|postgres|all] [--list]`.
// PostgreSQL needs PAYHOST_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); the
// tables go to a fresh schema, dropped at the end.
//
// Two counts per operation:
// - exchanges: what the store's driver sends and waits for (one per pg client.query, one per PGlite
//   protocol exchange): the round trips a payment waits for;
// - statements: SQL statements in them (a pipelined exchange carries several).
// `--list` prints each exchange's statements (the SQL's head) for one of each.
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PaymentService, PluginManager } from '@payhost/core';
import { DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { createPgliteStore, createPostgresStore } from '@payhost/store-postgres';

const storeRequire = createRequire(fileURLToPath(import.meta.resolve('@payhost/store-postgres')));
const pg = storeRequire('pg');

/** A statement's text for listing: one line, long column lists shortened, at most 110 characters. */
export function sqlHead(text) {
  const flat = text.replace(/\s+/g, ' ').trim();
  const short = flat
    .replace(/\(((?:\w+, ){4,}\w+)\)/g, '(…)')
    .replace(/SELECT ((?:[\w.]+, ){4,}[\w.]+) FROM/g, 'SELECT … FROM')
    .replace(/VALUES \(((?:\$\d+(?:::\w+)?, ){4,}\$\d+(?:::\w+)?)\)/g, 'VALUES (…)')
    .replace(/SET ((?:\w+ = \$\d+(?:::\w+)?, ){3,}\w+ = \$\d+(?:::\w+)?)/g, 'SET …');
  return short.length > 110 ? `${short.slice(0, 109)}…` : short;
}

/**
 * Counts what a store's driver sends: pg's Client.prototype.query calls on PostgreSQL (one exchange
 * each, except that a query issued while another is in flight on the same client is pipelined and
 * shares its exchange), and PGlite protocol exchanges. Returns a recorder whose
 * `take()` gives the exchanges since the last take, each as the list of statements it carried.
 */
export function countExchanges(store) {
  const exchanges = [];
  if (store.driver.name === 'postgres') {
    const original = pg.Client.prototype.query;
    // A query issued while another is in flight on the same client (pipeline mode) shares its round trip.
    const inFlight = new WeakMap();
    pg.Client.prototype.query = function (config, values, callback) {
      const text = typeof config === 'string' ? config : config?.text;
      const open = inFlight.get(this);
      if (typeof text === 'string') {
        if (open && open.count > 0) open.exchange.push(text);
        else {
          const exchange = [text];
          exchanges.push(exchange);
          inFlight.set(this, { count: 0, exchange });
        }
      }
      const state = inFlight.get(this);
      const result = original.call(this, config, values, callback);
      if (state && result && typeof result.then === 'function') {
        state.count += 1;
        const done = () => {
          state.count -= 1;
        };
        result.then(done, done);
      }
      return result;
    };
    return {
      take: () => exchanges.splice(0),
      restore: () => {
        pg.Client.prototype.query = original;
      },
    };
  }
  // PGlite: every exchange goes through the instance's execProtocol (PgliteStatements and query() alike).
  const db = store.driver.db;
  const original = db.execProtocol;
  db.execProtocol = function (message, options) {
    exchanges.push(describeProtocol(message));
    return original.call(this, message, options);
  };
  return {
    take: () => exchanges.splice(0),
    restore: () => {
      db.execProtocol = original;
    },
  };
}

/** The statements a frontend protocol message carries: Query ('Q') texts, and Bind ('B') of named statements. */
function describeProtocol(message) {
  const out = [];
  const text = (from) => {
    let end = from;
    while (message[end] !== 0) end++;
    return [Buffer.from(message.subarray(from, end)).toString('utf8'), end + 1];
  };
  for (let i = 0; i + 5 <= message.length; ) {
    const type = String.fromCharCode(message[i]);
    const length = (message[i + 1] << 24) | (message[i + 2] << 16) | (message[i + 3] << 8) | message[i + 4];
    if (type === 'Q') out.push(text(i + 5)[0]);
    else if (type === 'P') out.push(`PREPARE ${text(text(i + 5)[1])[0]}`);
    else if (type === 'B') {
      const [, afterPortal] = text(i + 5);
      out.push(`EXECUTE ${text(afterPortal)[0]}`);
    }
    i += 1 + length;
  }
  return out.length > 0 ? out : ['(protocol)'];
}

/** PGlite runs prepared statements by name: maps names back to their SQL through the driver's cache. */
function namer(store) {
  if (store.driver.name !== 'pglite') return (s) => s;
  const prepared = store.driver.connection?.prepared;
  return (s) => {
    const m = /^EXECUTE (payhost_\d+)$/.exec(s);
    if (!m || !prepared) return s;
    for (const [text, p] of prepared) if (p.name === m[1]) return text;
    return s;
  };
}

export function payService(store) {
  const manager = new PluginManager({
    plugins: [DummyGatewayPlugin],
    config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } } } }] },
  });
  const payments = new PaymentService({ manager, store });
  const pay = (action = 'process') => payments.pay({ channel: 'web', total: '10.00', currency: 'USD', token: 'tok_dummy_success', action, idempotencyKey: randomUUID() });
  const refund = (paymentId) => payments.refund({ paymentId, amount: '1.00', idempotencyKey: randomUUID() });
  const capture = (paymentId) => payments.capture({ paymentId, amount: '4.00', idempotencyKey: randomUUID() });
  return { payments, pay, refund, capture, close: () => manager.close() };
}

/** Counts one call of `run` (its result checked by `check`): { exchanges, statements, list }. */
async function countOne(store, run, check) {
  const recorder = countExchanges(store);
  let result;
  try {
    recorder.take();
    result = await run();
  } finally {
    recorder.restore();
  }
  check(result);
  const name = namer(store);
  const exchanges = recorder.take().map((statements) => statements.map(name));
  return { exchanges: exchanges.length, statements: exchanges.reduce((n, e) => n + e.length, 0), list: exchanges };
}

const expectStatus = (operation, status) => (result) => {
  if (result.payment.chargeStatus !== status) throw new Error(`${operation}: payment ended ${result.payment.chargeStatus}`);
};

/** Counts one pay() after `warm` others (prepared statements and pooled connections set up): { exchanges, statements, list }. */
export async function countPay(store, { warm = 3 } = {}) {
  return (await countOperations(store, { warm })).pay;
}

/** Counts one pay(), one refund of its payment and one capture of an authorized payment, after `warm` of each. */
export async function countOperations(store, { warm = 3 } = {}) {
  const { pay, refund, capture, close } = payService(store);
  try {
    for (let i = 0; i < warm; i++) {
      await refund((await pay()).payment.id);
      await capture((await pay('authorize')).payment.id);
    }
    const authorized = await pay('authorize');
    let paid;
    const counted = {};
    counted.pay = await countOne(store, async () => (paid = await pay()), expectStatus('pay', 'fully-charged'));
    counted.refund = await countOne(store, () => refund(paid.payment.id), expectStatus('refund', 'partially-refunded'));
    counted.capture = await countOne(store, () => capture(authorized.payment.id), expectStatus('capture', 'partially-charged'));
    return counted;
  } finally {
    await close();
  }
}

async function openPostgres() {
  const url = process.env.PAYHOST_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `payhost_rt_${randomBytes(4).toString('hex')}`;
  const store = await createPostgresStore({ connectionString: url, schema, pool: { max: 2 } });
  return { store, drop: () => store.driver.session((c) => c.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const which = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'all';
  const list = process.argv.includes('--list');
  for (const kind of ['pglite', 'postgres']) {
    if (which !== 'all' && which !== kind) continue;
    const opened = kind === 'pglite' ? { store: await createPgliteStore(), drop: async () => undefined } : await openPostgres();
    try {
      const counted = await countOperations(opened.store);
      for (const [operation, one] of Object.entries(counted)) {
        console.log(`${kind}: ${one.exchanges} round trips, ${one.statements} statements per PaymentService.${operation}`);
        if (list) one.list.forEach((statements, i) => console.log(`  ${String(i + 1).padStart(2)}. ${statements.map(sqlHead).join('  +  ')}`));
      }
    } finally {
      await opened.drop();
      await opened.store.close();
    }
  }
}
