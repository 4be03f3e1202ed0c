import { expect } from 'chai';
import { BasePlugin, PayhostError, PluginManager, type HostConfigInput, type PluginInit } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';
import { refusal } from './support/refusal.js';

// A plugin refusing its own configuration names where its settings are written (channels.<i>.plugins.<id>,
// globalPlugins.<id>) and the channel: with the same plugin in two channels, the message alone says which.
// And a logged refusal quotes the plugin's text once (pino appends an error's cause to its message).

const REFUSAL = 'Picky configuration: timeout_ms must be from 1 to 300000, got "400000"';

const fields = { timeout_ms: { type: 'String' as const, label: 'Timeout (ms)' } };

function check(configuration: Readonly<Record<string, unknown>>): void {
  const value = Number(configuration['timeout_ms'] ?? 1000);
  if (value > 300000) throw new PayhostError('invalid_configuration', REFUSAL, { problems: ['timeout_ms'] });
}

class Picky extends BasePlugin {
  static override id = 'test.picky';
  static override configStructure = fields;
  constructor(init: PluginInit) {
    super(init);
    check(this.configuration);
  }
}

class PickyAudit extends BasePlugin {
  static override id = 'test.picky-audit';
  static override configurationPerChannel = false;
  static override configStructure = fields;
  constructor(init: PluginInit) {
    super(init);
    check(this.configuration);
  }
}

const twoChannels = (inTimeout: string): HostConfigInput => ({
  channels: [
    { slug: 'us', currencies: ['USD'], plugins: { 'test.picky': { configuration: { timeout_ms: '20000' } } } },
    { slug: 'in', currencies: ['INR'], plugins: { 'test.picky': { configuration: { timeout_ms: inTimeout } } } },
  ],
});

const manager = (config: HostConfigInput, logger = captureLogger().logger) => new PluginManager({ plugins: [Picky, PickyAudit], config, logger });

describe('manager: a plugin refusing its configuration names where it is written', () => {
  it('the same plugin in two channels, the second refused: channels.1 and its channel, details.path', () => {
    const err = refusal(() => manager(twoChannels('400000')));
    expect(err.code).to.equal('invalid_configuration');
    expect(err.message).to.equal(`Invalid configuration at "channels.1.plugins.test.picky" (channel "in"): plugin "test.picky" rejected its configuration: ${REFUSAL}`);
    expect(err.details).to.deep.equal({ plugin: 'test.picky', channel: 'in', path: 'channels.1.plugins.test.picky' });
  });

  it('a global plugin: globalPlugins.<id>, no channel', () => {
    const err = refusal(() => manager({ channels: [], globalPlugins: { 'test.picky-audit': { configuration: { timeout_ms: '400000' } } } }));
    expect(err.message).to.equal(`Invalid configuration at "globalPlugins.test.picky-audit": plugin "test.picky-audit" rejected its configuration: ${REFUSAL}`);
    expect(err.details).to.deep.equal({ plugin: 'test.picky-audit', channel: null, path: 'globalPlugins.test.picky-audit' });
  });

  it('a refused change, logged as the settings sync logs it: the plugin text once, the plugin frames kept in the stack', () => {
    const log = captureLogger();
    const running = manager(twoChannels('20000'), log.logger);
    const err = refusal(() => running.setPluginSettings('test.picky', 'in', { active: true, configuration: { timeout_ms: '400000' } }));
    expect(err.message).to.match(/^Invalid configuration at "channels\.1\.plugins\.test\.picky" \(channel "in"\): plugin "test\.picky" rejected/);
    log.logger.error({ plugin: 'test.picky', channel: 'in', err }, 'a saved plugin configuration change cannot be applied');
    const logged = log.lines.at(-1)?.['err'] as { message: string; stack: string };
    expect(logged.message).to.equal(err.message);
    expect(logged.message.split('got "400000"')).to.have.length(2);
    // Where the plugin refused (this file's check()), not only where core wrapped it.
    expect(logged.stack).to.match(/\bat check \(.*plugin-refusal-place\.test\.ts/);
  });
});
