import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createLogger, PaymentService, PluginManager } from '@payhost/core';
import { createServer, loadServerConfig } from '@payhost/server';
import { createPgliteStore } from '@payhost/store-postgres';
import { copyMigratedDataDir, migratedTemplate } from '../../../tests/support/pglite-template.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const heldPlugins = join(here, 'fixtures', 'held-plugins.mjs');
const silent = createLogger({ level: 'silent' });

// SIGINT/SIGTERM while `payhost serve` is still starting (before it listens): Node's default handler killed it
// (143), leaving the embedded database open (payhost.lock) and a commit possibly cut short. It must stop the
// start, close what it opened and exit 0, as it does once it listens.
describe('cli: payhost serve stopped by a signal while it starts (child process)', function () {
  this.timeout(90_000);
  let dir: string;
  let dataDir: string;
  let configFile: string;
  let child: ChildProcess | undefined;
  let out: string;
  let err: string;

  before(() => migratedTemplate());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-start-signals-'));
    dataDir = join(dir, 'data');
    configFile = join(dir, 'payhost.json');
    // hookTimeoutMs: 600 s, so the start-up pass's own budget never ends it; the test releases the gateway.
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, logLevel: 'silent', checkout: false, dataDir, hookTimeoutMs: 600_000 },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [heldPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.held': { active: true, configuration: { hold_dir: dir } } } }],
      }),
    );
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

  function startServe(): Promise<number | null> {
    const started = spawn(process.execPath, [bin, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } });
    child = started;
    started.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    return new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
  }

  /** Two charges a crash left pending an hour ago (after the reserve step, before the gateway call). */
  async function crashLeftTwoPending(): Promise<void> {
    await copyMigratedDataDir(dataDir);
    const store = await createPgliteStore({ dataDir, fsync: false });
    const manager = await PluginManager.create({ plugins: [heldPlugins], config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.held': { active: true, configuration: { hold_dir: dir } } } }] }, logger: silent });
    try {
      const hourAgo = Date.now() - 3_600_000;
      const crashing = new PaymentService({
        manager,
        store,
        logger: silent,
        clock: () => new Date(hourAgo),
        faults: {
          'after-pending': () => {
            throw new Error('crash at after-pending');
          },
        },
      });
      for (const key of ['order-1', 'order-2']) {
        await crashing.pay({ idempotencyKey: key, channel: 'web', gateway: 'test.held', total: '12.00', currency: 'USD', token: 'tok' }).catch(() => undefined);
      }
      expect((await store.listPendingTransactions()).map((t) => t.state)).to.deep.equal(['pending', 'pending']);
    } finally {
      await manager.close();
      await store.close();
    }
  }

  const asked = (): string[] => (existsSync(join(dir, 'status-asked')) ? readFileSync(join(dir, 'status-asked'), 'utf8').split('\n').filter(Boolean) : []);

  it('SIGTERM during the start-up reconcile pass: the pass stops after its current transaction, the store is closed, exit 0', async () => {
    await crashLeftTwoPending();
    const exited = startServe();
    await until(() => asked().length > 0, 'the start-up pass asked the gateway');
    child?.kill('SIGTERM');
    await until(() => out.includes('SIGTERM: stopping the start-up'), 'the SIGTERM was taken');
    // A second one (a supervisor repeating it) is logged and ignored, as once it listens.
    child?.kill('SIGTERM');
    await until(() => out.includes('SIGTERM: already stopping the start-up'), 'the second SIGTERM was taken');
    writeFileSync(join(dir, 'release'), '');
    expect(await exited, `stdout: ${out}\nstderr: ${err}`).to.equal(0);
    expect(out).to.include('start-up stopped by SIGTERM: the plugins and the store are closed');
    expect(out).not.to.include('listening');
    // The second pending charge was not asked about: left for the next start.
    expect(asked(), 'transactions asked about').to.have.length(1);
    expect(existsSync(join(dataDir, 'payhost.lock')), 'the store was not closed (its lock is left)').to.equal(false);
    // The data directory opens again, the transaction not reached still pending, the one asked about resolved.
    const store = await createPgliteStore({ dataDir, fsync: false });
    try {
      const pending = await store.listPendingTransactions();
      expect(pending.map((t) => t.state)).to.deep.equal(['pending']);
    } finally {
      await store.close();
    }
  });

  it('a third signal during the start exits at once with 128 + its number, saying the store is not closed', async () => {
    await crashLeftTwoPending();
    const exited = startServe();
    await until(() => asked().length > 0, 'the start-up pass asked the gateway');
    child?.kill('SIGINT');
    await until(() => out.includes('SIGINT: stopping the start-up'), 'the SIGINT was taken');
    child?.kill('SIGINT');
    await until(() => out.includes('SIGINT: already stopping the start-up'), 'the second SIGINT was taken');
    child?.kill('SIGINT');
    expect(await exited, `stdout: ${out}\nstderr: ${err}`).to.equal(130);
    expect(err).to.include('SIGINT: exiting at once: the start-up is cut short and the store is not closed');
  });

  it('SIGTERM while the store is being created and migrated: it finishes, then everything is closed, exit 0', async () => {
    // No database yet: creating one (initdb, then every migration) takes seconds; the lock is taken first.
    const exited = startServe();
    await until(() => existsSync(join(dataDir, 'payhost.lock')), 'the store was being opened');
    child?.kill('SIGTERM');
    expect(await exited, `stdout: ${out}\nstderr: ${err}`).to.equal(0);
    // Normally still starting; should it already listen when the signal comes, that is a clean stop too.
    expect(out).to.match(/start-up stopped by SIGTERM: the plugins and the store are closed|SIGTERM: finishing in-flight requests/);
    expect(existsSync(join(dataDir, 'payhost.lock')), 'the store was not closed (its lock is left)').to.equal(false);
    // A complete database: the next start opens it.
    const again = await createServer(await loadServerConfig(configFile, {}), { logger: silent });
    await again.close();
  });
});
