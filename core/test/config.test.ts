import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginManager, silentLogger, type HostConfigInput, type PluginClass } from '@payhost/core';
import { GatewayA, GlobalTagger, payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

function expectCode(fn: () => unknown, code: string, messagePart?: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.have.property('code', code);
    if (messagePart) expect((err as Error).message).to.include(messagePart);
    return;
  }
  expect.fail(`expected a ${code} error`);
}

const plugins: PluginClass[] = [GatewayA, GlobalTagger];
const withGateway = (settings: Record<string, unknown>): HostConfigInput => ({
  channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.gateway-a': settings } }],
});

describe('configuration', () => {
  it('drops unknown fields with a warning, back-fills defaults and coerces booleans', () => {
    const log = captureLogger();
    const manager = new PluginManager({
      plugins,
      config: withGateway({ active: 'true', configuration: { auto_capture: 'false', bogus: 1 } }),
      logger: log.logger,
    });
    const stored = manager.config.channels[0]?.plugins['test.gateway-a'];
    expect(stored?.active).to.equal(true);
    expect(stored?.configuration).to.deep.equal({
      supported_currencies: 'USD',
      auto_capture: false,
      api_key: 'pk_a',
      secret_key: null,
      password: null,
      webhook_url: 'https://example.invalid/hook',
    });
    expect(log.lines.some((l) => String(l['msg']).includes('Unknown configuration field "bogus"'))).to.equal(true);
  });

  it('treats Output fields as read-only', () => {
    const log = captureLogger();
    const manager = new PluginManager({ plugins, config: withGateway({ configuration: { webhook_url: 'https://evil.invalid' } }), logger: log.logger });
    expect(manager.config.channels[0]?.plugins['test.gateway-a']?.configuration['webhook_url']).to.equal('https://example.invalid/hook');
    expect(log.lines.some((l) => String(l['msg']).includes('read-only'))).to.equal(true);
  });

  it('rejects wrong value types, non-boolean active flags and malformed documents', () => {
    expectCode(() => new PluginManager({ plugins, config: withGateway({ configuration: { auto_capture: 'maybe' } }) }), 'invalid_configuration', 'auto_capture');
    expectCode(() => new PluginManager({ plugins, config: withGateway({ configuration: { api_key: 42 } }) }), 'invalid_configuration', 'api_key');
    expectCode(() => new PluginManager({ plugins, config: withGateway({ active: 'yesno' }) }), 'invalid_configuration', 'active');
    expectCode(() => new PluginManager({ plugins, config: { channels: 'x' } as never }), 'invalid_configuration', 'channels');
    expectCode(() => new PluginManager({ plugins, config: { channels: [{ slug: 'bad slug!', currencies: ['USD'] }] } }), 'invalid_configuration', 'slug');
    expectCode(() => new PluginManager({ plugins, config: { channels: [{ slug: 'a', currencies: ['USD'] }, { slug: 'a', currencies: ['EUR'] }] } }), 'invalid_configuration', 'twice');
  });

  it('rejects a misspelt key in a channel, in plugin settings or at the top level, naming it (nothing is silently dropped)', () => {
    const channel = { slug: 'us', currencies: ['USD'] };
    for (const [config, path, key] of [
      [{ channels: [{ ...channel, plugin: { 'test.gateway-a': { active: true } } }] }, 'channels.0', 'plugin'],
      [{ channels: [{ ...channel, defaultGateway: { USD: 'test.gateway-a' } }] }, 'channels.0', 'defaultGateway'],
      [withGateway({ activ: true }), 'channels.0.plugins.test.gateway-a', 'activ'],
      [withGateway({ active: true, config: { auto_capture: true } }), 'channels.0.plugins.test.gateway-a', 'config'],
      [{ channels: [], globalPlugins: { 'test.global-tagger': { actve: true } } }, 'globalPlugins.test.global-tagger', 'actve'],
      [{ channels: [channel], globalPlugin: { 'test.global-tagger': { active: true } } }, '', 'globalPlugin'],
    ] as const) {
      try {
        // A JavaScript caller's misspelt key: TypeScript refuses it (see the next test), the manager too.
        new PluginManager({ plugins, config: config as unknown as HostConfigInput });
        expect.fail(`expected "${key}" to be refused`);
      } catch (err) {
        expect(err).to.have.property('code', 'invalid_configuration');
        expect((err as Error).message).to.include(`unknown key "${key}"`);
        expect((err as { details?: unknown }).details).to.deep.equal({ path, key });
      }
    }
  });

  it('new PluginManager() checks plugin classes as PluginManager.create does: a lower-case field type, a string default for a Boolean', () => {
    class LowerCaseType extends GatewayA {
      static override id = 'test.lower-case';
      static override configStructure = { ...GatewayA.configStructure, auto_capture: { type: 'boolean', label: 'Auto capture' } } as never;
    }
    class StringDefault extends GatewayA {
      static override id = 'test.string-default';
      static override defaultConfiguration = { ...GatewayA.defaultConfiguration, auto_capture: 'true' } as never;
    }
    const config = { channels: [{ slug: 'us', currencies: ['USD'], plugins: {} }] };
    expectCode(() => new PluginManager({ plugins: [LowerCaseType], config, logger: silentLogger() }), 'plugin_load_failed', 'did you mean "Boolean"?');
    expectCode(() => new PluginManager({ plugins: [StringDefault], config, logger: silentLogger() }), 'plugin_load_failed', 'auto_capture');
  });

  it('a plugin configured but not registered: names the registered ids, or says package names need PluginManager.create', () => {
    const config = { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.gateway-b': { active: true } } }] };
    expectCode(() => new PluginManager({ plugins, config }), 'invalid_configuration', 'Invalid configuration at "channels.0.plugins.test.gateway-b" (channel "us"): plugin "test.gateway-b" is configured but not registered (registered plugin ids: test.gateway-a, test.global-tagger)');
    // A package name given to the synchronous constructor, as to PluginManager.create.
    const byName = { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true } } }] };
    expectCode(
      () => new PluginManager({ plugins: ['@payhost/plugin-dummy'] as never, config: byName }),
      'invalid_configuration',
      'the plugins list holds package names ("@payhost/plugin-dummy"), which only PluginManager.create loads; new PluginManager() takes plugin classes',
    );
    // A configuration file's path given to the constructor (its type takes an object: this is a JavaScript caller).
    // @ts-expect-error the constructor's config is a HostConfigInput; only PluginManager.create reads a path
    expectCode(() => new PluginManager({ plugins, config: 'payhost.config.json' }), 'invalid_configuration', 'got the string "payhost.config.json"; a configuration file\'s path is read by PluginManager.create');
  });

  it("accepts an editor's $schema hint at the top level", () => {
    const manager = new PluginManager({ plugins, config: { $schema: './payhost.schema.json', ...withGateway({ active: true }) } });
    expect(manager.listChannels()).to.deep.equal(['us']);
  });

  it('rejects a per-channel plugin configured globally, and a global plugin configured in a channel', () => {
    expectCode(
      () => new PluginManager({ plugins, config: { channels: [], globalPlugins: { 'test.gateway-a': { active: true } } } }),
      'invalid_configuration',
      'per channel',
    );
    expectCode(
      () => new PluginManager({ plugins, config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { 'test.global-tagger': { active: true } } }] } }),
      'invalid_configuration',
      'global',
    );
    // Asked for at the other scope, a configured plugin is not there: unknown_plugin (set-plugin-settings.test.ts has its details).
    expectCode(() => new PluginManager({ plugins, config: withGateway({}) }).updatePluginConfiguration('test.gateway-a', null, {}), 'unknown_plugin', 'is configured per channel');
  });

  it('validates currency codes against ISO 4217 at load time', () => {
    expectCode(() => new PluginManager({ plugins, config: { channels: [{ slug: 'us', currencies: ['USDD'] }] } }), 'invalid_configuration', 'USDD');
    expectCode(
      () => new PluginManager({ plugins, config: withGateway({ active: true, configuration: { supported_currencies: 'USD, EURO' } }) }),
      'invalid_configuration',
      'EURO',
    );
    expectCode(
      () => new PluginManager({ plugins, config: { channels: [{ slug: 'us', currencies: ['USD'], defaultGateways: { EUR: 'test.gateway-a' } }] } }),
      'invalid_configuration',
      'EUR',
    );
    expectCode(
      () => new PluginManager({ plugins, config: { channels: [{ slug: 'us', currencies: ['USD'], defaultGateways: { USD: 'test.global-tagger' } }] } }),
      'invalid_configuration',
      'not a payment gateway',
    );
    expectCode(() => new PluginManager({ plugins, config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { nope: {} } }] } }), 'invalid_configuration', 'nope');
  });

  it('resolves ${ENV} references for plugins and fails clearly on an unset variable', async () => {
    const env = { GATEWAY_SECRET: 'sk_live_from_env_1234' };
    const manager = new PluginManager({ plugins, env, config: withGateway({ active: true, configuration: { secret_key: '${GATEWAY_SECRET}' } }) });
    const gateway = manager.resolveGateway('us', 'USD');
    expect(gateway.instance.configuration['secret_key']).to.equal('sk_live_from_env_1234');
    const fallback = new PluginManager({ plugins, env: {}, config: withGateway({ active: true, configuration: { secret_key: '${GATEWAY_SECRET:-sk_dev_fallback}' } }) });
    expect(fallback.resolveGateway('us', 'USD').instance.configuration['secret_key']).to.equal('sk_dev_fallback');
    expectCode(
      () => new PluginManager({ plugins, env: {}, config: withGateway({ active: true, configuration: { secret_key: '${GATEWAY_SECRET}' } }) }),
      'invalid_configuration',
      'GATEWAY_SECRET',
    );
  });

  it('loads configuration from a JSON file, with clear errors for a missing or broken file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'payhost-config-'));
    try {
      const file = join(dir, 'payhost.json');
      await writeFile(file, JSON.stringify(withGateway({ active: true })));
      const manager = await PluginManager.create({ plugins, config: file });
      expect(manager.listChannels()).to.deep.equal(['us']);
      await writeFile(join(dir, 'broken.json'), '{ not json');
      for (const path of [join(dir, 'broken.json'), join(dir, 'missing.json')]) {
        try {
          await PluginManager.create({ plugins, config: path });
          expect.fail('expected an error');
        } catch (err) {
          expect(err).to.have.property('code', 'invalid_configuration');
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('configuration: masking and live updates', () => {
  const secret = 'sk_test_0123456789abcdef';
  const make = () =>
    new PluginManager({
      plugins,
      config: withGateway({ active: true, configuration: { secret_key: secret, password: 'hunter2-password' } }),
      // Writing a masked view back sends the read-only Output field too: its warning is tested above.
      logger: silentLogger(),
    });

  it('masks every read: Password empty, Secret reduced to its last 4 characters', () => {
    const view = make().getPluginConfiguration('test.gateway-a', 'us');
    expect(view.configuration['secret_key']).to.equal('****cdef');
    expect(view.configuration['password']).to.equal('');
    expect(view.configuration['api_key']).to.equal('pk_a');
    expect(JSON.stringify(view)).not.to.include(secret);
    expect(JSON.stringify(view)).not.to.include('hunter2');
  });

  it('keeps the stored secret when the masked value is written back unchanged', () => {
    const manager = make();
    const masked = manager.getPluginConfiguration('test.gateway-a', 'us').configuration;
    manager.updatePluginConfiguration('test.gateway-a', 'us', { configuration: { ...masked, api_key: 'pk_new' } });
    const instance = manager.resolveGateway('us', 'USD').instance;
    expect(instance.configuration['secret_key']).to.equal(secret);
    expect(instance.configuration['password']).to.equal('hunter2-password');
    expect(instance.configuration['api_key']).to.equal('pk_new');
  });

  it('shows a bare ${ENV} reference as is (it names a variable, it holds no secret), but masks a fallback value', () => {
    const manager = new PluginManager({
      plugins,
      env: { GATEWAY_SECRET: 'sk_live_from_env_1234' },
      config: withGateway({ active: true, configuration: { secret_key: '${GATEWAY_SECRET}', password: '${PW:-hunter2-fallback}' } }),
      logger: silentLogger(),
    });
    const view = manager.getPluginConfiguration('test.gateway-a', 'us');
    expect(view.configuration['secret_key']).to.equal('${GATEWAY_SECRET}');
    expect(view.configuration['password']).to.equal('');
    manager.updatePluginConfiguration('test.gateway-a', 'us', { configuration: view.configuration });
    expect(manager.resolveGateway('us', 'USD').instance.configuration['secret_key']).to.equal('sk_live_from_env_1234');
    expect(manager.resolveGateway('us', 'USD').instance.configuration['password']).to.equal('hunter2-fallback');
  });

  it('replaces the secret when a new value is written', () => {
    const manager = make();
    manager.updatePluginConfiguration('test.gateway-a', 'us', { configuration: { secret_key: 'sk_test_new_secret_value' } });
    expect(manager.resolveGateway('us', 'USD').instance.configuration['secret_key']).to.equal('sk_test_new_secret_value');
  });

  it('swaps the configuration atomically: a new version serves the next call, a bad update changes nothing', async () => {
    const manager = make();
    const version = manager.configVersion;
    expect((await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).map((g) => g.id)).to.deep.equal(['test.gateway-a']);
    manager.updatePluginConfiguration('test.gateway-a', 'us', { active: false });
    expect(manager.configVersion).to.equal(version + 1);
    expect(await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).to.deep.equal([]);
    try {
      manager.updatePluginConfiguration('test.gateway-a', 'us', { active: true, configuration: { supported_currencies: 'NOPE' } });
      expect.fail('expected an error');
    } catch (err) {
      expect(err).to.have.property('code', 'invalid_configuration');
    }
    expect(manager.configVersion).to.equal(version + 1);
    expect(manager.getPluginConfiguration('test.gateway-a', 'us').active).to.equal(false);
    manager.updatePluginConfiguration('test.gateway-a', 'us', { active: true });
    expect((await manager.processPayment({ channel: 'us', payment: payment() })).isSuccess).to.equal(true);
  });

  it('rejects updates of unknown plugins and channels with typed errors', () => {
    const manager = make();
    expectCode(() => manager.updatePluginConfiguration('nope', 'us', {}), 'unknown_plugin');
    expectCode(() => manager.updatePluginConfiguration('test.gateway-a', 'mars', {}), 'unknown_channel');
  });
});

describe('configuration: small mistakes are refused or tidied, not passed on', () => {
  it('lists and routes a gateway once for a currency declared twice ("USD, EUR, usd")', async () => {
    const manager = new PluginManager({
      plugins,
      config: { channels: [{ slug: 'us', currencies: ['USD', 'EUR'], plugins: { 'test.gateway-a': { active: true, configuration: { supported_currencies: 'USD, EUR, usd' } } } }] },
    });
    const usd = await manager.listPaymentGateways({ channel: 'us', currency: 'USD' });
    expect(usd.map((g) => [g.id, g.currencies])).to.deep.equal([['test.gateway-a', ['USD', 'EUR']]]);
    expect(manager.channel('us').gatewaysByCurrency.get('USD')?.map((g) => g.id)).to.deep.equal(['test.gateway-a']);
  });

  it('refuses a gatewayConfig() without a supportedCurrencies list as invalid_configuration, not a TypeError', () => {
    class NoCurrencies extends GatewayA {
      static override id = 'test.no-currencies';
      override gatewayConfig() {
        return { gatewayName: 'x' } as unknown as ReturnType<GatewayA['gatewayConfig']>;
      }
    }
    expectCode(() => new PluginManager({ plugins: [NoCurrencies], config: { channels: [{ slug: 'us', currencies: ['USD'] }] } }), 'invalid_configuration', 'supportedCurrencies');
  });

  it('refuses a malformed ${...} reference instead of handing the literal text to the plugin', () => {
    const env = { KEY: 'sk_live_from_env_1234', OTHER: 'other' };
    for (const value of ['${KEY-fallback}', '${ KEY }', '${my-key}', '${KEY:=x}', '${KEY:-${OTHER}}', 'prefix-${KEY', '${KEY}${']) {
      expectCode(
        () => new PluginManager({ plugins, env, config: withGateway({ active: true, configuration: { secret_key: value } }) }),
        'invalid_configuration',
        'malformed environment reference',
      );
    }
    // Still fine: plain references, a fallback, several in one value, and a lone "$" (no brace) taken literally.
    for (const [value, resolved] of [
      ['${KEY}', 'sk_live_from_env_1234'],
      ['${UNSET:-fb}', 'fb'],
      ['${KEY}/${OTHER}', 'sk_live_from_env_1234/other'],
      ['pa$$word', 'pa$$word'],
    ] as const) {
      const manager = new PluginManager({ plugins, env, config: withGateway({ active: true, configuration: { secret_key: value } }) });
      expect(manager.resolveGateway('us', 'USD').instance.configuration['secret_key']).to.equal(resolved);
    }
  });

  it('refuses an update whose configuration is not an object, changing nothing', () => {
    const manager = new PluginManager({ plugins, config: withGateway({ active: true }) });
    for (const configuration of ['oops', 42, ['USD'], null]) {
      expectCode(() => manager.updatePluginConfiguration('test.gateway-a', 'us', { configuration } as never), 'invalid_configuration', 'must be an object');
    }
    expectCode(() => manager.updatePluginConfiguration('test.gateway-a', 'us', 'oops' as never), 'invalid_configuration', 'must be an object');
    expect(manager.configVersion).to.equal(1);
  });

  it('warns that an Output field is read-only only when the caller sent it', () => {
    const log = captureLogger();
    const manager = new PluginManager({ plugins, logger: log.logger, config: withGateway({ active: true }) });
    const readOnly = () => log.lines.filter((l) => String(l['msg']).includes('read-only'));
    manager.updatePluginConfiguration('test.gateway-a', 'us', { active: true, configuration: { api_key: 'pk_new' } });
    expect(readOnly()).to.deep.equal([]);
    manager.updatePluginConfiguration('test.gateway-a', 'us', { configuration: { webhook_url: 'https://evil.invalid' } });
    expect(readOnly()).to.have.length(1);
    expect(manager.getPluginConfiguration('test.gateway-a', 'us').configuration['webhook_url']).to.equal('https://example.invalid/hook');
  });
});
