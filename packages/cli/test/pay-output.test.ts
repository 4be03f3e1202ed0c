import { randomUUID } from 'node:crypto';
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

type Answer = { payment: Record<string, unknown>; transaction: Record<string, unknown> };

/** The keys of an answer's payment and transaction, sorted: what a client reads, whichever wrote it. */
const shape = (answer: Answer) => ({ payment: Object.keys(answer.payment).sort(), transaction: Object.keys(answer.transaction).sort() });

describe("cli: payhost pay prints the server's answer (POST /payments's fields)", function () {
  // The embedded database opens (with fsync) for pay, then for the server: seconds each when loaded.
  this.timeout(60_000);
  let dir: string;
  let configFile: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'payhost-cli-pay-output-'));
    await copyMigratedDataDir(join(dir, '.payhost-data'));
    configFile = join(dir, 'payhost.json');
    const dummy = (autoCapture: boolean) => ({ 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: autoCapture } } });
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { logLevel: 'silent', port: 0 },
        auth: { adminApiKey: 'cli-admin-key-0123456789', paymentApiKey: PAYMENT_KEY },
        plugins: [dummyPlugin],
        channels: [
          { slug: 'web', currencies: ['USD'], plugins: dummy(true) },
          { slug: 'auth-only', currencies: ['USD'], plugins: dummy(false) },
        ],
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the same fields as POST /payments answers, for a captured and an authorized-only payment; the latter shows its authorized amount', async () => {
    const printed: Record<string, Answer> = {};
    for (const channel of ['web', 'auth-only']) {
      const paid = await cli('pay', '--config', configFile, '--channel', channel, '--amount', '100.00', '--currency', 'USD', '--token', 'tok_dummy_success');
      expect(paid.code, paid.err).to.equal(0);
      printed[channel] = JSON.parse(paid.out) as Answer;
    }
    const authOnly = printed['auth-only'] as Answer;
    expect(authOnly.payment).to.include({ channel: 'auth-only', gateway: 'payhost.dummy', chargeStatus: 'not-charged', total: '100.00', authorizedAmount: '100.00', capturedAmount: '0.00', currency: 'USD' });
    expect(authOnly.transaction).to.include({ paymentId: authOnly.payment['id'], kind: 'auth', state: 'applied', isSuccess: true, amount: '100.00' });
    expect(authOnly.transaction['id']).to.be.a('string');
    expect((printed['web'] as Answer).payment).to.include({ chargeStatus: 'fully-charged', authorizedAmount: '0.00', capturedAmount: '100.00' });

    const server = await createServer(await loadServerConfig(configFile, {}));
    try {
      const url = await server.listen();
      const headers = { authorization: `Bearer ${PAYMENT_KEY}`, 'content-type': 'application/json' };
      for (const channel of ['web', 'auth-only']) {
        const cliAnswer = printed[channel] as Answer;
        const res = await fetch(`${url}/payments`, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': randomUUID() },
          body: JSON.stringify({ channel, amount: '100.00', currency: 'USD', token: 'tok_dummy_success' }),
        });
        expect(res.status, channel).to.equal(201);
        const api = (await res.json()) as Answer;
        expect(shape(cliAnswer), channel).to.deep.equal(shape(api));
        // Same kind of payment, same values but for its ids (ours and the processor's) and times.
        const comparable = ({ payment, transaction }: Answer) => ({
          payment: { ...payment, id: null, pspReference: null, createdAt: null, updatedAt: null },
          transaction: { ...transaction, id: null, paymentId: null, createdAt: null, gatewayTransactionId: null, pspReference: null },
        });
        expect(comparable(cliAnswer), channel).to.deep.equal(comparable(api));
        // The payment the CLI printed is the one the server holds.
        const shown = (await (await fetch(`${url}/payments/${cliAnswer.payment['id'] as string}`, { headers })).json()) as { payment: Record<string, unknown> };
        expect(shown.payment, channel).to.deep.equal(cliAnswer.payment);
      }
    } finally {
      await server.close();
    }
  });
});
