import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { checkReachable, testDatabaseUrl } from '../support/postgres-url.js';

/**
 * `payhost serve` when PostgreSQL refuses the connection itself (rather than being out of reach): at
 * start-up, a URL without the password the server asks for, or one pg cannot read; while running, a role
 * that may no longer log in (a rotated password, a dropped database are the same to the server). The
 * role there has only its own schema, created by a DBA, as on a managed database. The PostgreSQL part
 * always runs, on PAYHOST_TEST_DATABASE_URL or its default, and fails when that server is unreachable.
 */
const databaseUrl = testDatabaseUrl();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'packages/cli/dist/bin.js');
const PAYMENT_KEY = 'refusal-payment-key-0123456789';

async function writeConfig(dir: string, server: Record<string, unknown>): Promise<string> {
  const path = join(dir, `payhost-${randomBytes(3).toString('hex')}.json`);
  await writeFile(
    path,
    JSON.stringify({
      server: { port: 0, logLevel: 'info', checkout: false, ...server },
      auth: { adminApiKey: 'refusal-admin-key-0123456789', paymentApiKey: PAYMENT_KEY },
      plugins: [join(root, 'packages/server/test/fixtures/test-plugins.mjs')],
      channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true } } }],
    }),
  );
  return path;
}

/**
 * Runs `payhost <args>` to its end: exit code, the signal that ended it (SIGKILL when the `limitMs` hang guard
 * killed it; null when it exited by itself), output.
 */
function runCli(args: string[], env: Record<string, string>, limitMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/**
 * A PostgreSQL server's first steps for a role with a SCRAM password: it asks for SASL, answers the client's
 * first message, and then waits, as PostgreSQL does for up to authentication_timeout (a minute): for ever here.
 */
async function scramAskingServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const message = (type: string, body: Buffer) => {
    const header = Buffer.alloc(5);
    header.write(type, 0, 'latin1');
    header.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([header, body]);
  };
  const auth = (code: number, data: Buffer) => {
    const body = Buffer.alloc(4);
    body.writeInt32BE(code, 0);
    return message('R', Buffer.concat([body, data]));
  };
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let startup = true;
    socket.on('data', () => {
      if (startup) {
        startup = false;
        socket.write(auth(10, Buffer.from('SCRAM-SHA-256\0\0', 'latin1'))); // AuthenticationSASL
      } else {
        socket.write(auth(11, Buffer.from('r=abcdefghijklmnop,s=c2FsdA==,i=4096', 'latin1'))); // AuthenticationSASLContinue
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

describe('payhost serve: PostgreSQL refuses the connection at start-up', function () {
  this.timeout(60_000);
  let dir = '';
  let configPath = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'payhost-refusal-'));
    configPath = await writeConfig(dir, {});
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a URL without the password the server asks for: exits at once with store_unavailable saying so (it waited for the server to hang up: a minute)', async () => {
    const fake = await scramAskingServer();
    try {
      const result = await runCli(['serve', '--config', configPath], { DATABASE_URL: `postgres://payhost@127.0.0.1:${fake.port}/shop`, PGPASSWORD: '' }, 30_000);
      // The fake server never hangs up: a process that waited for it would be killed by the 30 s guard (SIGKILL,
      // no exit code). It exited by itself, with 1, once it gave up.
      expect(result.signal, `killed by the hang guard: it waited for the server\n${result.output}`).to.equal(null);
      expect(result.code, result.output).to.equal(1);
      expect(result.output).to.match(new RegExp(`error store_unavailable: Cannot connect to the PostgreSQL database at 127\\.0\\.0\\.1:${fake.port}/shop \\(DATABASE_URL\\): SASL: `));
      expect(result.output).to.include('The server asks for a password and the URL has none');
    } finally {
      for (const socket of fake.sockets) socket.destroy();
      await new Promise((resolve) => fake.server.close(resolve));
    }
  });

  it('names the server pg connected to, also when the URL gives it as parameters (?host=&port=) rather than in its authority', async () => {
    const result = await runCli(['serve', '--config', configPath], { DATABASE_URL: 'postgres:///shop?host=127.0.0.1&port=1&user=payhost&password=not-shown-pw' }, 30_000);
    expect(result.code, result.output).to.equal(1);
    // It said "at localhost:5432/shop", where nothing was tried.
    expect(result.output).to.match(/^error store_unavailable: Cannot connect to the PostgreSQL database at 127\.0\.0\.1:1\/shop \(DATABASE_URL\): connect ECONNREFUSED 127\.0\.0\.1:1\. /m);
    expect(result.output).not.to.include('not-shown-pw');
  });

  it('a URL pg cannot read (a password with @ : / ? # not percent-encoded): invalid_configuration naming DATABASE_URL, never quoting it', async () => {
    const result = await runCli(['serve', '--config', configPath], { DATABASE_URL: 'postgres://payhost:p@ss:w/rd?#@127.0.0.1:1/shop' }, 30_000);
    expect(result.code, result.output).to.equal(1);
    expect(result.output).to.match(/^error invalid_configuration \(unencoded_hash\): DATABASE_URL is not a valid connection URL: write postgres:\/\/user:password@host:5432\/database, with any @ : \/ \? # % \[ \] in the user name or password percent-encoded/m);
    expect(result.output).not.to.include('ss:w').and.not.to.include('w/rd');
  });

  it("a key=value string (libpq's form, which pg reads as a database named by the whole string): invalid_configuration, the password nowhere in the output", async () => {
    const result = await runCli(['serve', '--config', configPath], { DATABASE_URL: 'host=127.0.0.1 port=1 user=postgres password=S3cretPW dbname=revops' }, 30_000);
    expect(result.code, result.output).to.equal(1);
    // It was "store_unavailable: Cannot connect to the PostgreSQL database at base:5432/host=127.0.0.1 ... password=S3cretPW ...".
    expect(result.output).to.match(/^error invalid_configuration \(not_a_url\): DATABASE_URL is not a valid connection URL: .*key=value strings are not read/m);
    expect(result.output).not.to.include('S3cretPW');
  });
});

describe('payhost serve: PostgreSQL refuses new connections while the server runs (a role that may no longer log in)', function () {
  this.timeout(90_000);
  const suffix = randomBytes(4).toString('hex');
  const role = `payhost_refused_${suffix}`;
  const schema = `payhost_refused_${suffix}`;
  let admin: pg.Client | undefined;
  let child: ChildProcess | undefined;
  let output = '';
  let url = '';
  let dir = '';

  const sql = (text: string) => admin!.query(text);
  const pay = (key: string) =>
    fetch(`${url}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ channel: 'web', gateway: 'test.signed', amount: '12.00', currency: 'USD', token: 'tok' }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
  const ready = () => fetch(`${url}/health/ready`).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

  before(async () => {
    await checkReachable(databaseUrl);
    admin = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
    await admin.connect();
    await sql(`CREATE ROLE ${role} LOGIN`);
    await sql(`CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
    dir = await mkdtemp(join(tmpdir(), 'payhost-refusal-'));
    const configPath = await writeConfig(dir, { databaseSchema: schema });
    const asRole = new URL(databaseUrl);
    asRole.username = role;
    asRole.password = '';
    child = spawn(process.execPath, [bin, 'serve', '--config', configPath], { cwd: root, env: { ...process.env, DATABASE_URL: asRole.toString() }, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      child!.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /payhost is listening on (http:\/\/[^\s]+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child!.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child!.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output.slice(-2000)}`)));
    });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (!admin) return; // The server was unreachable: before() failed, saying so.
    await sql(`ALTER ROLE ${role} LOGIN`).catch(() => undefined);
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await sql(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts in a schema a DBA created for its role, though the role may not CREATE in the database', async () => {
    const { rows } = await sql(`SELECT has_database_privilege('${role}', current_database(), 'CREATE') AS can`);
    expect(rows[0].can).to.equal(false);
    expect(await ready()).to.deep.equal({ status: 200, body: { status: 'ready', store: 'postgres' } });
  });

  it('answers 503 store_unavailable (not 500 internal_error), reports not ready, logs why, and pays again once the role may log in', async () => {
    expect((await ready()).status).to.equal(200);
    expect((await pay(randomUUID())).status).to.equal(201);

    await sql(`ALTER ROLE ${role} NOLOGIN`);
    // Its open connections go too, as after a password rotation and a restart of the database.
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'`);
    const key = randomUUID();
    const refused = await pay(key);
    expect(refused.status, JSON.stringify(refused.body)).to.equal(503);
    expect(refused.body).to.include({ code: 'store_unavailable' });
    const notReady = await ready();
    expect(notReady.status, JSON.stringify(notReady.body)).to.equal(503);
    expect(notReady.body).to.include({ code: 'store_unavailable' });
    expect((await fetch(`${url}/health`)).status).to.equal(200);
    const lines = () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, any>);
    const reasons = () => lines().filter((l) => l['msg'] === 'ledger database unavailable').map((l) => String(l['err']?.['message']));
    // A connection the pool still held when it was terminated may answer first with the termination
    // ("terminating connection due to administrator command"); a new connection is refused for the role.
    for (let attempt = 0; attempt < 20 && !reasons().some((reason) => /not permitted to log in/.test(reason)); attempt += 1) {
      expect((await ready()).status).to.equal(503);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(reasons()).to.satisfy((all: string[]) => all.some((reason) => /not permitted to log in/.test(reason)), 'the log says why');
    expect(lines().filter((l) => l['msg'] === 'unhandled error')).to.deep.equal([]);

    await sql(`ALTER ROLE ${role} LOGIN`);
    expect((await ready()).status).to.equal(200);
    // The refused request wrote nothing: its key now pays, once.
    const paid = await pay(key);
    expect(paid.status).to.equal(201);
    expect((await pay(key)).body['payment']['id']).to.equal(paid.body['payment']['id']);
    const { rows } = await sql(`SELECT count(*)::int AS n FROM ${schema}.payments`);
    expect(rows[0].n).to.equal(2);
  });
});
