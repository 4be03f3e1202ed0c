// Configuration: field types, ${ENV} references with fallbacks, masking, the masked round trip, scope errors.
import { BasePlugin, PluginManager, createLogger, isPayhostError, type ChannelInput, type ConfigStructure, type PublicConfig } from '@payhost/core';

class ExampleGateway extends BasePlugin {
  static override id = 'example.gateway';
  static override configStructure: ConfigStructure = {
    merchant: { type: 'String', label: 'Merchant name' },
    terms: { type: 'Multiline', label: 'Terms shown at checkout' },
    sandbox: { type: 'Boolean', label: 'Sandbox mode' },
    api_key: { type: 'Secret', label: 'API key' },
    signing_key: { type: 'SecretMultiline', label: 'Signing key (PEM)' },
    password: { type: 'Password', label: 'Account password' },
    webhook_url: { type: 'Output', label: 'Webhook URL' },
  };
  static override defaultConfiguration = { merchant: 'Acme', sandbox: true, webhook_url: 'https://shop.example/plugins/example' };

  /**
   * What the plugin itself receives: resolved values, booleans as booleans. A Secret or Password value
   * in its answer comes out as [redacted] (the manager scrubs every answer): the password is the fallback.
   */
  async getPaymentConfig(_input: ChannelInput, previousValue: PublicConfig): Promise<PublicConfig> {
    const { sandbox, api_key, password } = this.configuration;
    const seen = `sandbox=${String(sandbox)} api_key=…${String(api_key).slice(-4)} password=${String(password)} (the fallback: ${String(password === 'fallback-password')})`;
    return [...previousValue, { field: 'seen by the plugin', value: seen }];
  }
}

// Warnings (dropped or read-only fields) go to the logger.
const warnings: string[] = [];
const logger = createLogger({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });

const manager = new PluginManager({
  plugins: [ExampleGateway],
  logger,
  env: { EXAMPLE_API_KEY: 'sk_live_51HxAbCdEfGh9876', EXAMPLE_PASSWORD: '' },
  config: {
    channels: [
      {
        slug: 'web',
        currencies: ['USD'],
        plugins: {
          'example.gateway': {
            active: 'true',
            configuration: {
              sandbox: 'false',
              api_key: '${EXAMPLE_API_KEY}',
              password: '${EXAMPLE_PASSWORD:-fallback-password}',
              signing_key: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIMUz\n-----END PRIVATE KEY-----',
              webhook_url: 'https://somewhere.else/',
              colour: 'blue',
            },
          },
        },
      },
    ],
  },
});
console.log('warnings:', warnings);

const seen = async () => (await manager.runHook('web', 'getPaymentConfig', { channel: 'web' }, []))[0]?.value;
console.log(await seen());

// Every read for display is masked.
const view = manager.getPluginConfiguration('example.gateway', 'web');
console.log(view.active, view.configuration);

// Sending the masked values back (an admin form saving every field) keeps the stored secrets.
const saved = manager.updatePluginConfiguration('example.gateway', 'web', { configuration: { ...view.configuration, merchant: 'Acme Inc.' } });
console.log(saved.configuration['merchant'], saved.configuration['signing_key'], await seen(), `version ${manager.configVersion}`);

// Scope and environment mistakes are configuration errors, raised before anything runs.
for (const config of [
  { channels: [], globalPlugins: { 'example.gateway': { active: true } } },
  { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'example.gateway': { configuration: { api_key: '${MISSING_KEY}' } } } }] },
]) {
  try {
    new PluginManager({ plugins: [ExampleGateway], config, env: {} });
  } catch (err) {
    if (!isPayhostError(err)) throw err;
    console.log(err.code, err.message);
  }
}
await manager.close();
