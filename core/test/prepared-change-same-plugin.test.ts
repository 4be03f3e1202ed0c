import { expect } from 'chai';
import { BasePlugin, PayhostError, PluginManager, gatewayConfigFromValues, type GatewayConfig, type GatewayResponse, type PaymentData, type PluginInit } from '@payhost/core';
import { okResponse, payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

// A prepared change committed after another change of the SAME plugin and scope would put back the settings
// it was merged over, undoing that change silently: commit refuses with configuration_changed instead.

let made: string[] = [];
let closed: string[] = [];
const label = (p: BasePlugin) => `${p.id}@${p.channel ?? 'global'}#${String(p.configuration['generation'])}/${String(p.configuration['note'])}`;

class Noted extends BasePlugin {
  static override id = 'test.noted';
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    generation: { type: 'String' as const, label: 'Generation' },
    note: { type: 'String' as const, label: 'Note' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', generation: '1', note: 'none' };
  constructor(init: PluginInit) {
    super(init);
    made.push(label(this));
  }
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async processPayment(data: PaymentData): Promise<GatewayResponse> {
    return okResponse(data, label(this));
  }
  override close(): void {
    closed.push(label(this));
  }
}

function build(): PluginManager {
  return new PluginManager({
    plugins: [Noted],
    config: {
      channels: [
        { slug: 'us', currencies: ['USD'], plugins: { 'test.noted': { active: true } } },
        { slug: 'uk', currencies: ['USD'], plugins: { 'test.noted': { active: true } } },
      ],
    },
    logger: captureLogger().logger,
  });
}

const served = async (manager: PluginManager, channel = 'us') => (await manager.processPayment({ channel, payment: payment() })).transactionId;

describe('PluginManager: a prepared change after a change of the same plugin and scope', () => {
  beforeEach(() => {
    made = [];
    closed = [];
  });

  it('commit throws configuration_changed and keeps the change made in between', async () => {
    const manager = build();
    const change = manager.preparePluginConfiguration('test.noted', 'us', { configuration: { generation: '2' } });
    manager.updatePluginConfiguration('test.noted', 'us', { configuration: { note: 'kept' } });
    const version = manager.configVersion;
    let thrown: unknown;
    try {
      change.commit();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(PayhostError);
    expect(thrown).to.have.property('code', 'configuration_changed');
    expect((thrown as PayhostError).details).to.deep.include({ plugin: 'test.noted', channel: 'us' });
    expect(manager.configVersion, 'nothing changed').to.equal(version);
    expect(await served(manager)).to.equal('test.noted@us#1/kept');
    // The change is used up, as one refused at commit is; what it built is closed.
    expect(() => change.commit()).to.throw(PayhostError).with.property('code', 'invalid_input');
    await manager.close();
    expect(closed.sort()).to.deep.equal(made.sort());
  });

  it('a global plugin: the same', () => {
    class GlobalNoted extends Noted {
      static override id = 'test.global-noted';
      static override configurationPerChannel = false;
    }
    const manager = new PluginManager({ plugins: [GlobalNoted], config: { channels: [{ slug: 'us', currencies: ['USD'] }] }, logger: captureLogger().logger });
    const change = manager.preparePluginSettings('test.global-noted', null, { active: true, configuration: { generation: '2' } });
    manager.setPluginSettings('test.global-noted', null, { active: false });
    expect(() => change.commit()).to.throw(PayhostError).with.property('code', 'configuration_changed');
    expect(manager.config.globalPlugins['test.global-noted']?.active).to.equal(false);
    return manager.close();
  });

  it('a change of the same plugin in another channel, or one leaving its settings as they were, is built on', async () => {
    const manager = build();
    const change = manager.preparePluginConfiguration('test.noted', 'us', { configuration: { generation: '2' } });
    manager.updatePluginConfiguration('test.noted', 'uk', { configuration: { note: 'uk' } });
    manager.setPluginSettings('test.noted', 'us', manager.config.channels[0]!.plugins['test.noted']!);
    change.commit();
    expect(await served(manager)).to.equal('test.noted@us#2/none');
    expect(await served(manager, 'uk')).to.equal('test.noted@uk#1/uk');
    await manager.close();
  });
});
