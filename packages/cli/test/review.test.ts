import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { REVIEW_REASONS } from '@payhost/core';
import { createServer, loadServerConfig } from '@payhost/server';
import { copyMigratedDataDir } from '../../../tests/support/pglite-template.js';
import { cli, serverTestPlugins } from './support/run-cli.js';

describe('cli: payhost review (embedded database)', function () {
  // The embedded database opens (with fsync) in the hook and in each command, and the first copy of the template creates it: seconds each when loaded.
  this.timeout(60_000);
  let dir: string;
  let configFile: string;
  let held: { paymentId: string; transactionId: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-review-'));
    await copyMigratedDataDir(join(dir, '.payhost-data')); // The default data directory, an empty database (creating one takes seconds).
    configFile = join(dir, 'payhost.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', hookTimeoutMs: 2000 },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [serverTestPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true, configuration: { webhook_secret: 'whsec_cli_0123456789' } } } }],
      }),
    );
    // A refund whose outcome the gateway lost (13.13 on the test gateway), recorded by a server that then stops.
    const server = await createServer(await loadServerConfig(configFile, {}));
    try {
      const { payment } = await server.payments.pay({ idempotencyKey: 'cli-review-pay', channel: 'web', total: '40.00', currency: 'USD', token: 'tok' });
      await server.payments.capture({ paymentId: payment.id, idempotencyKey: 'cli-review-capture' });
      const lost = await server.payments.refund({ paymentId: payment.id, idempotencyKey: 'cli-review-refund', amount: '13.13' }).catch((err: { code: string; details: { transactionId: string } }) => err);
      expect(lost).to.have.property('code', 'outcome_unknown');
      held = { paymentId: payment.id, transactionId: (lost as { details: { transactionId: string } }).details.transactionId };
    } finally {
      await server.close();
    }
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the held refund, refuses a bad resolution, records a good one, and lists nothing after', async () => {
    const listed = await cli('review', 'list', '--config', configFile);
    expect(listed.code, listed.err).to.equal(0);
    const items = JSON.parse(listed.out) as Array<{ transaction: { id: string; state: string; amount: string }; payment: { id: string }; gatewayIdempotencyKey: string }>;
    expect(items.map((i) => [i.transaction.id, i.transaction.state, i.transaction.amount, i.payment.id])).to.deep.equal([[held.transactionId, 'review', '13.13', held.paymentId]]);
    expect(items[0]?.gatewayIdempotencyKey).to.be.a('string').with.length.greaterThan(0);

    const bad = await cli('review', 'resolve', held.transactionId, '--config', configFile, '--outcome', 'done', '--note', 'x');
    expect(bad.code).to.equal(1);
    expect(bad.err).to.match(/^error invalid_input: --outcome must be one of succeeded, failed/);
    const noNote = await cli('review', 'resolve', held.transactionId, '--config', configFile, '--outcome', 'failed');
    expect(noNote.code, 'commander refuses a missing required option').not.to.equal(0);

    // In capitals: the admin API takes a UUID in either case too.
    const resolved = await cli('review', 'resolve', held.transactionId.toUpperCase(), '--config', configFile, '--outcome', 'failed', '--error-code', 'declined', '--note', 'No such refund in the dashboard (ops)');
    expect(resolved.code, resolved.err).to.equal(0);
    const result = JSON.parse(resolved.out) as { payment: { capturedAmount: string }; transaction: { state: string; isSuccess: boolean; errorCode: string } };
    expect(result.transaction).to.include({ state: 'applied', isSuccess: false, errorCode: 'declined' });
    expect(result.payment.capturedAmount).to.equal('40.00');

    const again = await cli('review', 'resolve', held.transactionId, '--config', configFile, '--outcome', 'failed', '--note', 'twice');
    expect(again.code).to.equal(1);
    expect(again.err).to.match(/^error transaction_not_in_review:/);
    expect(JSON.parse((await cli('review', 'list', '--config', configFile)).out)).to.deep.equal([]);
  });

  it('refuses a transaction id that is not a UUID with invalid_input, as the admin API does (400), not transaction_not_found', async () => {
    for (const id of ['not-a-uuid', `${held.transactionId}x`, held.transactionId.slice(1)]) {
      const bad = await cli('review', 'resolve', id, '--config', configFile, '--outcome', 'failed', '--note', 'x');
      expect(bad.code).to.equal(1);
      expect(bad.out).to.equal('');
      expect(bad.err).to.equal(`error invalid_input: <transactionId> must be a UUID (as review list prints it), not ${JSON.stringify(id)}`);
    }
  });

  it('list and resolve refuse a data directory with no database, naming it, and create nothing', async () => {
    const missing = join(dir, 'no-such-data');
    const noData = join(dir, 'no-data.json');
    writeFileSync(
      noData,
      JSON.stringify({
        server: { logLevel: 'silent', dataDir: 'no-such-data' },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: 'cli-payment-key-0123456789' },
        plugins: [serverTestPlugins],
        channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.signed': { active: true } } }],
      }),
    );
    const listed = await cli('review', 'list', '--config', noData);
    const resolved = await cli('review', 'resolve', held.transactionId, '--config', noData, '--outcome', 'failed', '--note', 'x');
    for (const [command, result] of [['review list', listed], ['review resolve', resolved]] as const) {
      expect(result.code, result.out).to.equal(1);
      expect(result.out).to.equal('');
      expect(result.err).to.include(`error invalid_configuration: ${command}: the embedded database in ${missing} does not exist yet (server.dataDir`);
    }
    expect(existsSync(missing), 'the data directory was created').to.equal(false);
  });

  it('list: every item by default; --limit caps it and prints the --after cursor of the rest on stderr; bad --limit or --after refused', async function () {
    // A server and four commands, each opening the embedded database.
    this.timeout(180_000);
    // Runs last: the first test leaves the list empty. Three more held refunds, by a server that then stops.
    const server = await createServer(await loadServerConfig(configFile, {}));
    const heldIds: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const { payment } = await server.payments.pay({ idempotencyKey: `cli-page-pay-${i}`, channel: 'web', total: '40.00', currency: 'USD', token: 'tok' });
        await server.payments.capture({ paymentId: payment.id, idempotencyKey: `cli-page-capture-${i}` });
        const lost = (await server.payments.refund({ paymentId: payment.id, idempotencyKey: `cli-page-refund-${i}`, amount: '13.13' }).catch((err: unknown) => err)) as { details: { transactionId: string } };
        heldIds.push(lost.details.transactionId);
      }
    } finally {
      await server.close();
    }
    const idsOf = (out: string): string[] => (JSON.parse(out) as Array<{ transaction: { id: string } }>).map((i) => i.transaction.id);
    const all = await cli('review', 'list', '--config', configFile);
    expect(all.code, all.err).to.equal(0);
    expect(all.err).to.equal('');
    expect(idsOf(all.out)).to.deep.equal(heldIds);

    const capped = await cli('review', 'list', '--config', configFile, '--limit', '2');
    expect(capped.code, capped.err).to.equal(0);
    expect(idsOf(capped.out)).to.deep.equal(heldIds.slice(0, 2));
    const cursor = /^2 items printed, more follow: payhost review list --limit 2 --after (\S+)$/.exec(capped.err.trim())?.[1];
    expect(cursor, capped.err).to.be.a('string');
    const rest = await cli('review', 'list', '--config', configFile, '--limit', '2', '--after', cursor as string);
    expect(rest.code, rest.err).to.equal(0);
    expect(idsOf(rest.out)).to.deep.equal(heldIds.slice(2));
    expect(rest.err, 'nothing follows').to.equal('');

    for (const limit of ['0', '-1', 'ten', '1.5']) {
      const bad = await cli('review', 'list', '--config', configFile, '--limit', limit);
      expect([bad.code, bad.out]).to.deep.equal([1, '']);
      expect(bad.err).to.match(/^error invalid_input: --limit must be a whole number/);
    }
    const forged = await cli('review', 'list', '--config', configFile, '--after', 'bm9wZQ');
    expect([forged.code, forged.out]).to.deep.equal([1, '']);
    expect(forged.err).to.match(/^error invalid_input \(invalid_cursor\): after must be a nextCursor the review list gave/);
  });
});

describe('cli: payhost review --help', () => {
  it("names every reason an item is listed for (the items' `reason`), in the group's and in list's help", async () => {
    for (const argv of [['review', '--help'], ['review', 'list', '--help']]) {
      const help = await cli(...argv);
      expect(help.code, argv.join(' ')).to.equal(0);
      for (const reason of REVIEW_REASONS) expect(help.out, `${argv.join(' ')}: ${reason}`).to.include(reason);
    }
  });
});
