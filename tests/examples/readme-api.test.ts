import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MemoryLedgerStore } from '@payhost/core';
import { createServer, parseServerConfig, type PayhostServer } from '@payhost/server';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shell block under "### Try the API" in the README. */
async function readmeApiBlock(): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Try the API'));
  const match = /```sh\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('README has no sh block under "### Try the API"');
  return match[1];
}

describe('README: the example configuration and the "Try the API" commands', function () {
  this.timeout(30_000);
  let server: PayhostServer;
  let url: string;

  before(async () => {
    const document = JSON.parse(await readFile(join(root, 'payhost.config.json'), 'utf8')) as { server: Record<string, unknown> };
    document.server['port'] = 0;
    document.server['logLevel'] = 'silent';
    const config = parseServerConfig(document, root, {});
    server = await createServer(config, { store: { store: new MemoryLedgerStore(), kind: 'memory' } });
    url = await server.listen();
  });
  after(() => server.close());

  it('payhost.config.json is valid: two channels, the dummy gateway active, the real processors present but inactive', async () => {
    expect(server.manager.listChannels()).to.deep.equal(['us-store', 'in-store']);
    expect((await server.manager.listPaymentGateways({ channel: 'in-store', currency: 'INR' })).map((g) => g.id)).to.deep.equal(['payhost.dummy']);
    expect((await server.manager.listPaymentGateways({ channel: 'in-store', currency: 'NGN' })).map((g) => g.id)).to.deep.equal(['payhost.dummy']);
    const inactive = [
      ['us-store', 'payhost.stripe'],
      ['in-store', 'payhost.razorpay'],
      ['in-store', 'payhost.flutterwave'],
    ] as const;
    for (const [channel, plugin] of inactive) {
      const view = server.manager.getPluginConfiguration(plugin, channel);
      expect(view.active, plugin).to.equal(false);
      expect([...server.manager.channel(channel).gateways.keys()]).to.include(plugin);
    }
  });

  it('the curl commands work against a live server', async () => {
    const block = (await readmeApiBlock()).replace(/^PAYHOST=.*$/m, `PAYHOST=${url}`);
    expect(block).to.include(`PAYHOST=${url}`);
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block], { env: { ...process.env, PAYHOST_PAYMENT_KEY: '' } });
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    expect(answers).to.have.length(3);
    expect(answers[0]?.['gateways'].map((g: { id: string }) => g.id)).to.deep.equal(['payhost.dummy']);
    expect(answers[1]?.['payment']).to.include({ chargeStatus: 'fully-charged', capturedAmount: '25.00', currency: 'USD' });
    expect(answers[2]?.['status']).to.equal('ok');
  });
});
