import { expect } from 'chai';
import { createPostgresStore, SqlLedgerStore, type SqlConnection, type SqlDriver } from '@payhost/store-postgres';
import { describePostgres } from '../ledger/support/postgres.js';

/**
 * listUnsettledRefunds and listUnsettledPendingCharges run on every reconciliation pass. Every refund ever
 * settled keeps its refund_ongoing row (settling adds a row), so without an index of the settling rows the
 * NOT EXISTS was a hash anti-join over a sequential scan of every transaction (seconds at 200k payments);
 * likewise the EXISTS read every payment. Migration 7 indexes the settling rows and the pending payments:
 * the plans of the store's own statements (captured from the store, EXPLAINed after ANALYZE, nothing
 * forced) read those indexes and scan neither table, and the lists are what they were. Migration 8 flags the
 * unsettled refunds: listUnsettledRefunds reads the rows of transactions_refund_unsettled_idx alone (12 here),
 * not the 3000 refund_ongoing rows of every refund ever made (EXPLAIN ANALYZE's row counts, not its times).
 */

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** A store on `driver` that records the text of every statement it runs. */
function recording(driver: SqlDriver, texts: string[]): SqlLedgerStore {
  const wrapped: SqlDriver = {
    name: driver.name,
    session: (fn, options) =>
      driver.session(
        (c) =>
          fn({
            query: (text, params) => {
              texts.push(text);
              return c.query(text, params);
            },
            exec: (sql) => c.exec(sql),
          } satisfies SqlConnection),
        options,
      ),
    close: () => Promise.resolve(),
  };
  return new SqlLedgerStore(wrapped);
}

const PAYMENTS = 6000;

describePostgres('unsettled refunds and pending charges: indexed plans', (pg) => {
  const schema = pg.newSchema('unsettled_plans');
  let store: SqlLedgerStore;
  after(() => store?.close());

  before(async () => {
    store = await createPostgresStore({ connectionString: pg.url, schema });
    // Every payment is charged (authorization and charge rows); one in two was refunded, the refund settled
    // (refund_ongoing, then refund or, one in ten, refund_failed), except one in 500 still ongoing. One in
    // 20 payments was answered pending, one in 300 is still pending.
    await store.driver.session(async (c) => {
      await c.exec(`INSERT INTO payments (id, channel, gateway, charge_status, total, authorized_amount, captured_amount, currency,
          to_confirm, is_active, store_payment_method, created_at, updated_at, version)
        SELECT 'p' || i, 'web', 'g', CASE WHEN i % 300 = 0 THEN 'pending' ELSE 'fully_charged' END, 10, 10, 10, 'USD',
          false, true, false, now(), now(), 1
        FROM generate_series(1, ${PAYMENTS}) i`);
      await c.exec(`INSERT INTO transactions (id, payment_id, kind, state, is_success, action_required, amount, currency,
          gateway_transaction_id, gateway_idempotency_key, created_at, updated_at)
        SELECT 't' || i || '_' || k.kind, 'p' || i, k.kind, 'applied', k.kind <> 'refund_failed', false, 10, 'USD',
          CASE WHEN k.kind LIKE 'refund%' THEN 're_' || i ELSE 'ch_' || i END, 'gk_' || i || '_' || k.kind,
          timestamptz '2026-01-01' + i * interval '1 second' + k.n * interval '1 millisecond', now()
        FROM generate_series(1, ${PAYMENTS}) i
        CROSS JOIN (VALUES (1, 'authorization'), (2, 'pending'), (3, 'charge'), (4, 'refund_ongoing'), (5, 'refund'), (6, 'refund_failed')) k(n, kind)
        WHERE CASE k.kind
          WHEN 'pending' THEN i % 20 = 0
          WHEN 'refund_ongoing' THEN i % 2 = 0
          WHEN 'refund' THEN i % 2 = 0 AND i % 500 <> 0 AND i % 10 <> 0
          WHEN 'refund_failed' THEN i % 10 = 0 AND i % 500 <> 0
          ELSE true END`);
    });
    // What autovacuum does on a live database: statistics, and the visibility map.
    await pg.asOwner(async (c) => {
      await c.query(`SET search_path = "${schema}"`);
      await c.query('VACUUM ANALYZE transactions');
      await c.query('VACUUM ANALYZE payments');
    });
  });

  async function planOf(list: (s: SqlLedgerStore) => Promise<unknown>, analyze = false): Promise<PlanNode[]> {
    const texts: string[] = [];
    await list(recording(store.driver, texts));
    expect(texts).to.have.length(1);
    const options = analyze ? 'ANALYZE, TIMING OFF, FORMAT JSON' : 'FORMAT JSON';
    const [row] = await store.driver.session((c) => c.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (${options}) ${texts[0]!}`));
    return nodes(row!['QUERY PLAN'][0].Plan);
  }

  it('listUnsettledRefunds reads the refunds still unsettled alone, not every refund_ongoing row ever written', async () => {
    const [counts] = await store.driver.session((c) =>
      c.query<{ ongoing: string; flagged: string }>("SELECT count(*) FILTER (WHERE kind = 'refund_ongoing') AS ongoing, count(*) FILTER (WHERE refund_unsettled) AS flagged FROM transactions"),
    );
    expect([Number(counts!.ongoing), Number(counts!.flagged)]).to.deep.equal([PAYMENTS / 2, PAYMENTS / 500]);
    const plan = await planOf((s) => s.listUnsettledRefunds(), true);
    const read = plan.filter((n) => n['Relation Name'] === 'transactions').map((n) => [n['Index Name'], (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1)]);
    expect(plan.map((n) => n['Index Name']), JSON.stringify(read)).to.include('transactions_refund_unsettled_idx');
    // Each node's rows over all its loops: the flagged rows, and no settling row (none answers them).
    for (const [index, rows] of read) expect(rows, `${String(index)}: ${JSON.stringify(read)}`).to.be.at.most(PAYMENTS / 500);
  });

  it('listUnsettledRefunds checks the settling rows in their index, scanning no table, and lists the unsettled refunds alone', async () => {
    const plan = await planOf((s) => s.listUnsettledRefunds());
    const scans = plan.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name']);
    expect(scans, JSON.stringify(plan.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']]))).to.deep.equal([]);
    expect(plan.map((n) => n['Index Name'])).to.include('transactions_refund_settled_idx');

    const listed = await store.listUnsettledRefunds();
    const expected = Array.from({ length: PAYMENTS / 500 }, (_, n) => `t${(n + 1) * 500}_refund_ongoing`);
    expect(listed.map((t) => t.id)).to.deep.equal(expected);
  });

  it('listUnsettledPendingCharges finds the pending payments in their index, scanning no table, and lists their charges alone', async () => {
    const plan = await planOf((s) => s.listUnsettledPendingCharges());
    const scans = plan.filter((n) => n['Node Type'] === 'Seq Scan').map((n) => n['Relation Name']);
    expect(scans, JSON.stringify(plan.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']]))).to.deep.equal([]);
    expect(plan.map((n) => n['Index Name'])).to.include('payments_charge_pending_idx');

    const listed = await store.listUnsettledPendingCharges();
    const expected = Array.from({ length: PAYMENTS / 300 }, (_, n) => `t${(n + 1) * 300}_pending`);
    expect(listed.map((t) => t.id)).to.deep.equal(expected);
  });
});
