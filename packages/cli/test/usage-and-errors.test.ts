import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const coreVersion = (JSON.parse(readFileSync(join(here, '..', '..', '..', 'core', 'package.json'), 'utf8')) as { version: string }).version;

/** `payhost …` as a child process, as a shell script runs it: its exit code and output. */
function payhost(...argv: string[]): { code: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, DATABASE_URL: '' } });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('cli: usage errors and the error line (child process)', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-usage-'));
    const config = (plugins: string[]) =>
      JSON.stringify({ auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' }, plugins, channels: [{ slug: 'web', currencies: ['USD'] }] });
    writeFileSync(join(dir, 'missing.json'), config(['acme-missing']));
    writeFileSync(join(dir, 'major.json'), config(['@acme/next-major']));
    // A plugin package built for another major version of @payhost/core, as npm --legacy-peer-deps, pnpm or yarn install it.
    const pkg = join(dir, 'node_modules', '@acme', 'next-major');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@acme/next-major', version: '3.0.0', type: 'module', exports: { '.': './index.js' }, peerDependencies: { '@payhost/core': '^99.0.0' } }));
    writeFileSync(join(pkg, 'index.js'), "throw new Error('imported: the peer range was not checked first');\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an unknown option is `error invalid_usage: …` on stderr, exit 2, nothing on stdout', () => {
    const result = payhost('gateways', '--channel', 'web', '--curency', 'USD');
    expect(result.code).to.equal(2);
    expect(result.out).to.equal('');
    expect(result.err).to.match(/^error invalid_usage: unknown option '--curency'$/m);
    expect(result.err).to.include('(Did you mean --currency?)');
  });

  it('an unknown command, a missing required option and a missing option argument are usage errors too (exit 2)', () => {
    for (const [argv, line] of [
      [['bogus'], "error invalid_usage: unknown command 'bogus'"],
      [['pay', '--amount', '1.00', '--currency', 'USD'], "error invalid_usage: required option '--channel <slug>' not specified"],
      [['gateways', '--channel'], "error invalid_usage: option '--channel <slug>' argument missing"],
    ] as const) {
      const result = payhost(...argv);
      expect(result.code, argv.join(' ')).to.equal(2);
      expect(result.err.split('\n'), argv.join(' ')).to.include(line);
    }
  });

  it('no command: the help on stderr, an invalid_usage line, exit 2; --help and help: stdout, exit 0', () => {
    for (const argv of [[], ['review']]) {
      const result = payhost(...argv);
      expect(result.code, argv.join(' ')).to.equal(2);
      expect(result.out).to.equal('');
      expect(result.err).to.match(/^Usage: payhost/m);
      expect(result.err).to.match(/^error invalid_usage: missing command/m);
    }
    for (const argv of [['--help'], ['help'], ['pay', '--help']]) {
      const result = payhost(...argv);
      expect(result.code, argv.join(' ')).to.equal(0);
      expect(result.out).to.match(/^Usage: payhost/m);
      expect(result.err).to.equal('');
    }
  });

  it("a runtime error with a details.reason prints it: `error <code> (<reason>): <message>`, exit 1", () => {
    const result = payhost('config', 'check', '-c', join(dir, 'missing.json'));
    expect(result.code).to.equal(1);
    expect(result.out).to.equal('');
    expect(result.err).to.match(/^error plugin_load_failed \(not_found\): Plugin package "acme-missing" is not installed/m);
  });

  it('refuses a plugin package whose @payhost/core peer range excludes this core, before importing it (incompatible_core)', () => {
    const result = payhost('config', 'check', '-c', join(dir, 'major.json'));
    expect(result.code).to.equal(1);
    expect(result.err).to.include(
      `error plugin_load_failed (incompatible_core): Plugin package "@acme/next-major" 3.0.0 is built for @payhost/core ^99.0.0 (its peerDependencies), but this host has @payhost/core ${coreVersion}`,
    );
    expect(result.err).not.to.include('imported');
  });
});
