import { expect } from 'chai';
import {
  BasePlugin,
  PayhostError,
  PluginManager,
  gatewayConfigFromValues,
  type ChannelInput,
  type CustomerSource,
  type GatewayConfig,
  type GatewayResponse,
  type PaymentData,
  type PluginInit,
  type PublicConfig,
  type WebhookResponse,
} from '@payhost/core';
import { okResponse, payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

// After close() the manager runs and builds no plugin: its instances are closed (or closing), and an
// instance built after close would never be closed (a plugin holding a timer keeps the process alive).

/** Every instance made, every plugin call, and every instance closed. */
let made = 0;
let calls: string[] = [];
let closed = 0;
/** processPayment waits on this while it is set. */
let gate: Promise<void> | null = null;

class Everything extends BasePlugin {
  static override id = 'test.everything';
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    generation: { type: 'String' as const, label: 'Generation' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', generation: '1' };
  constructor(init: PluginInit) {
    super(init);
    made++;
  }
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async processPayment(data: PaymentData): Promise<GatewayResponse> {
    calls.push('processPayment');
    if (gate) await gate;
    return okResponse(data, `t-${String(this.configuration['generation'])}`);
  }
  async capturePayment(data: PaymentData): Promise<GatewayResponse> {
    calls.push('capturePayment');
    return okResponse(data, 'capture');
  }
  async getTransactionStatus(): Promise<GatewayResponse | null> {
    calls.push('getTransactionStatus');
    return null;
  }
  async getClientToken(): Promise<string> {
    calls.push('getClientToken');
    return 'token';
  }
  async getPaymentConfig(_input: ChannelInput, previous: PublicConfig): Promise<PublicConfig> {
    calls.push('getPaymentConfig');
    return previous;
  }
  async listPaymentSources(_input: unknown, previous: CustomerSource[]): Promise<CustomerSource[]> {
    calls.push('listPaymentSources');
    return previous;
  }
  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[]> {
    calls.push('getSupportedCurrencies');
    return previous;
  }
  async webhook(): Promise<WebhookResponse> {
    calls.push('webhook');
    return { status: 200, body: 'ok' };
  }
  override close(): void {
    closed++;
  }
}

function build(): PluginManager {
  return new PluginManager({
    plugins: [Everything],
    config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.everything': { active: true } } }] },
    logger: captureLogger().logger,
  });
}

function expectShuttingDown(err: unknown, method: string): void {
  expect(err, `${method} is refused`).to.be.instanceOf(PayhostError);
  expect(err).to.include({ code: 'shutting_down' });
  expect((err as PayhostError).details).to.deep.equal({ method });
}

/** Calls `start`, which must not throw synchronously, and expects its promise to reject with shutting_down. */
async function expectRejected(method: string, start: () => Promise<unknown>): Promise<void> {
  let promise: Promise<unknown>;
  try {
    promise = start();
  } catch (err) {
    expect.fail(`${method} threw synchronously instead of rejecting: ${String(err)}`);
  }
  let rejection: unknown;
  await promise.then(
    () => expect.fail(`${method} ran after close()`),
    (err: unknown) => (rejection = err),
  );
  expectShuttingDown(rejection, method);
}

function expectThrown(method: string, call: () => unknown): void {
  let thrown: unknown;
  try {
    call();
  } catch (err) {
    thrown = err;
  }
  expectShuttingDown(thrown, method);
}

describe('manager: after close()', () => {
  beforeEach(() => {
    made = 0;
    calls = [];
    closed = 0;
    gate = null;
  });

  it('refuses every call that runs a plugin with shutting_down, as a rejected promise, and calls no plugin', async () => {
    const manager = build();
    await manager.close();
    const request = { channel: 'us', payment: payment() };
    await expectRejected('processPayment', () => manager.processPayment(request));
    await expectRejected('authorizePayment', () => manager.authorizePayment(request));
    await expectRejected('capturePayment', () => manager.capturePayment(request));
    await expectRejected('refundPayment', () => manager.refundPayment(request));
    await expectRejected('voidPayment', () => manager.voidPayment(request));
    await expectRejected('confirmPayment', () => manager.confirmPayment(request));
    await expectRejected('capturePayment', () => manager.runOperation('capturePayment', request));
    await expectRejected('getTransactionStatus', () => manager.getTransactionStatus({ channel: 'us', transaction: null, payment: payment() } as never));
    await expectRejected('getClientToken', () => manager.getClientToken({ channel: 'us', gateway: 'test.everything' }));
    await expectRejected('tokenIsRequiredAsPaymentInput', () => manager.tokenIsRequiredAsPaymentInput({ channel: 'us', gateway: 'test.everything' }));
    await expectRejected('getPaymentConfig', () => manager.getPaymentConfig({ channel: 'us', gateway: 'test.everything' }));
    await expectRejected('listPaymentSources', () => manager.listPaymentSources({ channel: 'us', customerId: 'c1' }));
    await expectRejected('listPaymentGateways', () => manager.listPaymentGateways({ channel: 'us', currency: 'USD' }));
    await expectRejected('runHook', () => manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, []));
    await expectRejected('runHook', () => manager.runHook(null, 'getSupportedCurrencies', { channel: 'us' }, []));
    await expectRejected('webhook', () => manager.webhook({ channel: 'us', plugin: 'test.everything', path: '/', method: 'POST', headers: {}, rawBody: Buffer.from('{}') }));
    expect(calls).to.deep.equal([]);
  });

  it('refuses a listing even when one is kept from before close()', async () => {
    const manager = build();
    expect(await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).to.have.length(1);
    await manager.close();
    await expectRejected('listPaymentGateways', () => manager.listPaymentGateways({ channel: 'us', currency: 'USD' }));
  });

  it('refuses configuration changes before building any instance, so none is left unclosed', async () => {
    const manager = build();
    await manager.close();
    const version = manager.configVersion;
    const before = made;
    expectThrown('updatePluginConfiguration', () => manager.updatePluginConfiguration('test.everything', 'us', { configuration: { generation: '2' } }));
    expectThrown('preparePluginConfiguration', () => manager.preparePluginConfiguration('test.everything', 'us', { active: false }));
    expectThrown('setPluginSettings', () => manager.setPluginSettings('test.everything', 'us', undefined));
    expectThrown('preparePluginSettings', () => manager.preparePluginSettings('test.everything', 'us', { active: true }));
    expect(made, 'no plugin instance was built').to.equal(before);
    expect(closed, 'every instance made was closed').to.equal(made);
    expect(manager.configVersion).to.equal(version);
    // Reading the configuration runs no plugin: still answered.
    expect(manager.getPluginConfiguration('test.everything', 'us').configuration['generation']).to.equal('1');
  });

  it("refuses channel(), which hands out the channel's pipeline, while what only reads the configuration is still answered", async () => {
    const manager = build();
    const before = manager.channel('us');
    await manager.close();
    expectThrown('channel', () => manager.channel('us'));
    // Refused as closing before the slug is looked at.
    expectThrown('channel', () => manager.channel('nowhere'));
    expect(manager.listChannels()).to.deep.equal(['us']);
    expect(manager.resolveGateway('us', 'USD').id).to.equal('test.everything');
    expect(manager.config.channels.map((c) => c.slug)).to.deep.equal(['us']);
    expect(before.slug, 'a runtime handed out before close() is not taken back').to.equal('us');
    expect(calls).to.deep.equal([]);
  });

  it('refuses commit() of a change prepared before close() with shutting_down, and changes nothing', async () => {
    const manager = build();
    const version = manager.configVersion;
    const change = manager.preparePluginConfiguration('test.everything', 'us', { configuration: { generation: '2' } });
    const closing = manager.close();
    // From the moment close() is called, not only once it has finished.
    expectThrown('commit', () => change.commit());
    await closing;
    expectThrown('commit', () => change.commit());
    expect(manager.configVersion).to.equal(version);
    expect(manager.getPluginConfiguration('test.everything', 'us').configuration['generation']).to.equal('1');
    expect(closed, 'what the change built was closed with the rest').to.equal(made);
    await change.discard();
    expect(closed).to.equal(made);
  });

  it('refuses new calls from the moment close() is called, while the calls already in flight finish', async () => {
    const manager = build();
    let release = (): void => undefined;
    gate = new Promise((resolve) => (release = resolve));
    const inFlight = manager.processPayment({ channel: 'us', payment: payment({ paymentId: 'before' }) });
    const closing = manager.close();
    await expectRejected('processPayment', () => manager.processPayment({ channel: 'us', payment: payment({ paymentId: 'after' }) }));
    expect(closed, 'nothing is closed while a call is in flight').to.equal(0);
    release();
    expect((await inFlight).transactionId).to.equal('t-1');
    await closing;
    expect(calls).to.deep.equal(['processPayment']);
    expect(closed).to.equal(made);
  });

  it('is idempotent: a second close() answers the same promise and closes nothing twice', async () => {
    const manager = build();
    const first = manager.close();
    expect(manager.close()).to.equal(first);
    await first;
    await manager.close();
    expect(closed).to.equal(made);
  });
});
