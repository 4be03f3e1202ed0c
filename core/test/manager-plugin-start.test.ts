import { expect } from 'chai';
import { BasePlugin, PayhostError, PluginManager, isPayhostError, type PluginInit } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';

const SECRET = 'sk_test_start_0123456789';

/** A plugin whose constructor throws what its `mode` setting names, echoing its secret key. */
class Starter extends BasePlugin {
  static override id = 'test.starter';
  static override configStructure = {
    mode: { type: 'String' as const, label: 'Mode' },
    secret_key: { type: 'Secret' as const, label: 'Secret key' },
  };
  static override defaultConfiguration = { mode: 'ok', secret_key: SECRET };

  constructor(init: PluginInit) {
    super(init);
    const key = String(this.configuration['secret_key']);
    switch (this.configuration['mode']) {
      case 'typed':
        throw new PayhostError('invalid_configuration', 'secret_key is a test key on a live channel');
      case 'plain':
        throw new Error('secret_key is malformed');
      case 'typed-echo':
        // Refusing its settings on purpose, but quoting the key as a key parser would ("cannot parse key sk_...").
        throw new PayhostError('invalid_configuration', `cannot parse key ${key}`);
      case 'plain-echo':
        throw new Error(`cannot parse key ${key}`);
      case 'bug':
        // A bug: reads a property of something the plugin assumed was there.
        (undefined as unknown as { split(s: string): string[] }).split(key);
        break;
      case 'echo':
        // A bug whose message holds the key: "Cannot convert sk_test_... to a BigInt".
        BigInt(key);
        break;
      case 'string':
        throw `no ${key}`;
    }
  }
}

function build(mode: string, logger = captureLogger().logger): PluginManager {
  return new PluginManager({ plugins: [Starter], config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.starter': { active: true, configuration: { mode } } } }] }, logger });
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

describe('manager: a plugin constructor that throws', () => {
  for (const [mode, what] of [
    ['typed', 'a PayhostError (invalid_configuration)'],
    ['plain', 'a plain Error'],
  ] as const) {
    it(`rejects its configuration with ${what}: invalid_configuration, with the plugin's message, and nothing logged as a failure`, () => {
      const log = captureLogger();
      const err = thrownBy(() => build(mode, log.logger));
      expect(err.code).to.equal('invalid_configuration');
      expect(err.message).to.match(/^Invalid configuration at "channels\.0\.plugins\.test\.starter" \(channel "web"\): plugin "test\.starter" rejected its configuration: secret_key is (a test key on a live channel|malformed)$/);
      expect(err.details).to.deep.equal({ plugin: 'test.starter', channel: 'web', path: 'channels.0.plugins.test.starter' });
      expect(log.lines.filter((line) => line['code'] === 'plugin_failed')).to.deep.equal([]);
    });
  }

  for (const mode of ['typed-echo', 'plain-echo']) {
    it(`rejecting its configuration with its secret in the message (${mode}): the message reaching the host has it scrubbed`, () => {
      const err = thrownBy(() => build(mode));
      expect(err.code).to.equal('invalid_configuration');
      expect(err.message).to.equal('Invalid configuration at "channels.0.plugins.test.starter" (channel "web"): plugin "test.starter" rejected its configuration: cannot parse key [redacted]');
      expect(String(err.stack)).to.not.include(SECRET);
    });
  }

  it('a placeholder secret that is part of a field name ("secret") is not scrubbed from the message: it would garble the field name', () => {
    const err = thrownBy(
      () => new PluginManager({ plugins: [Starter], config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.starter': { active: true, configuration: { mode: 'plain', secret_key: 'secret' } } } }] }, logger: captureLogger().logger }),
    );
    expect(err.message).to.equal('Invalid configuration at "channels.0.plugins.test.starter" (channel "web"): plugin "test.starter" rejected its configuration: secret_key is malformed');
  });

  for (const [mode, thrown] of [
    ['bug', 'a TypeError'],
    ['echo', 'a SyntaxError'],
    ['string', 'a non-Error value (string)'],
  ] as const) {
    it(`crashing with ${thrown} is plugin_failed, not a rejected configuration, and is logged without secrets`, () => {
      const log = captureLogger();
      const err = thrownBy(() => build(mode, log.logger));
      expect(err.code).to.equal('plugin_failed');
      expect(err.message).to.equal(`Plugin "test.starter" failed to start in channel "web": its constructor threw ${thrown}, a bug in the plugin rather than a rejected configuration`);
      expect(err.details).to.deep.equal({ plugin: 'test.starter', channel: 'web', reason: 'threw' });
      const logged = log.lines.filter((line) => line['code'] === 'plugin_failed');
      expect(logged).to.have.length(1);
      expect(logged[0]).to.include({ level: 50, plugin: 'test.starter', channel: 'web', hook: 'constructor', reason: 'threw', msg: err.message });
      if (mode !== 'string') expect((logged[0]?.['err'] as { type?: string }).type).to.equal(thrown.slice(2));
      if (mode === 'echo') expect((logged[0]?.['err'] as { message?: string }).message).to.equal('Cannot convert [redacted] to a BigInt');
      expect(log.text()).not.to.contain(SECRET);
      expect(String((err.cause as Error | undefined)?.stack)).not.to.contain(SECRET);
    });
  }

  it('crashing on a configuration update is plugin_failed, and the configuration in use is kept', async () => {
    const manager = build('ok');
    const err = thrownBy(() => manager.updatePluginConfiguration('test.starter', 'web', { configuration: { mode: 'bug' } }));
    expect(err.code).to.equal('plugin_failed');
    expect(manager.configVersion).to.equal(1);
    expect(manager.getPluginConfiguration('test.starter', 'web').configuration['mode']).to.equal('ok');
    await manager.close();
  });
});
