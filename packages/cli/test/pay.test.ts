import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createServer, loadServerConfig } from '@payhost/server';
import { copyMigratedDataDir } from '../../../tests/support/pglite-template.js';
import { cli } from './support/run-cli.js';

const PAYMENT_KEY = 'cli-payment-key-0123456789';
const dummyPlugin = fileURLToPath(import.meta.resolve('@payhost/plugin-dummy'));

describe('cli: payhost pay: a decline, an unknown outcome, --memory', function () {
  // The embedded database opens (with fsync) twice in the first test, and the first copy of the template creates it: seconds each when loaded.
  this.timeout(60_000);
  let dir: string;
  let configFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-pay-'));
    // The default data directory, holding an empty database: pay records into it, not creates it (seconds).
    await copyMigratedDataDir(join(dir, '.payhost-data'));
    configFile = join(dir, 'payhost.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', port: 0 },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: PAYMENT_KEY },
        plugins: [dummyPlugin],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD' } } } }],
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the unified error code and the ids of the recorded payment and transaction, which the server then shows', async () => {
    const declined = await cli('pay', '--config', configFile, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_expired');
    expect(declined.code).to.equal(1);
    expect(declined.out).to.equal('');
    const match = /^error gateway_declined: Your card has expired\. \(errorCode expired; payment ([0-9a-f-]{36}), transaction ([0-9a-f-]{36})\)$/m.exec(declined.err);
    expect(match, declined.err).not.to.equal(null);
    const [, paymentId, transactionId] = match as RegExpExecArray;

    const server = await createServer(await loadServerConfig(configFile, {}));
    try {
      const url = await server.listen();
      const res = await fetch(`${url}/payments/${paymentId}`, { headers: { authorization: `Bearer ${PAYMENT_KEY}` } });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as { payment: { chargeStatus: string }; transactions: Array<{ id: string; isSuccess: boolean; errorCode: string }> };
      expect(body.payment.chargeStatus).to.equal('not-charged');
      expect(body.transactions.map((t) => [t.id, t.isSuccess, t.errorCode])).to.deep.equal([[transactionId, false, 'expired']]);
    } finally {
      await server.close();
    }
  });

  it('with --memory, says that nothing was recorded', async () => {
    const declined = await cli('pay', '--memory', '--config', configFile, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_incorrect_cvv');
    expect(declined.code).to.equal(1);
    expect(declined.err).to.match(/^error gateway_declined: .+ \(errorCode incorrect_cvv; not recorded: --memory\)$/m);
  });

  it('with --memory, an unknown outcome says nothing will settle it (the ledger is discarded), not that reconciliation will', async () => {
    const unknown = await cli('pay', '--memory', '--config', configFile, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_outcome_unknown_not_charged');
    expect(unknown.code).to.equal(1);
    expect(unknown.out).to.equal('');
    expect(unknown.err).to.match(/^error outcome_unknown: The payment gateway did not say whether it acted, and nothing will settle it: with --memory the ledger is discarded when the command ends/m);
    expect(unknown.err).not.to.include('will be settled by');
  });

  it('without --memory, an unknown outcome is held for review in the database, to be settled later', async () => {
    const unknown = await cli('pay', '--config', configFile, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_outcome_unknown_not_charged');
    expect(unknown.code).to.equal(1);
    expect(unknown.err).to.match(/^error outcome_unknown: .*held for review and will be settled by the processor's event or reconciliation$/m);
  });

  it("--help says --memory opens no database, so the file's settings alone apply", async () => {
    const help = await cli('pay', '--help');
    expect(help.code).to.equal(0);
    expect(help.out.replace(/\s+/g, ' ')).to.include("--memory an in-memory ledger, discarded at the end: nothing is recorded and no database is opened, so the plugins run on the file's settings alone");
  });
});
