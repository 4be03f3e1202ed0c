import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { copyMigratedDataDir, migratedTemplate } from '../../../tests/support/pglite-template.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const heldPlugins = join(here, 'fixtures', 'held-plugins.mjs');
const PAYMENT_KEY = 'cli-payment-key-0123456789';

// `payhost serve` asked to stop more than once (a supervisor repeating its SIGTERM, Ctrl-C pressed again)
// while a request waits for its gateway: the second signal must not kill it (it did: Node's default once
// the one-shot handler had run, dropping the request and leaving the store open).
describe('cli: payhost serve stopped by repeated signals (child process)', function () {
  this.timeout(60_000);
  let dir: string;
  let dataDir: string;
  let child: ChildProcess | undefined;
  let out: string;
  let err: string;

  before(() => migratedTemplate());
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-signals-'));
    dataDir = await copyMigratedDataDir(join(dir, 'data'));
    out = '';
    err = '';
  });
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Polls `ready` until it holds; fails if the server exits first. The test's timeout bounds the wait. */
  async function until(ready: () => boolean, what: string): Promise<void> {
    while (!ready()) {
      if (child?.exitCode !== null || child.signalCode !== null) {
        throw new Error(`server exited (${child?.exitCode ?? child?.signalCode}) before ${what}\nstdout: ${out}\nstderr: ${err}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Starts `payhost serve` and a payment its gateway holds; resolves once that payment is in flight. */
  async function serveWithPaymentInFlight(): Promise<{ exited: Promise<number | null>; answer: Promise<{ status: number; body: Record<string, unknown> }> }> {
    const configFile = join(dir, 'payhost.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, logLevel: 'silent', checkout: false, dataDir, hookTimeoutMs: 600_000 },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: PAYMENT_KEY },
        plugins: [heldPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.held': { active: true, configuration: { hold_dir: dir } } } }],
      }),
    );
    const started = spawn(process.execPath, [bin, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } });
    child = started;
    started.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
    await until(() => /payhost is listening on http:\/\/\S+/.test(out), 'listening');
    const url = /payhost is listening on (http:\/\/\S+)/.exec(out)?.[1] as string;
    const answer = fetch(`${url}/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ channel: 'web', gateway: 'test.held', amount: '12.00', currency: 'USD', token: 'tok' }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));
    answer.catch(() => undefined); // awaited by the test, or dropped on purpose
    await until(() => existsSync(join(dir, 'started')), 'the payment reached its gateway');
    return { exited, answer };
  }

  it('a second SIGTERM is logged and ignored: the request in flight is answered, the store closed, exit 0', async () => {
    const { exited, answer } = await serveWithPaymentInFlight();
    child?.kill('SIGTERM');
    await until(() => out.includes('SIGTERM: finishing in-flight requests'), 'the first SIGTERM was taken');
    child?.kill('SIGTERM');
    await until(() => out.includes('SIGTERM: already shutting down: finishing in-flight requests'), 'the second SIGTERM was taken');
    writeFileSync(join(dir, 'release'), '');
    const { status, body } = await answer;
    expect(status, JSON.stringify(body)).to.equal(201);
    expect(await exited, `stdout: ${out}\nstderr: ${err}`).to.equal(0);
    expect(existsSync(join(dataDir, 'payhost.lock')), 'the store was not closed (its lock is left)').to.equal(false);
  });

  it('a third signal exits at once, with 128 + its number (143 for SIGTERM), and says what it dropped', async () => {
    const { exited, answer } = await serveWithPaymentInFlight();
    child?.kill('SIGTERM');
    await until(() => out.includes('SIGTERM: finishing in-flight requests'), 'the first SIGTERM was taken');
    child?.kill('SIGINT');
    await until(() => out.includes('SIGINT: already shutting down'), 'the second signal was taken');
    child?.kill('SIGTERM');
    expect(await exited, `stdout: ${out}\nstderr: ${err}`).to.equal(143);
    expect(err).to.include('SIGTERM: exiting at once: requests in flight are dropped and the store is not closed');
    let dropped = false;
    await answer.catch(() => (dropped = true));
    expect(dropped, 'the held request was answered').to.equal(true);
  });
});
