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
    // Core's warning said the transaction is held for review: reworded, its fields kept.
    expect(unknown.err).not.to.include('transaction held for review');
    const warning = unknown.err.split('\n').find((line) => line.includes('"level":40'));
    expect(warning, unknown.err).to.include('gateway outcome unknown; with --memory nothing holds the transaction for review: the in-memory ledger is discarded');
  });

  it('without --memory, an unknown outcome is held for review in the database, to be settled later; the error names the payment and the transaction review resolve takes', async () => {
    const unknown = await cli('pay', '--config', configFile, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_outcome_unknown_not_charged');
    expect(unknown.code).to.equal(1);
    const match = /^error outcome_unknown: .*held for review and will be settled by the processor's event or reconciliation \(payment ([0-9a-f-]{36}), transaction ([0-9a-f-]{36}); payhost review list shows it/m.exec(unknown.err);
    expect(match, unknown.err).not.to.equal(null);
    const [, paymentId, transactionId] = match as RegExpExecArray;
    const listed = await cli('review', 'list', '--config', configFile);
    expect(listed.code, listed.err).to.equal(0);
    expect(listed.out).to.include(transactionId).and.to.include(paymentId);
  });

  it('a payment waiting for 3-D Secure prints actionRequired and actionRequiredData (what the customer must do before the server confirms it)', async () => {
    const waiting = await cli('pay', '--config', configFile, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_3ds');
    expect(waiting.code, waiting.err).to.equal(0);
    const printed = JSON.parse(waiting.out) as { payment: { toConfirm: boolean }; transaction: { kind: string; actionRequired: boolean; actionRequiredData: { type?: string; redirectUrl?: string } | null } };
    expect(printed.payment.toConfirm).to.equal(true);
    expect(printed.transaction).to.include({ kind: 'action_to_confirm', actionRequired: true });
    expect(printed.transaction.actionRequiredData).to.include({ type: 'three_d_secure' });
    expect(printed.transaction.actionRequiredData?.redirectUrl).to.match(/^https:\/\/3ds\.dummy\.payhost\.invalid\/challenge\//);
  });

  it('with --memory, a payment waiting for 3-D Secure is an error (it can never be confirmed), exit 1, nothing on stdout', async () => {
    const waiting = await cli('pay', '--memory', '--config', configFile, '--channel', 'web', '--amount', '10.00', '--currency', 'USD', '--token', 'tok_dummy_3ds');
    expect(waiting.code).to.equal(1);
    expect(waiting.out).to.equal('');
    expect(waiting.err).to.match(/^error operation_not_allowed \(confirmation_impossible_with_memory\): The gateway asks for a customer action \(e\.g\. 3-D Secure\) before it completes the payment, and with --memory it can never be confirmed/m);
    expect(waiting.err).to.include('Run it without --memory, then confirm it on the server (POST /payments/<id>/confirm)');
  });

  it("--help says --memory opens no database, so the file's settings alone apply", async () => {
    const help = await cli('pay', '--help');
    expect(help.code).to.equal(0);
    expect(help.out.replace(/\s+/g, ' ')).to.include("--memory an in-memory ledger, discarded at the end: nothing is recorded and no database is opened, so the plugins run on the file's settings alone");
  });
});
