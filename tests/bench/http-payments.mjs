// POST /payments requests per second through the reference server (dummy
// gateway), on the in-memory store, embedded PGlite and PostgreSQL, beside a
// bare fastify route answering the same JSON; with the memory store also the
// server with its ledger stubbed out (what the HTTP layer alone costs). Each server runs in its own
// process; the load (autocannon) comes from this one. Variants alternate in
// rounds so a noisy neighbour slows both sides of a ratio.
//
// With few cores the load generator competes with the server, and a fast
// server waits for it (the bare route does): req/s then understates it. So
// the table also gives each server process's CPU time per request (from
// /proc, Linux only), which does not depend on how fast the load comes.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';

export const name = 'http-payments';
export const description = 'POST /payments requests/s: payhost (memory, PGlite, PostgreSQL) vs a bare fastify route';

const here = dirname(fileURLToPath(import.meta.url));
const PAYMENT_KEY = 'bench-payment-key-0123456789';
const BODY = JSON.stringify({ channel: 'web', amount: '10.00', currency: 'USD', token: 'tok_dummy_success' });
/** payhost must serve at least this share of the bare route's requests/s on the in-memory store. */
const TARGET_SHARE = 0.6;

function start(variant, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'support', 'http-server.mjs'), variant, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}` });
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited (${code}) before listening`)));
  });
}

function stop({ child }) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

/** CPU time (user + system) the process has used, in microseconds; null where /proc is not there. */
function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name: state is field 3, utime 14, stime 15, in clock ticks (USER_HZ, 100 on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return null;
  }
}

/** Loads the server for `seconds`: its requests/s, and its CPU microseconds per request (null when unknown). */
async function load({ url, child }, seconds) {
  const cpuBefore = cpuMicros(child.pid);
  const result = await autocannon({
    url: `${url}/payments`,
    connections: 8,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json' },
        body: BODY,
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'idempotency-key': randomUUID() } }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  const cpuAfter = cpuMicros(child.pid);
  const cpu = cpuBefore === null || cpuAfter === null || result.requests.total === 0 ? null : (cpuAfter - cpuBefore) / result.requests.total;
  return { rps: result.requests.average, cpu };
}

async function postgresReachable() {
  const client = new pg.Client({ connectionString: process.env.PAYHOST_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export async function run(report) {
  const rounds = report.options.quick ? 1 : 3;
  const seconds = report.options.quick ? 1 : 3;
  const variants = ['payhost-memory', 'payhost-pglite'];
  if (await postgresReachable()) variants.push('payhost-postgres');
  else report.note('PostgreSQL: not reachable, skipped (set PAYHOST_TEST_DATABASE_URL)');
  report.note(`autocannon, 8 connections, 1 s warm-up, then ${rounds} alternating round(s) of ${seconds} s per variant; each server in its own process`);

  const rows = [];
  const bareCpus = [];
  for (const variant of variants) {
    const payhost = await start(variant);
    // The bare route answers exactly what payhost answered to one request.
    const sample = await fetch(`${payhost.url}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: BODY,
    }).then((r) => r.text());
    const bare = await start('bare', [sample]);
    // With the memory store, also the server with the ledger stubbed out: the share the HTTP layer alone leaves.
    const httpOnly = variant === 'payhost-memory' ? await start('payhost-http-only') : null;
    try {
      // Warm-up, not counted: the first second of a server runs its code unoptimized (about twice the CPU per request).
      for (const server of [payhost, bare, httpOnly]) if (server) await load(server, 1);
      const runs = { payhost: [], bare: [], httpOnly: [] };
      for (let round = 0; round < rounds; round++) {
        const first = round % 2 === 0;
        const a = first ? await load(payhost, seconds) : null;
        runs.bare.push(await load(bare, seconds));
        if (httpOnly) runs.httpOnly.push(await load(httpOnly, seconds));
        runs.payhost.push(a ?? (await load(payhost, seconds)));
      }
      // Ratios per round (the two sides ran back to back), then their median.
      const rpsShare = (side) => median(side.map((run, i) => run.rps / runs.bare[i].rps));
      const cpuShare = (side) => (side.every((run, i) => run.cpu && runs.bare[i].cpu) ? median(side.map((run, i) => runs.bare[i].cpu / run.cpu)) : null);
      const row = (label, side, check) => {
        const cpu = median(side.map((run) => run.cpu ?? NaN));
        const share = cpuShare(side);
        return [
          label,
          median(side.map((run) => run.rps)).toFixed(0),
          median(runs.bare.map((run) => run.rps)).toFixed(0),
          `${(rpsShare(side) * 100).toFixed(1)}%`,
          check,
          Number.isNaN(cpu) ? '' : cpu.toFixed(1),
          share === null ? '' : `${(share * 100).toFixed(1)}%`,
        ];
      };
      const check =
        variant === 'payhost-memory'
          ? report.check('POST /payments, bare route time / payhost time (memory store; <= 1.67x is >= 60% of bare)', { median: 1 / rpsShare(runs.payhost) }, 1 / TARGET_SHARE)
          : '';
      rows.push(row(variant === 'payhost-pglite' ? 'pglite (data directory)' : variant.replace('payhost-', ''), runs.payhost, check));
      if (httpOnly) rows.push(row('memory, ledger stubbed (info)', runs.httpOnly, ''));
      const bareCpu = median(runs.bare.map((run) => run.cpu ?? NaN));
      if (!Number.isNaN(bareCpu)) bareCpus.push(bareCpu);
    } finally {
      await stop(bare);
      if (httpOnly) await stop(httpOnly);
      await stop(payhost);
    }
  }
  report.table(
    ['store', 'payhost req/s', 'bare fastify req/s', 'payhost / bare', `target >= ${TARGET_SHARE * 100}% (memory)`, 'payhost CPU us/req', 'bare CPU / payhost CPU'],
    rows,
  );
  report.note('"ledger stubbed": the same server with PaymentService.pay answering one recorded result (no ledger, no gateway):');
  report.note('the ceiling the HTTP layer (auth, validation, serialization) leaves for any ledger.');
  if (bareCpus.length > 0) {
    report.note(`CPU us/req: the server process's CPU time per request (bare route: ${bareCpus.map((c) => c.toFixed(1)).join(', ')}); it does not`);
    report.note('depend on the load generator, which shares the machine and can be the bottleneck of the bare route. PostgreSQL');
    report.note("itself runs in other processes: its CPU is not in the postgres row's figure.");
  }
}
