import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { run, type CliIo } from '@payhost/cli';
import { createServer, loadServerConfig } from '@payhost/server';
import { copyMigratedDataDir, migratedTemplate } from '../../../tests/support/pglite-template.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const fixtures = join(here, '..', '..', 'server', 'test', 'fixtures', 'test-plugins.mjs');

/**
 * Runs `payhost …` as a child process to its own exit: its exit code, the signal that ended it (null when it
 * exited by itself), its output. A hang guard: a failure (and the child killed) after `limitMs`.
 */
function payhost(argv: string[], limitMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`payhost ${argv.join(' ')} still running after ${limitMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, limitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

describe('cli: payhost serve (child process)', function () {
  this.timeout(40_000);
  let dir: string;
  let configFile: string;
  let dataDir: string;
  let busy: Server;
  let busyPort: number;

  before(() => migratedTemplate());
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-serve-'));
    dataDir = join(dir, 'data');
    configFile = join(dir, 'payhost.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0, logLevel: 'silent', checkout: false, dataDir },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [fixtures],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: 'whsec_cli_0123456789' } } } }],
      }),
    );
    busy = createNetServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  afterEach(async () => {
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 with `error EADDRINUSE: …` when the port is in use, and leaves the embedded database unlocked', async () => {
    // An existing database, which serve opens before it listens (the child creating one takes seconds, 15+ when loaded).
    await copyMigratedDataDir(dataDir);
    const result = await payhost(['serve', '--config', configFile, '--port', String(busyPort)], 30_000);
    // Nothing left open: the process ended by itself, with its exit code, once it had said why (an open embedded
    // store kept it alive until the 30 s hang guard failed the test, saying it was still running, and killed it).
    expect(result.signal, 'killed by the hang guard, not exited by itself').to.equal(null);
    expect(result.code, result.err).to.equal(1);
    expect(result.err).to.match(/^error EADDRINUSE: listen EADDRINUSE/m);
    expect(result.out).not.to.include('listening');
    // The next start on the same data directory is not refused with data_dir_in_use.
    const again = await createServer(await loadServerConfig(configFile, {}));
    await again.close();
  });

  it('exits 1 when the host cannot be listened on (an address this machine does not have)', async () => {
    await copyMigratedDataDir(dataDir);
    const result = await payhost(['serve', '--config', configFile, '--host', '192.0.2.1'], 30_000);
    expect(result.signal, 'killed by the hang guard, not exited by itself').to.equal(null);
    expect(result.code, result.err).to.equal(1);
    expect(result.err).to.match(/^error/m);
    const again = await createServer(await loadServerConfig(configFile, {}));
    await again.close();
  });

  for (const bad of ['abc', '99999', '-1', '1.5', '', 'BUSY' /* the busy port with junk after it */]) {
    it(`refuses --port "${bad === 'BUSY' ? '<port>abc' : bad}" with invalid_input before opening anything`, async () => {
      const port = bad === 'BUSY' ? `${busyPort}abc` : bad;
      const result = await payhost(['serve', '--config', configFile, '--port', port], 15_000);
      expect(result.code, result.err).to.equal(1);
      expect(result.err).to.match(/^error invalid_input: --port must be a whole number from 0 to 65535/m);
      expect(existsSync(dataDir), 'the data directory was opened').to.equal(false);
    });
  }
});

describe('cli: payhost config check', () => {
  let dir: string;
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the global plugins too, their secrets masked like the channel plugins\'', async () => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-check-'));
    const configFile = join(dir, 'payhost.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [fixtures],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: 'whsec_cli_channel_secret_42' } } } }],
        globalPlugins: { 'test.audit': { active: true, configuration: { api_token: 'audit-token-very-secret-7788', password: 'audit-password-1', note: 'hello' } } },
      }),
    );
    let out = '';
    let err = '';
    const io: CliIo = { out: (text) => void (out += text), err: (text) => void (err += text) };
    expect(await run(['config', 'check', '--config', configFile], io), err).to.equal(0);
    for (const secret of ['audit-token-very-secret-7788', 'audit-password-1', 'whsec_cli_channel_secret_42']) expect(out).not.to.include(secret);
    const printed = JSON.parse(out) as { channels: Array<{ plugins: Array<{ id: string; configuration: Record<string, unknown> }> }>; globalPlugins?: Array<{ id: string; active: boolean; configuration: Record<string, unknown> }> };
    expect(printed.channels[0]?.plugins.find((p) => p.id === 'test.signed')?.configuration['webhook_secret']).to.equal('****t_42');
    expect(printed.globalPlugins).to.deep.equal([{ id: 'test.audit', active: true, configuration: { api_token: '****7788', password: '', note: 'hello' } }]);
  });

  it('refuses, as serve would, a file that names a PostgreSQL schema when DATABASE_URL is not set', async () => {
    const configFile = join(dir, 'schema-without-url.json');
    writeFileSync(
      configFile,
      JSON.stringify({ server: { databaseSchema: 'payhost' }, auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' }, channels: [{ slug: 'web', currencies: ['USD'] }] }),
    );
    const saved = process.env['DATABASE_URL'];
    delete process.env['DATABASE_URL'];
    let out = '';
    let err = '';
    try {
      const io: CliIo = { out: (text) => void (out += text), err: (text) => void (err += text) };
      expect(await run(['config', 'check', '--config', configFile], io)).to.equal(1);
    } finally {
      if (saved !== undefined) process.env['DATABASE_URL'] = saved;
    }
    expect(out).to.equal('');
    expect(err).to.match(/^error invalid_configuration: server\.databaseSchema is "payhost" but DATABASE_URL is not set/m);
  });
});

describe('cli: payhost --version', () => {
  async function inProcess(...argv: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await run(argv, { out: (text) => void (out += text), err: () => undefined });
    return { code, out };
  }

  it('prints the version of @payhost/cli and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve('@payhost/cli/package.json')), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await inProcess(flag);
      expect(result.code, flag).to.equal(0);
      expect(result.out, flag).to.equal(`${version}\n`);
    }
    expect((await inProcess('--help')).out).to.match(/-V, --version\s+print the version of payhost/);
  });
});
