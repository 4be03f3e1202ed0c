import { expect } from 'chai';
import sinon from 'sinon';
import { isPayhostError, type OperationResult, type PayInput, type Transaction } from '@payhost/core';
import {
  MIGRATIONS,
  SqlLedgerStore,
  copyLedger,
  createPgliteStore,
  createPostgresStore,
  runMigrations,
  type SqlConnection,
  type SqlDriver,
} from '@payhost/store-postgres';
import { DUMMY_TOKENS, DummyGatewayPlugin, GATEWAY, codeOf, key, payInput, rejection, setup } from '../../core/test/ledger/helpers.js';
import { describePostgres } from '../ledger/support/postgres.js';
import { openMigratedPgliteStore } from '../support/pglite-template.js';
import { at, makePayment, makeTransaction, signal, uid } from './fixtures.js';

/** The tables the migrations create (payhost_migrations aside): every one must be copied. */
const TABLES = [...MIGRATIONS.join('\n').matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1] as string);
const KEYS: Record<string, string> = {
  payments: 'id',
  transactions: 'id',
  idempotency_keys: 'key',
  webhook_events: 'gateway, event_id',
  customer_accounts: 'customer_id, channel, gateway',
  plugin_settings: 'plugin, channel',
};
const METADATA = { note: 'caf\u00e9 \u65e5\u672c \ud83d\ude00 \u0645\u0631\u062d\u0628\u0627', nested: { list: [1, 'two', null, { deep: [true, 1.5] }], empty: {} } };

const ADDRESS = { firstName: 'Zo\u00eb', lastName: '\u5c71\u7530', streetAddress1: '1 Rue de l\u2019\u00c9glise', city: 'Paris', postalCode: '75001', country: 'FR' };

/** Every row of every ledger table as Postgres prints it (all columns, exact), in one order on both engines. */
async function dump(store: SqlLedgerStore): Promise<Record<string, string[]>> {
  return store.driver.session(async (c) => {
    await c.exec("BEGIN; SET LOCAL TimeZone TO 'UTC'");
    const out: Record<string, string[]> = {};
    for (const table of TABLES) {
      const order = KEYS[table]!.split(', ').map((k) => `${k} COLLATE "C"`).join(', ');
      out[table] = (await c.query<{ r: string }>(`SELECT t::text AS r FROM ${table} t ORDER BY ${order}`)).map((row) => row.r);
    }
    await c.exec('COMMIT');
    return out;
  });
}

async function counts(store: SqlLedgerStore): Promise<Record<string, number>> {
  return Object.fromEntries(Object.entries(await dump(store)).map(([table, rows]) => [table, rows.length]));
}

const EMPTY = Object.fromEntries(TABLES.map((t) => [t, 0]));

/** JSON's view: Decimals as their strings, Dates as ISO strings. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

interface Built {
  paymentIds: string[];
  pays: Array<{ input: PayInput; result: OperationResult }>;
  webhookEvent: { gateway: string; eventId: string; paymentId: string; response: { isSuccess: true; kind: 'refund'; amount: string; transactionId: string } };
}

/** A ledger made through PaymentService and the dummy gateway: what a real data directory holds. */
async function buildLedger(store: SqlLedgerStore): Promise<Built> {
  const env = setup({ store });
  try {
    const pays: Built['pays'] = [];
    const pay = async (overrides: Partial<PayInput>) => {
      const input = payInput(overrides);
      pays.push({ input, result: await env.service.pay(input) });
      return pays[pays.length - 1]!.result;
    };
    // Migration 9's columns: addresses (jsonb, non-ASCII) and the customer's IP address.
    const usd = await pay({ total: '10.00', metadata: METADATA, billing: ADDRESS, shipping: { city: 'K\u00f6ln', country: 'DE' }, customerIpAddress: '2001:db8::7' });
    await pay({ currency: 'JPY', total: '1500', metadata: { order: '\u6ce8\u6587-42' } });
    // KWD, 3 decimals: authorize, capture part, refund part.
    const kwd = await env.create({ currency: 'KWD', total: '10.125', metadata: { kind: 'auth' } });
    await env.service.authorize({ paymentId: kwd.id, idempotencyKey: key() });
    await env.service.capture({ paymentId: kwd.id, idempotencyKey: key(), amount: '4.125' });
    await env.service.refund({ paymentId: kwd.id, idempotencyKey: key(), amount: '1.001' });
    // 3-D Secure: waiting for the customer.
    const threeDs = await env.create({ token: DUMMY_TOKENS.threeDSecure });
    const waiting = await env.service.process({ paymentId: threeDs.id, idempotencyKey: key() });
    expect(waiting.transaction.actionRequired).to.equal(true);
    // Declined, recorded as a failed transaction.
    const declined = await env.create({ token: DUMMY_TOKENS.declined });
    expect(await codeOf(env.service.process({ paymentId: declined.id, idempotencyKey: key() }))).to.equal('gateway_declined');
    // A customer with a stored account.
    await pay({ customerId: 'cust-copy', storePaymentMethod: true });
    // A refund made in the processor's dashboard, delivered as a webhook event.
    const webhookEvent: Built['webhookEvent'] = {
      gateway: GATEWAY,
      eventId: `evt-copy-${usd.payment.id}`,
      paymentId: usd.payment.id,
      response: { isSuccess: true, kind: 'refund', amount: '1.00', transactionId: 'dash-refund-1' },
    };
    expect((await env.service.applyGatewayEvent(webhookEvent)).status).to.equal('applied');
    // Enough rows for several batches.
    for (let i = 0; i < 7; i++) await pay({ total: `${i + 1}.${i}5` });
    // Plugin settings an admin saved: global, per channel, replaced, withdrawn.
    const stripe = { active: true, configuration: { apiKey: '${STRIPE_SECRET_KEY}', automaticCapture: false, region: null } };
    await store.savePluginSettings({ plugin: 'payhost.stripe', channel: null, settings: stripe, now: new Date('2026-01-02T03:04:05.678Z') });
    await store.savePluginSettings({ plugin: 'payhost.stripe', channel: 'web', settings: { active: false, configuration: {} }, now: new Date('2026-01-02T03:04:06Z') });
    await store.savePluginSettings({ plugin: 'payhost.stripe', channel: 'web', settings: { ...stripe, active: false }, now: new Date('2026-01-02T03:04:07Z') });
    await store.savePluginSettings({ plugin: 'payhost.razorpay', channel: 'shop', settings: null, now: new Date('2026-01-02T03:04:08Z') });
    const paymentIds = (await store.driver.session((c) => c.query<{ id: string }>('SELECT id FROM payments'))).map((r) => r.id);
    return { paymentIds, pays, webhookEvent };
  } finally {
    await env.close();
  }
}

/** A target whose connection fails at the `failAt`-th INSERT: a copy broken in the middle. */
function failingAt(store: SqlLedgerStore, failAt: number): SqlLedgerStore {
  let inserts = 0;
  const wrap = (c: SqlConnection): SqlConnection => ({
    query: async (text, params) => {
      if (text.startsWith('INSERT') && ++inserts === failAt) throw new Error('connection lost (injected)');
      return c.query(text, params);
    },
    exec: (sql) => c.exec(sql),
  });
  const driver: SqlDriver = { name: store.driver.name, session: (fn) => store.driver.session((c) => fn(wrap(c))), close: () => store.driver.close() };
  return new SqlLedgerStore(driver);
}

/** The copy reads back through PaymentService exactly as the source does, and keeps working there. */
async function expectSameLedger(source: SqlLedgerStore, target: SqlLedgerStore, built: Built): Promise<void> {
  expect(await dump(target)).to.deep.equal(await dump(source));
  const from = setup({ store: source });
  const to = setup({ store: target });
  try {
    const withAddress = built.pays[0]!.result.payment.id;
    expect(await to.service.getPayment(withAddress)).to.deep.include({ customerIpAddress: '2001:db8::7', billing: { ...built.pays[0]!.result.payment.billing!, ...ADDRESS } });
    for (const id of built.paymentIds) {
      expect(plain(await to.service.getPayment(id)), id).to.deep.equal(plain(await from.service.getPayment(id)));
      expect(plain(await to.service.listTransactions(id)), id).to.deep.equal(plain(await from.service.listTransactions(id)));
    }
    // Idempotency keys replay: the recorded result, no gateway call.
    const calls = (['processPayment', 'authorizePayment', 'capturePayment', 'refundPayment'] as const).map((m) => sinon.spy(DummyGatewayPlugin.prototype, m));
    for (const { input, result } of built.pays) expect(plain(await to.service.pay(input))).to.deep.equal(plain(result));
    expect(calls.map((spy) => spy.callCount)).to.deep.equal([0, 0, 0, 0]);
    sinon.restore();
    // Webhook dedup holds.
    expect((await to.service.applyGatewayEvent(built.webhookEvent)).status).to.equal('duplicate');
    // Saved plugin settings read back alike, and a new save's revision follows the copied ones.
    const saved = await target.listPluginSettings(0);
    expect(saved).to.deep.equal(await source.listPluginSettings(0));
    expect(saved.map((s) => [s.plugin, s.channel])).to.deep.equal([
      ['payhost.stripe', null],
      ['payhost.stripe', 'web'],
      ['payhost.razorpay', 'shop'],
    ]);
    const highest = saved.at(-1)!.revision;
    expect(await target.savePluginSettings({ plugin: 'payhost.razorpay', channel: 'shop', settings: { active: true, configuration: {} }, now: new Date() })).to.equal(highest + 1);
    // New transactions sort after the copied ones.
    const paymentId = built.webhookEvent.paymentId;
    const refund = await to.service.refund({ paymentId, idempotencyKey: key(), amount: '2.00' });
    expect((await to.service.listTransactions(paymentId)).at(-1)?.id).to.equal(refund.transaction.id);
    const [seq] = await target.driver.session((c) =>
      c.query<{ added: string; copied: string }>('SELECT (SELECT seq FROM transactions WHERE id = $1)::text AS added, (SELECT max(seq) FROM transactions WHERE id <> $1)::text AS copied', [refund.transaction.id]),
    );
    expect(BigInt(seq!.added) > BigInt(seq!.copied), `seq ${seq!.added} after ${seq!.copied}`).to.equal(true);
  } finally {
    sinon.restore();
    await from.close();
    await to.close();
  }
}

// The PGlite stores are copies of a migrated database (creating one takes seconds); the one at an older
// schema version is created unmigrated.
describe('ledger copy (copyLedger)', function () {
  this.timeout(120_000);
  let source: SqlLedgerStore;
  let built: Built;
  let expected: Record<string, number>;
  const targets: SqlLedgerStore[] = [];
  const target = async () => {
    const store = await openMigratedPgliteStore();
    targets.push(store);
    return store;
  };

  before(async () => {
    source = await openMigratedPgliteStore();
    built = await buildLedger(source);
    expected = await counts(source);
  });
  after(async () => {
    for (const store of targets) await store.close();
    await source?.close();
  });

  it('copies every table the migrations create, in batches, and the copy reads, replays and grows as the source does (PGlite -> PGlite)', async () => {
    expect(TABLES).to.have.members(['payments', 'transactions', 'idempotency_keys', 'webhook_events', 'customer_accounts', 'plugin_settings']);
    for (const table of TABLES) expect(expected[table], table).to.be.greaterThan(0);
    const to = await target();
    const progress: Array<[string, number]> = [];
    const report = await copyLedger(source, to, { batchSize: 3, onProgress: (table, rows) => progress.push([table, rows]) });
    expect(report.tables).to.deep.equal(expected);
    expect(Object.keys(report.tables)).to.deep.equal(TABLES);
    const paymentSteps = progress.filter(([t]) => t === 'payments').map(([, n]) => n);
    expect(paymentSteps.length, 'payments took several batches').to.be.greaterThan(2);
    expect(paymentSteps.slice(0, 2)).to.deep.equal([3, 6]);
    expect(paymentSteps.at(-1)).to.equal(expected.payments);
    await expectSameLedger(source, to, built);
  });

  it('keeps values exactly: numeric scale, 3-decimal KWD, yen, a seq beyond 2^53, jsonb, microseconds', async () => {
    const to = await target();
    await copyLedger(source, to);
    const totals = async (store: SqlLedgerStore) =>
      (await store.driver.session((c) => c.query<{ t: string }>(`SELECT currency || ' ' || total::text || ' ' || captured_amount::text AS t FROM payments ORDER BY t`))).map((r) => r.t);
    expect(await totals(to)).to.deep.equal(await totals(source));
    expect(await totals(to)).to.include.members(['USD 10 9', 'JPY 1500 1500', 'KWD 10.125 3.124']);

    // Rows the ledger itself would not write (it normalizes amounts): what an older version or a hand fix left.
    const odd = await openMigratedPgliteStore();
    targets.push(odd);
    const columns = ['p.total::text', 'p.captured_amount::text', 'p.metadata::text', 'p.created_at::text', 't.seq::text', 't.amount::text'];
    await odd.driver.session((c) =>
      c.exec(`
        INSERT INTO payments (id, channel, gateway, charge_status, total, authorized_amount, captured_amount, currency, to_confirm, is_active, store_payment_method, metadata, created_at, updated_at, version)
        VALUES ('p-odd', 'web', 'payhost.dummy', 'fully-charged', 10.500, 10.500, 10.500, 'KWD', false, true, false,
                '{"z": 1, "a": {"é": [1.10, "日"]}}', '2026-01-02 03:04:05.123456+05:30', '2026-01-02 03:04:05.123456+00', 7);
        INSERT INTO transactions (id, seq, payment_id, kind, state, is_success, action_required, amount, currency, gateway_idempotency_key, created_at, updated_at)
        VALUES ('t-odd', 9007199254740993, 'p-odd', 'capture', 'applied', true, false, 10.500, 'KWD', 'g', '2026-01-02 03:04:05.000001+00', '2026-01-02 03:04:05.000001+00');`),
    );
    const oddTarget = await target();
    await copyLedger(odd, oddTarget);
    const read = (store: SqlLedgerStore) =>
      store.driver.session(async (c) => {
        await c.exec("BEGIN; SET LOCAL TimeZone TO 'UTC'");
        const rows = await c.query(`SELECT ${columns.join(', ')} FROM payments p JOIN transactions t ON t.payment_id = p.id`);
        await c.exec('COMMIT');
        return rows.map((row) => Object.values(row));
      });
    expect(await read(oddTarget)).to.deep.equal([['10.500', '10.500', '{"a": {"é": [1.10, "日"]}, "z": 1}', '2026-01-01 21:34:05.123456+00', '9007199254740993', '10.500']]);
    expect(await read(oddTarget)).to.deep.equal(await read(odd));
  });

  it('refuses a target that is not empty (target_not_empty, which tables) and changes nothing there', async () => {
    const to = await target();
    const env = setup({ store: to });
    await env.service.pay(payInput());
    await env.close();
    const before = await dump(to);
    const err = await rejection(copyLedger(source, to));
    expect(isPayhostError(err, 'target_not_empty'), err.message).to.equal(true);
    expect(err.details).to.deep.equal({ tables: { payments: 1, transactions: 1, idempotency_keys: 1 } });
    expect(err.message).to.match(/payments: 1 row, transactions: 1 row, idempotency_keys: 1 row/);
    expect(await dump(to)).to.deep.equal(before);
  });

  it('refuses a target whose only rows are saved plugin settings (an admin change made there would be overwritten)', async () => {
    const to = await target();
    await to.savePluginSettings({ plugin: 'payhost.stripe', channel: null, settings: null, now: new Date() });
    const err = await rejection(copyLedger(source, to));
    expect(isPayhostError(err, 'target_not_empty'), err.message).to.equal(true);
    expect(err.details).to.deep.equal({ tables: { plugin_settings: 1 } });
  });

  it('refuses stores at different schema versions (invalid_configuration with both versions)', async () => {
    const to = await createPgliteStore({ migrate: false });
    targets.push(to);
    await runMigrations(to.driver, { migrations: MIGRATIONS.slice(0, MIGRATIONS.length - 1) });
    const err = await rejection(copyLedger(source, to));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.details).to.deep.equal({ sourceVersion: MIGRATIONS.length, targetVersion: MIGRATIONS.length - 1 });
    expect(err.message).to.match(/schema version \d+ and the target at \d+/);
  });

  it('refuses a copy of a store onto itself', async () => {
    expect(await codeOf(copyLedger(source, source))).to.equal('invalid_input');
  });

  it('writes nothing when the copy breaks in the middle (a lost connection after the first batches), and a second try succeeds', async () => {
    const to = await target();
    const err = await rejection(copyLedger(source, failingAt(to, 4), { batchSize: 3 }));
    expect(err.message).to.match(/ledger copy failed while copying (payments|transactions): connection lost \(injected\); nothing was written to the target/);
    expect(await counts(to)).to.deep.equal(EMPTY);
    expect((await copyLedger(source, to)).tables).to.deep.equal(expected);
    expect(await dump(to)).to.deep.equal(await dump(source));
  });

  it('writes nothing when the database refuses a row of a later table, and the error quotes no row contents', async () => {
    const to = await target();
    await to.driver.session((c) => c.exec("ALTER TABLE transactions ADD CONSTRAINT no_kwd_copy CHECK (currency <> 'KWD')"));
    const err = await rejection(copyLedger(source, to, { batchSize: 4 }));
    expect(err.message).to.match(/while copying transactions: .*no_kwd_copy.*SQLSTATE 23514.*nothing was written to the target/);
    for (const secret of ['tok_dummy', 'caf\u00e9', 'KWD', built.paymentIds[0]!]) expect(err.message).not.to.include(secret);
    expect(await counts(to)).to.deep.equal(EMPTY);
  });
});

describePostgres('ledger copy (copyLedger)', (pg) => {
  let source: SqlLedgerStore;
  let built: Built;
  const stores: SqlLedgerStore[] = [];
  const open = async (label: string) => {
    const store = await createPostgresStore({ connectionString: pg.url, schema: pg.newSchema(label), pool: { max: 3 } });
    stores.push(store);
    return store;
  };

  before(async () => {
    source = await openMigratedPgliteStore();
    stores.push(source);
    built = await buildLedger(source);
  });
  after(async () => {
    for (const store of stores) await store.close();
  });

  it('PGlite -> PostgreSQL -> PGlite: the same rows, and the PostgreSQL copy reads, replays and grows as the source does', async () => {
    const server = await open('copy_to');
    const report = await copyLedger(source, server, { batchSize: 5 });
    expect(report.tables).to.deep.equal(await counts(source));
    const back = await openMigratedPgliteStore();
    stores.push(back);
    expect((await copyLedger(server, back, { batchSize: 2 })).tables).to.deep.equal(report.tables);
    expect(await dump(back)).to.deep.equal(await dump(source));
    await expectSameLedger(source, server, built);
  });

  it('refuses a non-empty PostgreSQL target and stores at different versions; writes nothing when a row is refused', async () => {
    const full = await open('copy_full');
    await copyLedger(source, full);
    const before = await dump(full);
    expect(await codeOf(copyLedger(source, full))).to.equal('target_not_empty');
    expect(await dump(full)).to.deep.equal(before);

    const oldSchema = pg.newSchema('copy_old');
    const old = await createPostgresStore({ connectionString: pg.url, schema: oldSchema, migrate: false, pool: { max: 2 } });
    stores.push(old);
    await runMigrations(old.driver, { schema: oldSchema, migrations: MIGRATIONS.slice(0, 1) });
    const err = await rejection(copyLedger(source, old));
    expect(err.details).to.deep.equal({ sourceVersion: MIGRATIONS.length, targetVersion: 1 });

    const refusing = await open('copy_refusing');
    await refusing.driver.session((c) => c.exec("ALTER TABLE transactions ADD CONSTRAINT no_kwd_copy CHECK (currency <> 'KWD')"));
    const refused = await rejection(copyLedger(source, refusing, { batchSize: 3 }));
    expect(refused.message).to.match(/no_kwd_copy.*nothing was written to the target/);
    expect(await counts(refusing)).to.deep.equal(EMPTY);
  });

  // Migration 8's refund_unsettled, written without the payment lock, can be stale in the source; the target's triggers
  // compute it afresh. Copied and digested, it failed every copy ("transactions reads back 2 rows with other values").
  it('copies a source whose refund_unsettled flags are stale (writes racing without the payment lock): the target\'s flags are right', async () => {
    const schema = pg.newSchema('copy_stale');
    // Two stores on one schema: two processes writing at once.
    const b = await createPostgresStore({ connectionString: pg.url, schema, pool: { max: 2 } });
    const c = await createPostgresStore({ connectionString: pg.url, schema, pool: { max: 2 } });
    stores.push(b, c);
    const p = makePayment();
    const refund = (of: Transaction, state: Transaction['state'] = 'applied') =>
      makeTransaction(p.id, { kind: 'refund', state, isSuccess: true, gatewayTransactionId: of.gatewayTransactionId, createdAt: at(50) });
    const ongoing = (seconds: number) => makeTransaction(p.id, { kind: 'refund_ongoing', state: 'applied', isSuccess: true, gatewayTransactionId: uid('re'), createdAt: at(seconds) });
    const [settledUnseen, unsettledUnseen] = [ongoing(10), ongoing(20)];
    const settling = refund(unsettledUnseen);
    await b.transaction(async (tx) => {
      await tx.insertPayment(p);
      await tx.insertTransaction(settling);
    });
    // Flagged though settled: b writes the ongoing row and waits; c settles it and commits; neither saw the other's row.
    const written = signal();
    const settled = signal();
    const first = b.transaction(async (tx) => {
      await tx.insertTransaction(settledUnseen);
      written.resolve();
      await settled.promise;
    });
    await written.promise;
    await c.transaction((tx) => tx.insertTransaction(refund(settledUnseen)));
    settled.resolve();
    await first;
    // Not flagged though unsettled: SQL by hand takes its settling row out of 'applied' while the ongoing row is written.
    await pg.asOwner(async (hand) => {
      await hand.query(`SET search_path TO "${schema}"; BEGIN`);
      await hand.query("UPDATE transactions SET state = 'review' WHERE id = $1", [settling.id]);
      await b.transaction((tx) => tx.insertTransaction(unsettledUnseen));
      await hand.query('COMMIT');
    });
    expect((await wrongFlags(b)).sort()).to.deep.equal([settledUnseen.id, unsettledUnseen.id].sort());

    for (const target of [await open('copy_stale_to'), await openMigratedPgliteStore()]) {
      if (!stores.includes(target)) stores.push(target);
      const report = await copyLedger(b, target);
      expect(report.tables.transactions, target.driver.name).to.equal(4);
      expect(await wrongFlags(target), target.driver.name).to.deep.equal([]);
      expect((await target.listUnsettledRefunds()).map((t) => t.id), target.driver.name).to.deep.equal([unsettledUnseen.id]);
    }
    // A target that does not compute the flag (its trigger disabled by hand) is refused, not filled with flags that hide a refund.
    const broken = await open('copy_stale_broken');
    await broken.driver.session((conn) => conn.exec('ALTER TABLE transactions DISABLE TRIGGER transactions_refund_unsettled'));
    const err = await rejection(copyLedger(b, broken));
    expect(err.message).to.equal(
      'ledger copy: verification failed: transactions.refund_unsettled is not what its definition says on 1 row of the target; nothing was written to the target',
    );
    expect(await counts(broken)).to.deep.equal(EMPTY);
  });
});

/** Rows whose refund_unsettled is not what the definition of an unsettled refund says. */
const wrongFlags = (store: SqlLedgerStore) =>
  store.driver.session(async (c) =>
    (await c.query<{ id: string }>(`SELECT id FROM transactions t WHERE t.refund_unsettled IS DISTINCT FROM (
      t.kind = 'refund_ongoing' AND t.state = 'applied' AND t.is_success AND NOT EXISTS (SELECT 1 FROM transactions s
        WHERE s.payment_id = t.payment_id AND s.state = 'applied' AND s.kind IN ('refund', 'refund_failed')
          AND s.gateway_transaction_id = t.gateway_transaction_id))`)).map((r) => r.id));
