import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { run, type CliIo } from '@payhost/cli';
import { commandLogLevel } from '../src/logger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures', 'logging-plugins.mjs');

const API_KEY = 'sk_live_never_print_me_4242';
const ADMIN_KEY = 'cli-admin-key-never-print-0123';
const PAYMENT_KEY = 'cli-payment-key-never-print-0123';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** Runs `payhost …` in process: exit code, stdout, stderr, and stderr's JSON log lines. */
async function payhost(argv: string[]): Promise<{ code: number; out: string; err: string; logs: LogLine[] }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (text) => void (out += text), err: (text) => void (err += text) };
  const code = await run(argv, io);
  const logs = err
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
  return { code, out, err, logs };
}

describe('cli: the host logs go to stderr (warn by default, redacted)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'payhost-cli-logging-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A configuration file with the exploding gateway, its configuration misspelling supported_currencies. */
  function configFile(name: string, server: Record<string, unknown> = {}): string {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        server: { dataDir: join(dir, 'data'), ...server },
        auth: { adminApiKey: ADMIN_KEY, paymentApiKey: PAYMENT_KEY },
        plugins: [fixtures],
        channels: [
          {
            slug: 'web',
            currencies: ['USD'],
            plugins: { 'test.exploding': { active: true, configuration: { api_key: API_KEY, suported_currencies: 'USD' } } },
          },
        ],
      }),
    );
    return file;
  }

  function expectNoSecret(text: string): void {
    for (const secret of [API_KEY, ADMIN_KEY, PAYMENT_KEY]) expect(text).not.to.include(secret);
  }

  it('config check: a misspelt plugin field is valid JSON on stdout and a warning on stderr', async () => {
    const { code, out, err, logs } = await payhost(['config', 'check', '--config', configFile('check')]);
    expect(code, err).to.equal(0);
    const printed = JSON.parse(out) as { valid: boolean; channels: Array<{ plugins: Array<{ id: string; configuration: Record<string, unknown> }> }> };
    expect(printed.valid).to.equal(true);
    expect(printed.channels[0]?.plugins[0]?.configuration).not.to.have.property('suported_currencies');
    const warning = logs.find((line) => line.level === 40 && line.msg.includes('"suported_currencies"'));
    expect(warning, err).to.include({ plugin: 'test.exploding', channel: 'web', field: 'suported_currencies' });
    expect(warning?.msg).to.match(/dropped/);
    expectNoSecret(err);
  });

  it("pay: a plugin's exception is logged on stderr, its secrets redacted", async () => {
    const { code, out, err, logs } = await payhost(['pay', '--memory', '--config', configFile('pay'), '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok']);
    expect(code).to.equal(1);
    expect(out).to.equal('');
    expect(err).to.match(/^error gateway_declined/m);
    const failure = logs.find((line) => line.level === 50 && line.hook === 'processPayment');
    expect(failure, err).to.include({ plugin: 'test.exploding', code: 'plugin_failed' });
    expect((failure?.err as { message?: string } | undefined)?.message).to.equal('processor answered 502 Bad Gateway (request req_exploding_1)');
    // What the plugin logged and what its error carried (the request's Authorization header) are redacted.
    expect(logs.find((line) => line.msg === 'calling the processor')).to.include({ configuration: '[redacted]' });
    expect((failure?.err as { config?: unknown } | undefined)?.config).to.equal('[redacted]');
    expectNoSecret(err);
    expectNoSecret(out);
  });

  it('gateways: logs warnings too, and prints only the listing on stdout', async () => {
    const { code, out, err, logs } = await payhost(['gateways', '--config', configFile('gateways'), '--channel', 'web', '--currency', 'USD']);
    expect(code, err).to.equal(0);
    expect((JSON.parse(out) as Array<{ id: string }>).map((g) => g.id)).to.deep.equal(['test.exploding']);
    expect(logs.some((line) => line.level === 40 && line.msg.includes('"suported_currencies"')), err).to.equal(true);
    expectNoSecret(err);
  });

  it('logs no info lines by default (the server default is not asked for), and does when server.logLevel says info', async () => {
    const argv = (file: string) => ['pay', '--memory', '--config', file, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok'];
    const quiet = await payhost(argv(configFile('default-level')));
    expect(quiet.logs.length, quiet.err).to.be.above(0);
    expect(quiet.logs.filter((line) => line.level < 40), quiet.err).to.deep.equal([]);
    const verbose = await payhost(argv(configFile('info-level', { logLevel: 'info' })));
    expect(verbose.logs.some((line) => line.level === 30), verbose.err).to.equal(true);
    expectNoSecret(verbose.err);
    // A quieter configured level does not hide warnings from a one-shot command.
    const silent = await payhost(argv(configFile('silent-level', { logLevel: 'silent' })));
    expect(silent.logs.some((line) => line.level === 50), silent.err).to.equal(true);
  });

  it('commandLogLevel: warn, or the configured level when it is more verbose', () => {
    expect(commandLogLevel(undefined)).to.equal('warn');
    expect(commandLogLevel('info')).to.equal('info');
    expect(commandLogLevel('debug')).to.equal('debug');
    expect(commandLogLevel('trace')).to.equal('trace');
    expect(commandLogLevel('warn')).to.equal('warn');
    expect(commandLogLevel('error')).to.equal('warn');
    expect(commandLogLevel('silent')).to.equal('warn');
  });
});
