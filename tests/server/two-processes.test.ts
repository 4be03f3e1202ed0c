import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { checkReachable, testDatabaseUrl } from '../support/postgres-url.js';

/**
 * Two `payhost serve` processes on one PostgreSQL database: concurrent refunds
 * of one payment through both never over-refund. Always runs, on
 * PAYHOST_TEST_DATABASE_URL or its default, and fails when that server is unreachable.
 */
const databaseUrl = testDatabaseUrl();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAYMENT_KEY = 'two-proc-payment-key-000111';

function startServer(configPath: string): Promise<{ child: ChildProcess; url: string; line: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'packages/cli/dist/bin.js'), 'serve', '--config', configPath], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /payhost is listening on (http:\/\/[^\s]+).*/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], line: match[0] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output.slice(-2000)}`)));
  });
}

async function call(url: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('two server processes on one PostgreSQL database', function () {
  this.timeout(120_000);
  const schema = `payhost_srv_${randomBytes(4).toString('hex')}`;
  const servers: ChildProcess[] = [];
  let dir = '';
  let urls: string[] = [];
  let reachable = false;

  before(async () => {
    await checkReachable(databaseUrl);
    reachable = true;
    dir = await mkdtemp(join(tmpdir(), 'payhost-two-'));
    const configPath = join(dir, 'payhost.json');
    await writeFile(
      configPath,
      JSON.stringify({
        server: { port: 0, logLevel: 'warn', checkout: false, databaseSchema: schema },
        auth: { adminApiKey: 'two-proc-admin-key-000222', paymentApiKey: PAYMENT_KEY },
        plugins: [join(root, 'packages/server/test/fixtures/test-plugins.mjs')],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true } } }],
      }),
    );
    // One after the other: the first migrates the schema, the second finds it ready.
    const first = await startServer(configPath);
    servers.push(first.child);
    const second = await startServer(configPath);
    servers.push(second.child);
    urls = [first.url, second.url];
    // The store named as GET /health names it.
    expect(first.line).to.include('(store: postgres)');
    expect(((await (await fetch(`${first.url}/health`)).json()) as { store: string }).store).to.equal('postgres');
  });

  after(async () => {
    for (const child of servers) child.kill('SIGTERM');
    await Promise.all(servers.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    if (!reachable) return; // before() failed, saying so; no schema to drop.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('50 concurrent refunds of 1.00 against a captured 10.00 through both: exactly 10 succeed', async () => {
    const [a, b] = urls as [string, string];
    const created = await call(a, '/payments', { channel: 'web', gateway: 'test.signed', amount: '10.00', currency: 'USD', token: 'tok', action: 'authorize' });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.payment.id as string;
    const captured = await call(b, `/payments/${id}/capture`, {});
    expect(captured.body.payment.capturedAmount).to.equal('10.00');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => call(i % 2 === 0 ? a : b, `/payments/${id}/refund`, { amount: '1.00' })));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).to.have.length(10);
    for (const refused of results.filter((r) => r.status !== 200)) {
      expect(refused.status).to.be.oneOf([409, 422]);
      // Over the limit while refunds are pending, busy, or refused once the payment is fully refunded (inactive).
      expect(refused.body.code).to.be.oneOf(['amount_exceeds', 'payment_busy', 'operation_not_allowed']);
    }
    expect(new Set(ok.map((r) => r.body.transaction.id)).size).to.equal(10);
    const final = await fetch(`${a}/payments/${id}`, { headers: { authorization: `Bearer ${PAYMENT_KEY}` } }).then((r) => r.json() as Promise<any>);
    expect(final.payment).to.include({ capturedAmount: '0.00', chargeStatus: 'fully-refunded' });
    const refunds = final.transactions.filter((t: { kind: string; isSuccess: boolean }) => t.kind === 'refund' && t.isSuccess);
    expect(refunds).to.have.length(10);
    expect(final.transactions.filter((t: { state: string }) => t.state === 'pending')).to.deep.equal([]);
  });

  it('`payhost pay` writes to the same database and schema (server.databaseSchema): the servers show its payment', async () => {
    const args = ['pay', '--config', join(dir, 'payhost.json'), '--channel', 'web', '--gateway', 'test.signed', '--amount', '4.20', '--currency', 'USD', '--token', 'tok'];
    const printed = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [join(root, 'packages/cli/dist/bin.js'), ...args], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`payhost pay exited with ${code}: ${err}`))));
    });
    const { payment } = JSON.parse(printed) as { payment: { id: string; total: string } };
    expect(payment.total).to.equal('4.20');
    const shown = await fetch(`${urls[1]}/payments/${payment.id}`, { headers: { authorization: `Bearer ${PAYMENT_KEY}` } });
    expect(shown.status).to.equal(200);
    expect(((await shown.json()) as any).payment).to.include({ id: payment.id, total: '4.20', currency: 'USD' });
  });

  it('an admin change on one server reaches the other (and `payhost pay`); withdrawn on the other, the file applies again on both', async () => {
    const [a, b] = urls as [string, string];
    const admin = (url: string, method: string, body?: unknown) =>
      fetch(`${url}/admin/channels/web/plugins/test.signed`, {
        method,
        headers: { authorization: 'Bearer two-proc-admin-key-000222', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const listed = async (url: string) => {
      const answer = await fetch(`${url}/channels/web/gateways?currency=USD`, { headers: { authorization: `Bearer ${PAYMENT_KEY}` } });
      return ((await answer.json()) as { gateways: Array<{ id: string }> }).gateways.map((g) => g.id);
    };
    /** The other server applies saved changes at its next poll (server.pluginSettingsPollMs, 2 s by default). */
    const eventually = async (check: () => Promise<boolean>, what: string) => {
      for (let attempt = 0; attempt < 150; attempt += 1) {
        if (await check()) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect.fail(`never: ${what}`);
    };
    expect(await listed(b)).to.include('test.signed');
    expect((await admin(a, 'PUT', { active: false })).status).to.equal(200);
    expect(await listed(a)).to.not.include('test.signed');
    await eventually(async () => !(await listed(b)).includes('test.signed'), 'the second server applies the change');

    const pay = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const args = ['pay', '--config', join(dir, 'payhost.json'), '--channel', 'web', '--gateway', 'test.signed', '--amount', '1.00', '--currency', 'USD', '--token', 'tok'];
      const child = spawn(process.execPath, [join(root, 'packages/cli/dist/bin.js'), ...args], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('exit', (code) => resolve({ code, err }));
    });
    expect(pay.code).to.equal(1);
    expect(pay.err).to.match(/inactive_gateway/);

    const withdrawn = await admin(b, 'DELETE');
    expect(withdrawn.status).to.equal(200);
    expect(((await withdrawn.json()) as { active: boolean }).active).to.equal(true);
    await eventually(async () => (await listed(a)).includes('test.signed'), 'the first server applies the withdrawal');
  });
});
