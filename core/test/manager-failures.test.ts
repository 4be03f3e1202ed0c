import { expect } from 'chai';
import { BasePlugin, Decimal, PayhostError, PluginManager, gatewayConfigFromValues, type GatewayConfig, type GatewayResponse, type PaymentData, type ChannelInput } from '@payhost/core';
import { GatewayA, okResponse, payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

/** A USD gateway's configuration, shared by the test gateways below. */
abstract class UsdGateway extends BasePlugin {
  static override configStructure = { supported_currencies: { type: 'String' as const, label: 'Currencies' } };
  static override defaultConfiguration = { supported_currencies: 'USD' };
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
}

/** A gateway whose processPayment misbehaves in the way its token names. */
class Misbehaving extends UsdGateway {
  static override id = 'test.misbehaving';
  processPayment(payment: PaymentData): Promise<GatewayResponse> {
    switch (payment.token) {
      case 'throw':
        throw new Error('sync boom');
      case 'reject':
        return Promise.reject(new Error('async boom'));
      case 'hang':
        return new Promise(() => undefined);
      // As a plugin written in JavaScript would answer: minor units divided through a float, or a string.
      case 'number-amount':
        return Promise.resolve({ ...okResponse(payment, 'n'), amount: 0.1 + 0.2 as unknown as Decimal });
      case 'string-amount':
        return Promise.resolve({ ...okResponse(payment, 's'), amount: '10.00' as unknown as Decimal });
      default:
        return Promise.resolve(okResponse(payment, `ok-${payment.paymentId}`));
    }
  }
}

/** Chained-hook plugins that fail in each way, around healthy ones. */
function chainedFailure(id: string, behaviour: 'throw' | 'reject' | 'hang') {
  return class extends BasePlugin {
    static override id = id;
    getSupportedCurrencies(_input: ChannelInput, _previous: string[]): Promise<string[]> {
      if (behaviour === 'throw') throw new Error('sync');
      if (behaviour === 'reject') return Promise.reject(new Error('async'));
      return new Promise(() => undefined);
    }
  };
}

class Appender extends BasePlugin {
  static override id = 'appender';
  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[]> {
    return [...previous, 'OK'];
  }
}

describe('manager: broken plugins never break the host', () => {
  // A plain value a synchronous method returns is its answer, not a failure: manager-sync-hooks.test.ts.
  for (const behaviour of ['throw', 'reject', 'hang'] as const) {
    it(`a gateway that ${behaviour === 'hang' ? 'never settles' : behaviour + 's'} yields processing_error and a log line, while other calls succeed`, async () => {
      const log = captureLogger();
      const manager = new PluginManager({
        plugins: [Misbehaving, GatewayA],
        config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.misbehaving': { active: true }, 'test.gateway-a': { active: true } } }] },
        logger: log.logger,
        hookTimeoutMs: 40,
      });
      const [broken, healthy, healthyOther] = await Promise.all([
        manager.processPayment({ channel: 'us', gateway: 'test.misbehaving', payment: payment({ token: behaviour }) }),
        manager.processPayment({ channel: 'us', gateway: 'test.misbehaving', payment: payment({ token: 'fine', paymentId: 'p2' }) }),
        manager.processPayment({ channel: 'us', gateway: 'test.gateway-a', payment: payment({ paymentId: 'p3' }) }),
      ]);
      expect(broken).to.include({ isSuccess: false, errorCode: 'processing_error', currency: 'USD', kind: 'capture' });
      // Only the call left running may have reached the processor: the others failed before the event loop turned.
      expect(broken.rawResponse?.['outcome_unknown']).to.equal(behaviour === 'hang' ? true : undefined);
      expect(broken.amount.equals(new Decimal('10'))).to.equal(true);
      expect(healthy).to.include({ isSuccess: true, transactionId: 'ok-p2' });
      expect(healthyOther).to.include({ isSuccess: true, transactionId: 'a-p3' });
      const failures = log.lines.filter((l) => l['hook'] === 'processPayment');
      expect(failures).to.have.length(1);
      expect(failures[0]).to.include({ plugin: 'test.misbehaving', channel: 'us', hook: 'processPayment' });
      expect(failures[0]?.['durationMs']).to.be.a('number');
      expect(failures[0]?.['code']).to.equal(behaviour === 'hang' ? 'plugin_timeout' : 'plugin_failed');
      await manager.close();
    });

    it(`a chained plugin that ${behaviour}s passes the previous value through and the rest of the chain still runs`, async () => {
      const log = captureLogger();
      const Broken = chainedFailure('broken', behaviour);
      const manager = new PluginManager({
        plugins: [Appender, Broken, class Second extends Appender { static override id = 'second'; }],
        config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { appender: { active: true }, broken: { active: true }, second: { active: true } } }] },
        logger: log.logger,
        hookTimeoutMs: 40,
      });
      const value = await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, []);
      expect(value).to.deep.equal(['OK', 'OK']);
      expect(log.lines.filter((l) => l['plugin'] === 'broken')).to.have.length(1);
      await manager.close();
    });
  }

  it('an amount answered as a plain decimal string reaches the host as a Decimal, with a warning; a number is an invalid answer (never a float)', async () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [Misbehaving],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.misbehaving': { active: true } } }] },
      logger: log.logger,
    });
    const [fromNumber, fromString] = await Promise.all([
      manager.processPayment({ channel: 'us', gateway: 'test.misbehaving', payment: payment({ token: 'number-amount' }) }),
      manager.processPayment({ channel: 'us', gateway: 'test.misbehaving', payment: payment({ token: 'string-amount', paymentId: 'p2' }) }),
    ]);
    // As the ledger reads a processor event's amount (manager-answer-amounts has the other cases).
    expect(fromNumber).to.deep.include({ isSuccess: false, errorCode: 'processing_error' });
    expect(fromNumber.rawResponse?.['pluginFailure']).to.deep.include({ code: 'plugin_failed', reason: 'invalid_answer' });
    expect(Decimal.isDecimal(fromString.amount)).to.equal(true);
    expect(fromString.amount.toFixed(2)).to.equal('10.00');
    const warnings = log.lines.filter((l) => l['code'] === 'amount_not_decimal');
    expect(warnings.map((w) => [w['answered'], w['amount'], w['hook'], w['level']])).to.deep.equal([['string', '10.00', 'processPayment', 40]]);
    await manager.close();
  });

  it("a plugin error that echoes the plugin's secret settings is logged with them scrubbed", async () => {
    const log = captureLogger();
    class Leaky extends GatewayA {
      static override id = 'test.leaky';
      override async processPayment(): Promise<GatewayResponse> {
        const err = new Error(`Invalid API key ${String(this.configuration['secret_key'])} (password ${String(this.configuration['password'])})`);
        throw Object.assign(err, { code: 'auth_failed' });
      }
    }
    const manager = new PluginManager({
      plugins: [Leaky],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.leaky': { active: true, configuration: { secret_key: 'sk_live_leaky_123', password: 'hunter22-pass' } } } }] },
      logger: log.logger,
    });
    const answer = await manager.processPayment({ channel: 'us', gateway: 'test.leaky', payment: payment() });
    expect(answer).to.include({ isSuccess: false, errorCode: 'processing_error' });
    const text = log.text();
    expect(text).to.include('Invalid API key [redacted]');
    for (const secret of ['sk_live_leaky_123', 'hunter22-pass']) expect(text).not.to.include(secret);
    const line = log.lines.find((l) => l['hook'] === 'processPayment');
    expect(line?.['err']).to.include({ type: 'Error', code: 'auth_failed' });
    await manager.close();
  });

  it("a plugin error holding a secret only in another text field (Node's ERR_INVALID_URL input) is logged with it scrubbed", async () => {
    const log = captureLogger();
    class BadUrl extends GatewayA {
      static override id = 'test.bad-url';
      override async processPayment(): Promise<GatewayResponse> {
        // The secret sits in the URL Node refuses: the message says only "Invalid URL", the URL is kept in `input`.
        new URL(`api ${String(this.configuration['secret_key'])}`);
        throw new Error('unreachable');
      }
    }
    const manager = new PluginManager({
      plugins: [BadUrl],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.bad-url': { active: true, configuration: { secret_key: 'sk_live_in_url_456' } } } }] },
      logger: log.logger,
    });
    const answer = await manager.processPayment({ channel: 'us', gateway: 'test.bad-url', payment: payment() });
    expect(answer).to.include({ isSuccess: false, errorCode: 'processing_error' });
    expect(log.text()).not.to.include('sk_live_in_url_456');
    const line = log.lines.find((l) => l['hook'] === 'processPayment');
    expect(line?.['err']).to.include({ type: 'TypeError', code: 'ERR_INVALID_URL', input: 'api [redacted]' });
    await manager.close();
  });

  it('a first plugin that hangs does not stop later plugins, and a late answer is ignored', async () => {
    let release: (v: string[]) => void = () => undefined;
    let lateCalls = 0;
    class Slow extends BasePlugin {
      static override id = 'slow';
      getSupportedCurrencies(_i: ChannelInput, _p: string[]): Promise<string[]> {
        return new Promise((resolve) => (release = resolve));
      }
    }
    class After extends BasePlugin {
      static override id = 'after';
      async getSupportedCurrencies(_i: ChannelInput, previous: string[]): Promise<string[]> {
        lateCalls++;
        return [...previous, 'AFTER'];
      }
    }
    const manager = new PluginManager({
      plugins: [Slow, After],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { slow: { active: true }, after: { active: true } } }] },
      logger: captureLogger().logger,
      hookTimeoutMs: 30,
    });
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, ['START'])).to.deep.equal(['START', 'AFTER']);
    release(['LATE']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lateCalls).to.equal(1);
    await manager.close();
  });
});

/** A gateway whose getClientToken misbehaves in the way the request's data names. */
class TokenIssuer extends UsdGateway {
  static override id = 'test.token-issuer';
  processPayment(payment: PaymentData): Promise<GatewayResponse> {
    return Promise.resolve(okResponse(payment, 'unused'));
  }
  getClientToken(input: { data?: Record<string, unknown> | null }): Promise<string | undefined> {
    switch (input.data?.['mode']) {
      case 'typed':
        return Promise.reject(new PayhostError('invalid_input', 'This gateway needs an amount for a client token', { field: 'amount' }));
      case 'reject':
        return Promise.reject(new Error('upstream said sk_test_secret is wrong'));
      case 'hang':
        return new Promise(() => undefined);
      case 'none':
        return Promise.resolve(undefined);
      default:
        return Promise.resolve('ct_1');
    }
  }
}

describe('manager: getClientToken failures keep their meaning', () => {
  let manager: PluginManager;
  beforeEach(() => {
    manager = new PluginManager({
      plugins: [TokenIssuer, GatewayA],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.token-issuer': { active: true }, 'test.gateway-a': { active: true } } }] },
      logger: captureLogger().logger,
      hookTimeoutMs: 40,
    });
  });
  afterEach(() => manager.close());
  const ask = (mode: string) => manager.getClientToken({ channel: 'us', gateway: 'test.token-issuer', data: { mode } });
  const rejection = async (promise: Promise<unknown>): Promise<PayhostError> => {
    try {
      await promise;
    } catch (err) {
      expect(err).to.be.instanceOf(PayhostError);
      return err as PayhostError;
    }
    throw new Error('expected a rejection');
  };

  it('answers the token when the plugin gives one', async () => {
    expect(await ask('ok')).to.equal('ct_1');
  });

  it("passes on the plugin's own typed error (code, message, details)", async () => {
    const err = await rejection(ask('typed'));
    expect(err.code).to.equal('invalid_input');
    expect(err.message).to.equal('This gateway needs an amount for a client token');
    expect(err.details).to.deep.equal({ field: 'amount' });
  });

  it('a plugin that never answers is plugin_timeout', async () => {
    const err = await rejection(ask('hang'));
    expect(err.code).to.equal('plugin_timeout');
    expect(err.message).to.contain('did not answer in time');
  });

  it("a plugin that fails is plugin_failed, without the plugin's own message (it stays in the log)", async () => {
    const err = await rejection(ask('reject'));
    expect(err.code).to.equal('plugin_failed');
    expect(err.details).to.deep.equal({ gateway: 'test.token-issuer', reason: 'rejected' });
    expect(err.message).not.to.contain('sk_test');
  });

  it('a plugin that gives no token is plugin_failed', async () => {
    const err = await rejection(ask('none'));
    expect(err.code).to.equal('plugin_failed');
    expect(err.message).to.contain('returned none');
  });

  it('a gateway without getClientToken is operation_not_supported, not a plugin failure', async () => {
    const err = await rejection(manager.getClientToken({ channel: 'us', gateway: 'test.gateway-a' }));
    expect(err.code).to.equal('operation_not_supported');
    expect(err.message).to.equal('Gateway "test.gateway-a" does not support getClientToken');
    expect(err.details).to.deep.equal({ channel: 'us', gateway: 'test.gateway-a', operation: 'getClientToken' });
  });
});

/** Not a native promise: a thenable whose then() throws when anyone tries to chain it. */
const explodingThenable = (): PromiseLike<never> => ({
  then() {
    throw new Error('then exploded');
  },
});

describe('manager: a thenable whose then() throws is an ordinary plugin failure', () => {
  class ThenableGateway extends UsdGateway {
    static override id = 'test.thenable';
    processPayment(_payment: PaymentData): Promise<GatewayResponse> {
      return explodingThenable() as unknown as Promise<GatewayResponse>;
    }
  }
  const thenableTagger = (id: string) =>
    class extends BasePlugin {
      static override id = id;
      getSupportedCurrencies(_input: ChannelInput, _previous: string[]): Promise<string[]> {
        return explodingThenable() as unknown as Promise<string[]>;
      }
    };
  const broken = chainedFailure('rejecting', 'reject');

  it('a payment operation answers a final processing_error (plugin_failed, threw: then() threw before the event loop turned)', async () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins: [ThenableGateway],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.thenable': { active: true } } }] },
      logger: log.logger,
      hookTimeoutMs: 200,
    });
    const response = await manager.processPayment({ channel: 'us', payment: payment() });
    expect(response).to.include({ isSuccess: false, errorCode: 'processing_error' });
    expect(response.rawResponse?.['pluginFailure']).to.include({ code: 'plugin_failed', reason: 'threw', plugin: 'test.thenable' });
    // Nothing async ran: no processor can have acted, so it is not an unknown outcome.
    expect(response.rawResponse).not.to.have.property('outcome_unknown');
    await manager.close();
  });

  for (const [where, plugins] of [
    ['first in the chain', [thenableTagger('thenable'), Appender]],
    ['after a healthy plugin', [Appender, thenableTagger('thenable'), class Second extends Appender { static override id = 'second'; }]],
    ['after a failed plugin (the one-by-one path)', [broken, thenableTagger('thenable'), Appender]],
  ] as const) {
    it(`${where}: the chain goes on with the previous value and the failure is logged`, async () => {
      const log = captureLogger();
      const active = Object.fromEntries(plugins.map((p) => [p.id, { active: true }]));
      const manager = new PluginManager({ plugins, config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: active }] }, logger: log.logger, hookTimeoutMs: 200 });
      const value = await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, []);
      expect(value).to.deep.equal(plugins.filter((p) => p.id !== 'thenable' && p.id !== 'rejecting').map(() => 'OK'));
      const failure = log.lines.find((l) => l['plugin'] === 'thenable');
      expect(failure).to.include({ code: 'plugin_failed', reason: 'rejected', hook: 'getSupportedCurrencies' });
      await manager.close();
    });
  }
});
