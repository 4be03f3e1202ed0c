import { expect } from 'chai';
import { BasePlugin, Decimal, PayhostError, PluginManager, gatewayConfigFromValues, isPayhostError, type GatewayConfig, type GatewayResponse, type PaymentData } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';

const KEY = 'sk_live_GCCANARY_0123456789';

/** A gateway whose gatewayConfig() fails as its `mode` setting says, echoing its secret key. */
class Declaring extends BasePlugin {
  static override id = 'test.declaring';
  static override configStructure = {
    mode: { type: 'String' as const, label: 'Mode' },
    api_key: { type: 'Secret' as const, label: 'API key' },
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
  };
  static override defaultConfiguration = { mode: 'ok', api_key: KEY, supported_currencies: 'USD' };

  override gatewayConfig(): GatewayConfig {
    const key = String(this.configuration['api_key']);
    switch (this.configuration['mode']) {
      case 'typed':
        // The plugin refusing its settings on purpose, naming the value (it should not, but one did).
        throw new PayhostError('invalid_configuration', `cannot parse key ${key}`);
      case 'plain':
        throw new Error(`cannot parse key ${key}`);
      case 'bug':
        return (undefined as unknown as { parse(k: string): GatewayConfig }).parse(key);
      case 'object':
        throw { code: 'bad_key', key };
      case 'half':
        return { supportedCurrencies: ['USD'] } as unknown as GatewayConfig;
      case 'flags':
        return { ...gatewayConfigFromValues('Declaring', this.configuration), autoCapture: 'yes', supportsMultipleCaptures: 1, connectionParams: key } as unknown as GatewayConfig;
      case 'repeat':
        // Built by hand, not by gatewayConfigFromValues (which lists each code once).
        return { ...gatewayConfigFromValues('Declaring', this.configuration), supportedCurrencies: ['USD', 'EUR', 'USD'] };
      case 'undefined':
        return undefined as unknown as GatewayConfig;
      default:
        return gatewayConfigFromValues('Declaring', this.configuration);
    }
  }

  async processPayment(payment: PaymentData): Promise<GatewayResponse> {
    return { isSuccess: true, actionRequired: false, kind: 'capture', amount: new Decimal(payment.amount), currency: payment.currency, transactionId: 't', error: null };
  }
}

function build(mode: string, logger = captureLogger().logger): PluginManager {
  return new PluginManager({ plugins: [Declaring], logger, config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.declaring': { active: true, configuration: { mode } } } }] } });
}

function thrownBy(run: () => unknown): PayhostError {
  try {
    run();
  } catch (err) {
    expect(isPayhostError(err), String(err)).to.equal(true);
    return err as PayhostError;
  }
  throw new Error('expected a throw');
}

function failures(log: ReturnType<typeof captureLogger>): Array<Record<string, unknown>> {
  return log.lines.filter((line) => line['code'] === 'plugin_failed');
}

describe('manager: a gatewayConfig() that throws', () => {
  it("a PayhostError is invalid_configuration with the plugin's message, its secrets scrubbed (and its cause)", () => {
    const log = captureLogger();
    const err = thrownBy(() => build('typed', log.logger));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.message).to.equal('Plugin "test.declaring" has an invalid gateway configuration: cannot parse key [redacted]');
    expect(err.details).to.deep.equal({ plugin: 'test.declaring', channel: 'web' });
    expect(String((err.cause as Error | undefined)?.stack)).not.to.contain(KEY);
    expect(failures(log)).to.deep.equal([]);
  });

  for (const [mode, thrown, type] of [
    ['plain', 'an Error', 'Error'],
    ['bug', 'a TypeError', 'TypeError'],
    ['object', 'a non-Error value (object)', undefined],
  ] as const) {
    it(`${thrown} is plugin_failed (a bug in the plugin), logged with its stack and without secrets`, () => {
      const log = captureLogger();
      const err = thrownBy(() => build(mode, log.logger));
      expect(err.code).to.equal('plugin_failed');
      expect(err.message).to.equal(`Plugin "test.declaring" failed to start in channel "web": its gatewayConfig() threw ${thrown}, a bug in the plugin rather than a rejected configuration`);
      expect(err.details).to.deep.equal({ plugin: 'test.declaring', channel: 'web', reason: 'threw' });
      const logged = failures(log);
      expect(logged).to.have.length(1);
      expect(logged[0]).to.include({ level: 50, plugin: 'test.declaring', channel: 'web', hook: 'gatewayConfig', reason: 'threw', msg: err.message });
      if (type !== undefined) {
        const logErr = logged[0]?.['err'] as { type?: string; message?: string; stack?: string };
        expect(logErr.type).to.equal(type);
        expect(logErr.stack).to.be.a('string').and.to.include('gatewayConfig');
        if (mode === 'plain') expect(logErr.message).to.equal('cannot parse key [redacted]');
      } else {
        expect(logged[0]?.['thrown']).to.equal('threw {"code":"bad_key","key":"[redacted]"}');
      }
      expect(log.text()).not.to.contain(KEY);
      expect(String((err.cause as Error | undefined)?.stack)).not.to.contain(KEY);
    });
  }

  it('on a configuration change (the admin API\'s PUT) the same: no secret in the answer, the configuration in use kept', async () => {
    const log = captureLogger();
    const manager = build('ok', log.logger);
    const typed = thrownBy(() => manager.updatePluginConfiguration('test.declaring', 'web', { configuration: { mode: 'typed', api_key: 'sk_live_PUTCANARY_gc-throw' } }));
    expect(typed.code).to.equal('invalid_configuration');
    expect(typed.message).to.equal('Plugin "test.declaring" has an invalid gateway configuration: cannot parse key [redacted]');
    const plain = thrownBy(() => manager.updatePluginConfiguration('test.declaring', 'web', { configuration: { mode: 'plain', api_key: 'sk_live_PUTCANARY_gc-throw' } }));
    expect(plain.code).to.equal('plugin_failed');
    expect(`${typed.message}${plain.message}${log.text()}`).not.to.contain('PUTCANARY');
    expect(manager.configVersion).to.equal(1);
    expect(manager.getPluginConfiguration('test.declaring', 'web').configuration['mode']).to.equal('ok');
    await manager.close();
  });
});

describe('manager: what gatewayConfig() returns is checked', () => {
  it('refuses a half-filled GatewayConfig, naming every missing field, as invalid_configuration', () => {
    const err = thrownBy(() => build('half'));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.details).to.deep.equal({ plugin: 'test.declaring', channel: 'web' });
    expect(err.message).to.equal(
      'Plugin "test.declaring" has an invalid gateway configuration: gatewayName must be a non-empty string, not undefined; autoCapture must be a boolean, not undefined; ' +
        'storeCustomer must be a boolean, not undefined; require3dSecure must be a boolean, not undefined; connectionParams must be an object, not undefined ' +
        "(core's gatewayConfigFromValues fills every field)",
    );
  });

  it('refuses flags that are not booleans, showing a wrong text value by its kind only (it may be a key, of any length)', () => {
    const err = thrownBy(() => build('flags'));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.message).to.include('autoCapture must be a boolean, not a string of 3 characters').and.to.include('supportsMultipleCaptures must be a boolean when given, not 1');
    expect(err.message).to.include(`connectionParams must be an object, not a string of ${KEY.length} characters`).and.not.to.include(KEY.slice(0, 12));
  });

  it('refuses supportedCurrencies that repeat a code, as invalid_configuration: the listing would show it twice', async () => {
    const err = thrownBy(() => build('repeat'));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.details).to.deep.equal({ plugin: 'test.declaring', channel: 'web' });
    expect(err.message).to.equal(
      'Plugin "test.declaring" declares "USD" twice in supportedCurrencies: list each currency once (core\'s parseCurrencyList and gatewayConfigFromValues do)',
    );
    // Through the admin API's PUT too, the configuration in use kept.
    const manager = build('ok');
    expect(thrownBy(() => manager.updatePluginConfiguration('test.declaring', 'web', { configuration: { mode: 'repeat' } })).message).to.include('declares "USD" twice');
    expect(manager.configVersion).to.equal(1);
    expect(await manager.listPaymentGateways({ channel: 'web', currency: 'USD' })).to.deep.equal([{ id: 'test.declaring', name: 'test.declaring', currencies: ['USD'], config: [] }]);
    await manager.close();
  });

  it('takes undefined as null (no gateway declared), and a full GatewayConfig as it is', async () => {
    const log = captureLogger();
    const none = build('undefined', log.logger);
    expect(none.channel('web').gateways.size).to.equal(0);
    expect(log.lines.some((line) => line['level'] === 40 && String(line['msg']).includes('gatewayConfig() returns null'))).to.equal(true);
    const fine = build('ok');
    expect(fine.resolveGateway('web', 'USD').config).to.include({ gatewayName: 'Declaring', autoCapture: false, storeCustomer: false, require3dSecure: false });
    await Promise.all([none.close(), fine.close()]);
  });
});
