import { expect } from 'chai';
import { Decimal, PluginManager, type GatewayResponse, type PaymentData, type TransactionStatusInput } from '@payhost/core';
import { GatewayA, okResponse, payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

// An operation's answer takes the strict amount reading a processor event takes (ledger readAmount): a string
// decimal.js would read as another number than it shows is the plugin's invalid answer, never 16 or 10.
let answered: unknown = null;

class AmountGateway extends GatewayA {
  static override id = 'test.amounts';
  override async processPayment(data: PaymentData): Promise<GatewayResponse> {
    return { ...okResponse(data, 'tx-1'), amount: answered as Decimal };
  }
  async getTransactionStatus(input: TransactionStatusInput): Promise<GatewayResponse | null> {
    return { ...okResponse(input.payment, 'tx-1'), amount: answered as Decimal };
  }
}

describe('manager: the amount of a plugin answer is read strictly', () => {
  const log = captureLogger();
  const manager = new PluginManager({
    plugins: [AmountGateway],
    logger: log.logger,
    config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.amounts': { active: true } } }] },
  });
  after(() => manager.close());
  const process = () => manager.processPayment({ channel: 'us', gateway: 'test.amounts', payment: payment() });
  const status = () => manager.getTransactionStatus({ channel: 'us', gateway: 'test.amounts', transaction: null, payment: payment() } as never);

  for (const amount of ['0x10', '1e1', ' 10.00', '-10.00', '10.', '', 10]) {
    it(`${JSON.stringify(amount)}: a processing_error with pluginFailure invalid_answer (outcome unknown), and "cannot tell" for a status`, async () => {
      answered = amount;
      const response = await process();
      expect(response).to.deep.include({ isSuccess: false, errorCode: 'processing_error' });
      expect(Decimal.isDecimal(response.amount) && response.amount.equals('10.00')).to.equal(true);
      expect(response.rawResponse).to.deep.include({ outcome_unknown: true });
      expect(response.rawResponse?.['pluginFailure']).to.deep.include({ code: 'plugin_failed', reason: 'invalid_answer', plugin: 'test.amounts', hook: 'processPayment' });
      expect(String((response.rawResponse?.['pluginFailure'] as { problem: string }).problem)).to.match(/^amount /);
      expect(await status()).to.equal(null);
    });
  }

  it('a plain decimal string is still converted to a Decimal (with the amount_not_decimal warning), and a Decimal taken', async () => {
    answered = '10.00';
    const fromString = await process();
    expect(fromString.isSuccess).to.equal(true);
    expect(Decimal.isDecimal(fromString.amount) && fromString.amount.equals('10')).to.equal(true);
    expect(log.lines.some((l) => l['code'] === 'amount_not_decimal' && l['amount'] === '10.00')).to.equal(true);
    answered = new Decimal('10.00');
    expect((await process()).isSuccess).to.equal(true);
  });
});
