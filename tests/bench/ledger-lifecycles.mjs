// Payment lifecycles per second through the ledger (PaymentService + store +
// plugin manager + dummy gateway): createPayment, process (authorize only:
// auto-capture off), capture, refund — on the in-memory store, PGlite (in
// memory) and PostgreSQL, each beside the same SQL statements run raw, without
// the host; and with two host processes on one PostgreSQL schema.
//
// The raw baseline: one host lifecycle is run with the store's driver wrapped
// so every statement is recorded, grouped by session (a BEGIN ... COMMIT
// transaction, or one read) with its parameters. The raw side replays exactly
// those statements, session by session with the same transaction boundaries,
// on a bare pg.Pool (or a bare PGlite instance) — every UUID in the parameters
// (payment, transaction ids, idempotency keys) replaced by a fresh one per
// lifecycle. It is the database work of a lifecycle without the host's code.
//
// Host and raw run alternately in short rounds (a noisy neighbour slows both)
// at the same number of lifecycles in flight; figures are the medians over
// rounds, the ratio the median of per-round ratios. Wall-clock time: the work
// waits on the database. Run as a script with --child, it is one host (or raw)
// process of the two-process variant.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MemoryLedgerStore, PaymentService, PluginManager } from '@payhost/core';
import { DUMMY_TOKENS, DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { createPgliteStore, createPostgresStore } from '@payhost/store-postgres';
import { rawPglite, rawPostgres, recordStatements, replayer } from './support/raw-sql.mjs';

export const name = 'ledger-lifecycles';
export const description = 'lifecycles/s (create + process + capture + refund, dummy gateway): memory, PGlite, PostgreSQL; host vs raw SQL; two host processes';

/** The host must reach at least this share of the raw statements' lifecycles/s on PostgreSQL. */
const TARGET_SHARE = 0.5;
const CHANNEL = 'web';
const IN_FLIGHT = 8;
const SELF = fileURLToPath(import.meta.url);


function databaseUrl() {
  return process.env.PAYHOST_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
}

function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function makeService(store) {
  const manager = new PluginManager({
    plugins: [DummyGatewayPlugin],
    config: {
      channels: [
        {
          slug: CHANNEL,
          currencies: ['USD'],
          plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: false } } },
        },
      ],
    },
  });
  return { manager, service: new PaymentService({ manager, store }) };
}

/** One lifecycle through the host. */
async function hostLifecycle(service) {
  const payment = await service.createPayment({
    idempotencyKey: `bench-${randomUUID()}`,
    channel: CHANNEL,
    total: '10.00',
    currency: 'USD',
    token: DUMMY_TOKENS.success,
  });
  await service.process({ paymentId: payment.id, idempotencyKey: `bench-${randomUUID()}` });
  await service.capture({ paymentId: payment.id, idempotencyKey: `bench-${randomUUID()}` });
  const refunded = await service.refund({ paymentId: payment.id, idempotencyKey: `bench-${randomUUID()}` });
  if (refunded.payment.chargeStatus !== 'fully-refunded') throw new Error(`lifecycle ended ${refunded.payment.chargeStatus}`);
}

/** Runs `lifecycle` with `inFlight` at a time for about `ms`; lifecycles per second. */
async function runFor(ms, inFlight, lifecycle) {
  const start = performance.now();
  const deadline = start + ms;
  let done = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await lifecycle();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { done, seconds: (performance.now() - start) / 1000, perSecond: done / ((performance.now() - start) / 1000) };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Host and raw alternately, `rounds` rounds of `roundMs` each; medians and the median per-round ratio. */
async function alternate({ host, raw, inFlight, rounds, roundMs, warmupMs }) {
  await runFor(warmupMs, inFlight, host);
  if (raw) await runFor(warmupMs, inFlight, raw);
  const h = [];
  const r = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ['host', 'raw'] : ['raw', 'host'];
    for (const side of order) {
      if (side === 'host') h.push((await runFor(roundMs, inFlight, host)).perSecond);
      else if (raw) r.push((await runFor(roundMs, inFlight, raw)).perSecond);
    }
  }
  const ratios = raw ? h.map((x, i) => x / r[i]) : [];
  return { host: median(h), raw: raw ? median(r) : null, ratio: raw ? median(ratios) : null, spread: raw ? [Math.min(...ratios), Math.max(...ratios)] : null };
}

const fmt = (x) => (x === null ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

function settings(report) {
  return report.options.quick
    ? { rounds: 2, roundMs: 250, warmupMs: 150, childRoundMs: 300 }
    : { rounds: 5, roundMs: 600, warmupMs: 500, childRoundMs: 800 };
}

async function postgresReachable(url) {
  let store;
  try {
    store = await createPostgresStore({ connectionString: url, migrate: false, pool: { max: 1, connectionTimeoutMillis: 3_000 } });
    await store.driver.session((c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- two processes

function startChild(task) {
  const child = spawn(process.execPath, [SELF, '--child', JSON.stringify(task)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const messages = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const m = JSON.parse(line);
    messages.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = async (type) => {
    for (;;) {
      const m = messages.find((x) => x.type === type || x.type === 'error');
      if (m?.type === 'error') throw new Error(`bench child: ${m.message}`);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`bench child exited (${child.exitCode}) before "${type}"`);
      await Promise.race([new Promise((r) => waiters.push(r)), exited]);
    }
  };
  return { child, waitFor, go: (start) => child.stdin.write(`go ${start}\n`), exited };
}

/**
 * Two processes on one schema. Both prepare host and raw lifecycles, then run
 * the same schedule of fixed rounds from a common start time, alternating
 * host and raw (so both processes run host rounds together, then raw rounds
 * together). Per round, the lifecycles of both are summed; the figures are
 * medians over rounds, the ratio the median over host/raw round pairs.
 */
async function twoProcesses(url, schema, { rounds, roundMs }, inFlight) {
  const children = [0, 1].map(() => startChild({ url, schema, inFlight, rounds, roundMs }));
  try {
    await Promise.all(children.map((c) => c.waitFor('ready')));
    const start = Date.now() + 200;
    for (const c of children) c.go(start);
    const results = await Promise.all(children.map((c) => c.waitFor('result')));
    await Promise.all(children.map((c) => c.exited));
    const perRound = results[0].rounds.map((r, k) => {
      const seconds = Math.max(...results.map((x) => x.rounds[k].seconds));
      return { mode: r.mode, total: results.reduce((n, x) => n + x.rounds[k].done, 0) / seconds, each: results.map((x) => x.rounds[k].done / x.rounds[k].seconds) };
    });
    const host = perRound.filter((r) => r.mode === 'host');
    const raw = perRound.filter((r) => r.mode === 'raw');
    const ratios = host.map((h, i) => h.total / raw[i].total);
    const each = (list) => [0, 1].map((i) => median(list.map((r) => r.each[i])));
    return {
      host: median(host.map((r) => r.total)),
      raw: median(raw.map((r) => r.total)),
      hostEach: each(host),
      rawEach: each(raw),
      ratio: median(ratios),
      spread: [Math.min(...ratios), Math.max(...ratios)],
    };
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill();
  }
}

async function childMain(task) {
  const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);
  const store = await createPostgresStore({ connectionString: task.url, schema: task.schema, migrate: false });
  const { manager, service } = makeService(store);
  const raw = rawPostgres(task.url, task.schema, 10);
  try {
    const replay = replayer(await recordStatements(store, () => hostLifecycle(service)));
    await replay.check(raw.session);
    const sides = { host: () => hostLifecycle(service), raw: () => replay.lifecycle(raw.session) };
    await runFor(300, task.inFlight, sides.host);
    await runFor(300, task.inFlight, sides.raw);
    send({ type: 'ready' });
    const start = await new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin });
      rl.on('line', (l) => {
        const m = /^go (\d+)$/.exec(l.trim());
        if (m) {
          rl.close();
          resolve(Number(m[1]));
        }
      });
    });
    const out = [];
    for (let k = 0; k < task.rounds * 2; k++) {
      const pair = k >> 1;
      const mode = (k % 2 === 0) === (pair % 2 === 0) ? 'host' : 'raw';
      const wait = start + k * task.roundMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const r = await runFor(start + (k + 1) * task.roundMs - Date.now(), task.inFlight, sides[mode]);
      out.push({ mode, done: r.done, seconds: r.seconds });
    }
    send({ type: 'result', rounds: out });
  } finally {
    await raw.close();
    await manager.close();
    await store.close();
  }
}

// ---------------------------------------------------------------- the module

export async function run(report) {
  const s = settings(report);
  const rows = [];
  const shapes = [];
  const row = (label, inFlight, res, target) => {
    const cell = res.ratio === null ? '-' : `${res.ratio.toFixed(2)} (${res.spread[0].toFixed(2)}-${res.spread[1].toFixed(2)})`;
    let verdict = '-';
    if (target && res.ratio !== null) {
      // For the summary, report.check takes a cost ratio and a maximum: host time per lifecycle / raw time <= 1 / share.
      report.check(`ledger lifecycles, ${label}, ${inFlight} in flight: host time / raw SQL time`, { median: 1 / res.ratio }, 1 / TARGET_SHARE);
      verdict = `${res.ratio >= TARGET_SHARE ? 'OK' : 'OVER'} (>= ${TARGET_SHARE})`;
    }
    rows.push([label, String(inFlight), fmt(res.host), fmt(res.raw), cell, verdict]);
  };

  // Memory: the host alone (no SQL).
  {
    const { manager, service } = makeService(new MemoryLedgerStore());
    await hostLifecycle(service);
    row('memory', 1, await alternate({ host: () => hostLifecycle(service), raw: null, inFlight: 1, ...s }), false);
    await manager.close();
  }

  // PGlite in memory, beside the same statements on a bare PGlite.
  {
    const store = await createPgliteStore();
    const { manager, service } = makeService(store);
    const raw = await rawPglite();
    try {
      const replay = replayer(await recordStatements(store, () => hostLifecycle(service)));
      await replay.check(raw.session);
      shapes.push(`One lifecycle = ${replay.statements} SQL statements (BEGIN/COMMIT included) in ${replay.roundTrips} round trips: ${replay.transactions} transactions and ${replay.sessions - replay.transactions} single statements.`);
      row('PGlite (in memory)', 1, await alternate({ host: () => hostLifecycle(service), raw: () => replay.lifecycle(raw.session), inFlight: 1, ...s }), false);
    } finally {
      await raw.close();
      await manager.close();
      await store.close();
    }
  }

  // PostgreSQL.
  const url = databaseUrl();
  if (!(await postgresReachable(url))) {
    report.table(['store', 'in flight', 'host lifecycles/s', 'raw SQL lifecycles/s', 'host/raw (min-max)', 'target'], rows);
    report.note(`PostgreSQL: not reachable, skipped (${redact(url)}; set PAYHOST_TEST_DATABASE_URL).`);
    notes(report, s, shapes);
    return;
  }
  const schema = `payhost_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const store = await createPostgresStore({ connectionString: url, schema, pool: { max: 10 } });
  const { manager, service } = makeService(store);
  const raw = rawPostgres(url, schema, 10);
  try {
    const replay = replayer(await recordStatements(store, () => hostLifecycle(service)));
    await replay.check(raw.session);
    for (const inFlight of [1, IN_FLIGHT]) {
      row('PostgreSQL', inFlight, await alternate({ host: () => hostLifecycle(service), raw: () => replay.lifecycle(raw.session), inFlight, ...s }), true);
    }
    const two = await twoProcesses(url, schema, { rounds: s.rounds, roundMs: s.childRoundMs }, IN_FLIGHT);
    report.check(`ledger lifecycles, PostgreSQL, 2 processes x ${IN_FLIGHT} in flight: host time / raw SQL time`, { median: 1 / two.ratio }, 1 / TARGET_SHARE);
    rows.push([
      'PostgreSQL, 2 processes',
      `2 x ${IN_FLIGHT}`,
      `${fmt(two.host)} (${two.hostEach.map(fmt).join(' + ')})`,
      `${fmt(two.raw)} (${two.rawEach.map(fmt).join(' + ')})`,
      `${two.ratio.toFixed(2)} (${two.spread[0].toFixed(2)}-${two.spread[1].toFixed(2)})`,
      `${two.ratio >= TARGET_SHARE ? 'OK' : 'OVER'} (>= ${TARGET_SHARE})`,
    ]);
  } finally {
    await raw.close();
    await manager.close();
    await store.close();
    const admin = await createPostgresStore({ connectionString: url, migrate: false, pool: { max: 1 } });
    await admin.driver.session((c) => c.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
    await admin.close();
  }
  report.table(['store', 'in flight', 'host lifecycles/s', 'raw SQL lifecycles/s', 'host/raw (min-max)', 'target'], rows);
  report.note(`PostgreSQL at ${redact(url)}, schema ${schema} (dropped). Two processes: one schema, ${s.rounds} host and ${s.rounds} raw rounds of ${s.childRoundMs} ms run by both at once; (a + b) = each process's share.`);
  notes(report, s, shapes);
}

function notes(report, s, shapes) {
  for (const shape of shapes) report.note(shape);
  report.note('lifecycle = createPayment + process (authorize) + capture + refund; raw = the same recorded SQL statements and transactions on a bare driver.');
  report.note(`Wall-clock time; medians of ${s.rounds} alternating rounds of ${s.roundMs} ms per side; host/raw = median of per-round ratios (min-max).`);
}

if (process.argv[1] === SELF && process.argv[2] === '--child') {
  childMain(JSON.parse(process.argv[3])).then(
    () => process.exit(0),
    (err) => {
      process.stdout.write(`${JSON.stringify({ type: 'error', message: String(err?.stack ?? err) })}\n`);
      process.exit(1);
    },
  );
}
