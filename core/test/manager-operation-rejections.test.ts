import { expect } from 'chai';
import { BasePlugin, PluginManager, gatewayConfigFromValues, type ChannelInput, type GatewayConfig, type GatewayResponse, type PaymentData } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { payment } from './support/plugins.js';

const OPERATIONS = ['processPayment', 'authorizePayment', 'capturePayment', 'refundPayment', 'voidPayment', 'confirmPayment'] as const;
type Operation = (typeof OPERATIONS)[number];

/** The kind of a success each operation may answer (the sync answer below). */
const SYNC_KINDS: Record<Operation, GatewayResponse['kind']> = { processPayment: 'capture', authorizePayment: 'auth', capturePayment: 'capture', refundPayment: 'refund', voidPayment: 'void', confirmPayment: 'capture' };

/** A network round trip: the answer comes a turn of the event loop later. */
function roundTrip(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function refuse(): Promise<never> {
  throw new Error('this token cannot be charged');
}

/** How each money hook fails, by the payment's token. */
function fail(data: PaymentData): Promise<GatewayResponse> {
  switch (data.token) {
    // After the processor answered: an SDK error on a dropped connection, a TypeError reading the body.
    case 'after-call':
      return (async () => {
        await roundTrip();
        throw new TypeError("Cannot read properties of undefined (reading 'id')");
      })();
    // An async hook refusing its input before any call, directly or through a helper it returns.
    case 'async-throw':
      return (async () => {
        throw new Error('refused before any call');
      })();
    case 'returned-helper':
      return (async () => refuse())();
    case 'sync-throw':
      throw new Error('sync');
    case 'promise-reject':
      return Promise.reject(new Error('rejected at once'));
    // A method ported from a synchronous Saleor plugin: its plain value is its answer.
    default:
      return { isSuccess: true, actionRequired: false, kind: SYNC_KINDS[data.token as Operation], amount: data.amount, currency: data.currency, transactionId: `sync-${data.token}`, error: null } as unknown as Promise<GatewayResponse>;
  }
}

class Failing extends BasePlugin {
  static override id = 'test.failing';
  static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
  static override defaultConfiguration = { supported_currencies: 'USD' };
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  processPayment(data: PaymentData): Promise<GatewayResponse> {
    return fail(data);
  }
  authorizePayment(data: PaymentData): Promise<GatewayResponse> {
    return fail(data);
  }
  capturePayment(data: PaymentData): Promise<GatewayResponse> {
    return fail(data);
  }
  refundPayment(data: PaymentData): Promise<GatewayResponse> {
    return fail(data);
  }
  voidPayment(data: PaymentData): Promise<GatewayResponse> {
    return fail(data);
  }
  confirmPayment(data: PaymentData): Promise<GatewayResponse> {
    return fail(data);
  }
  /** Not a money hook: a rejection after a round trip stays a plain failure of the chain. */
  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[]> {
    await roundTrip();
    throw new Error(`still ${previous.length}`);
  }
}

describe('manager: a money hook that rejects after it may have called the processor is an unknown outcome', () => {
  let manager: PluginManager;
  let log: ReturnType<typeof captureLogger>;

  beforeEach(() => {
    log = captureLogger();
    manager = new PluginManager({
      plugins: [Failing],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.failing': { active: true } } }] },
      logger: log.logger,
    });
  });
  afterEach(() => manager.close());

  function run(operation: Operation, token: string): Promise<GatewayResponse> {
    return manager[operation]({ channel: 'us', gateway: 'test.failing', payment: payment({ token }) });
  }

  for (const operation of OPERATIONS) {
    it(`${operation}: a rejection after a round trip is processing_error marked outcome_unknown (plugin_failed, rejected)`, async () => {
      const answer = await run(operation, 'after-call');
      expect(answer).to.include({ isSuccess: false, errorCode: 'processing_error' });
      expect(answer.rawResponse).to.deep.include({
        outcome_unknown: true,
        pluginFailure: { code: 'plugin_failed', reason: 'rejected', plugin: 'test.failing', hook: operation },
      });
      expect(answer.error).to.equal('The payment gateway failed while processing the request, after it may have reached the processor');
    });
  }

  for (const [token, reason] of [
    ['async-throw', 'threw'],
    ['returned-helper', 'threw'],
    ['sync-throw', 'threw'],
    ['promise-reject', 'threw'],
  ] as const) {
    it(`${token === 'async-throw' ? 'an' : 'a'} ${token} before any call stays a final processing_error (reason ${reason}), on every money hook`, async () => {
      for (const operation of OPERATIONS) {
        const answer = await run(operation, token);
        expect(answer, operation).to.include({ isSuccess: false, errorCode: 'processing_error', error: 'The payment gateway failed to process the request' });
        expect(answer.rawResponse, operation).to.deep.equal({ pluginFailure: { code: 'plugin_failed', reason, plugin: 'test.failing', hook: operation } });
      }
      const lines = log.lines.filter((l) => l['code'] === 'plugin_failed');
      expect(lines.map((l) => l['reason'])).to.deep.equal(OPERATIONS.map(() => reason));
    });
  }

  it('a synchronous method answering a plain GatewayResponse: that is its answer (a success), on every money hook, and one warning per hook', async () => {
    for (const operation of OPERATIONS) {
      for (let i = 0; i < 2; i++) {
        const answer = await run(operation, operation);
        expect(answer, operation).to.include({ isSuccess: true, transactionId: `sync-${operation}`, kind: SYNC_KINDS[operation] });
        expect(answer.rawResponse, operation).to.equal(undefined);
      }
    }
    expect(log.lines.filter((l) => l['code'] === 'plugin_failed')).to.deep.equal([]);
    const warned = log.lines.filter((l) => l['code'] === 'sync_hook');
    expect(warned.map((l) => [l['level'], l['plugin'], l['hook']])).to.deep.equal(OPERATIONS.map((operation) => [40, 'test.failing', operation]));
  });

  it('other hooks are not concerned: a chained hook that rejects is logged as rejected, and the chain goes on', async () => {
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, ['USD'])).to.deep.equal(['USD']);
    expect(log.lines.find((l) => l['hook'] === 'getSupportedCurrencies')).to.include({ code: 'plugin_failed', reason: 'rejected' });
  });
});
