import { expect } from 'chai';
import { BasePlugin, PayhostError, PluginManager, gatewayConfigFromValues, type ChannelInput, type GatewayConfig, type GatewayResponse, type PaymentData, type PluginInit } from '@payhost/core';
import { okResponse, payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

// preparePluginConfiguration / preparePluginSettings: a change built and checked, in force only once committed
// (what a host that saves changes does between: the reference server saves it in its database).

/** Every instance made and closed, as "<id>@<channel>#<generation>" (then "/<note>" for a plugin with a note). */
let made: string[] = [];
let closed: string[] = [];

function label(plugin: BasePlugin): string {
  const note = plugin.configuration['note'];
  return `${plugin.id}@${plugin.channel ?? 'global'}#${String(plugin.configuration['generation'])}${note === undefined ? '' : `/${String(note)}`}`;
}

/** A per-channel gateway; its constructor refuses `refuse: true`, as a plugin refuses bad settings. */
class Counted extends BasePlugin {
  static override id = 'test.counted';
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    generation: { type: 'String' as const, label: 'Generation' },
    refuse: { type: 'Boolean' as const, label: 'Refuse the configuration' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', generation: '1', refuse: false };

  constructor(init: PluginInit) {
    super(init);
    if (this.configuration['refuse'] === true) throw new PayhostError('invalid_configuration', 'refused');
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

/** A second per-channel gateway, taking EUR. */
class Other extends Counted {
  static override id = 'test.other';
  static override configStructure = Counted.configStructure;
  static override defaultConfiguration = { ...Counted.defaultConfiguration, supported_currencies: 'EUR' };
}

/** A per-channel gateway with a note, for a change of the same plugin and scope made in between. */
class Noted extends Counted {
  static override id = 'test.noted';
  static override configStructure = { ...Counted.configStructure, note: { type: 'String' as const, label: 'Note' } };
  static override defaultConfiguration = { ...Counted.defaultConfiguration, note: 'none' };
}

/** A global plugin. */
class Global extends BasePlugin {
  static override id = 'test.global';
  static override configurationPerChannel = false;
  static override configStructure = { generation: { type: 'String' as const, label: 'Generation' } };
  static override defaultConfiguration = { generation: '1' };
  constructor(init: PluginInit) {
    super(init);
    made.push(label(this));
  }
  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[]> {
    return [...previous, `G${String(this.configuration['generation'])}`];
  }
  override close(): void {
    closed.push(label(this));
  }
}

function build() {
  const manager = new PluginManager({
    plugins: [Counted, Other, Global],
    config: {
      channels: [
        { slug: 'us', currencies: ['USD', 'EUR'], plugins: { 'test.counted': { active: true }, 'test.other': { active: true } } },
        { slug: 'uk', currencies: ['USD'], plugins: { 'test.counted': { active: true } } },
      ],
      globalPlugins: { 'test.global': { active: true } },
    },
    logger: captureLogger().logger,
  });
  return manager;
}

/** The instances made since `made` had `count` entries. */
const madeSince = (count: number) => made.slice(count).sort();

const served = async (manager: PluginManager, currency = 'USD') =>
  (await manager.processPayment({ channel: 'us', payment: payment({ currency }) })).transactionId;
const listed = async (manager: PluginManager) => (await manager.listPaymentGateways({ channel: 'us', currency: 'USD' })).map((g) => g.id);
const tick = () => new Promise((resolve) => setImmediate(resolve));
const generationOf = (manager: PluginManager, plugin: string, channel: string) =>
  manager.config.channels.find((c) => c.slug === channel)?.plugins[plugin]?.configuration['generation'];

describe('PluginManager: a prepared configuration change', () => {
  beforeEach(() => {
    made = [];
    closed = [];
  });

  it('is built (its plugins instantiated) but not in force until committed; commit swaps it in, one version later', async () => {
    const manager = build();
    const version = manager.configVersion;
    const count = made.length;
    const change = manager.preparePluginConfiguration('test.counted', 'us', { active: false, configuration: { generation: '2' } });
    // The channel's other plugin is rebuilt with it (a channel's plugins are one scope).
    expect(madeSince(count)).to.deep.equal(['test.counted@us#2', 'test.other@us#1']);
    expect(change.settings).to.deep.include({ active: false });
    expect(change.settings.configuration).to.include({ generation: '2' });
    expect(change.view).to.deep.include({ id: 'test.counted', channel: 'us', active: false });

    // Until commit, the manager serves the configuration it had.
    expect(manager.configVersion).to.equal(version);
    expect(manager.getPluginConfiguration('test.counted', 'us').active).to.equal(true);
    expect(await listed(manager)).to.deep.equal(['test.counted']);
    expect(await served(manager)).to.equal('test.counted@us#1');

    expect(change.commit()).to.deep.equal(change.view);
    expect(manager.configVersion).to.equal(version + 1);
    expect(await listed(manager)).to.deep.equal([]);
    expect(generationOf(manager, 'test.counted', 'us')).to.equal('2');
    await tick();
    expect(closed.sort(), 'the replaced instances are retired').to.deep.equal(['test.counted@us#1', 'test.other@us#1']);
    expect(() => change.commit()).to.throw(PayhostError).with.property('code', 'invalid_input');
    await change.discard();
    expect(closed, 'a discard after commit closes nothing in force').to.have.length(2);
    await manager.close();
  });

  it('a refused change throws at prepare and changes nothing', async () => {
    const manager = build();
    const version = manager.configVersion;
    const before = JSON.stringify(manager.config);
    const count = made.length;
    const refuse = () => manager.preparePluginConfiguration('test.counted', 'us', { configuration: { generation: '2', refuse: true } });
    expect(refuse).to.throw(PayhostError, 'refused');
    expect(() => manager.preparePluginSettings('test.counted', 'us', { active: true, configuration: { supported_currencies: 'NOPE', generation: '9' } }))
      .to.throw(PayhostError)
      .with.property('code', 'invalid_configuration');
    expect(() => manager.preparePluginSettings('test.counted', 'mars', undefined)).to.throw(PayhostError).with.property('code', 'unknown_channel');
    expect(manager.configVersion).to.equal(version);
    expect(JSON.stringify(manager.config)).to.equal(before);
    expect(await served(manager)).to.equal('test.counted@us#1');
    await tick();
    expect(closed.sort(), 'what the refused builds made is closed, and nothing in force').to.deep.equal(madeSince(count));
    expect(closed).to.include('test.counted@us#9');
    await manager.close();
  });

  it("discard closes the instances a channel's change built, and none in force; the change can no longer be committed", async () => {
    const manager = build();
    const version = manager.configVersion;
    const count = made.length;
    const change = manager.preparePluginSettings('test.counted', 'us', { active: true, configuration: { generation: '2' } });
    expect(madeSince(count)).to.deep.equal(['test.counted@us#2', 'test.other@us#1']);
    await change.discard();
    expect(closed.sort()).to.deep.equal(madeSince(count));
    await change.discard();
    expect(closed).to.have.length(2);
    expect(() => change.commit()).to.throw(PayhostError).with.property('code', 'invalid_input');
    expect(manager.configVersion).to.equal(version);
    expect(await served(manager)).to.equal('test.counted@us#1');
    expect(await served(manager, 'EUR')).to.equal('test.other@us#1');
    await manager.close();
  });

  it("discard closes every instance a global plugin's change built (its globals and every channel's)", async () => {
    const manager = build();
    const count = made.length;
    const change = manager.preparePluginConfiguration('test.global', null, { configuration: { generation: '2' } });
    expect(madeSince(count)).to.deep.equal(['test.counted@uk#1', 'test.counted@us#1', 'test.global@global#2', 'test.other@uk#1', 'test.other@us#1']);
    await change.discard();
    expect(closed.sort()).to.deep.equal(madeSince(count));
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['G1']);
    await manager.close();
  });

  it('commit after another change keeps both (a channel change, then another plugin of that channel and a global one)', async () => {
    const manager = build();
    const version = manager.configVersion;
    const change = manager.preparePluginConfiguration('test.counted', 'us', { configuration: { generation: '2' } });
    manager.updatePluginConfiguration('test.other', 'us', { configuration: { generation: '3' } });
    manager.setPluginSettings('test.global', null, { active: true, configuration: { generation: '4' } });
    change.commit();
    expect(manager.configVersion, 'one version per commit').to.equal(version + 3);
    expect(generationOf(manager, 'test.counted', 'us')).to.equal('2');
    expect(generationOf(manager, 'test.other', 'us')).to.equal('3');
    expect(manager.config.globalPlugins['test.global']?.configuration['generation']).to.equal('4');
    expect(await served(manager)).to.equal('test.counted@us#2');
    expect(await served(manager, 'EUR')).to.equal('test.other@us#3');
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['G4']);
    await manager.close();
    // What the stale build made was closed too: every instance made was closed once.
    expect(closed.sort()).to.deep.equal(made.sort());
  });

  it("commit of a global change after a channel's change keeps the channel's", async () => {
    const manager = build();
    const change = manager.preparePluginSettings('test.global', null, { active: true, configuration: { generation: '2' } });
    manager.updatePluginConfiguration('test.counted', 'uk', { configuration: { generation: '5' } });
    change.commit();
    expect(generationOf(manager, 'test.counted', 'uk')).to.equal('5');
    expect((await manager.processPayment({ channel: 'uk', payment: payment() })).transactionId).to.equal('test.counted@uk#5');
    expect(await manager.runHook('uk', 'getSupportedCurrencies', { channel: 'uk' }, [])).to.deep.equal(['G2']);
    await manager.close();
  });

  it('close() discards a change prepared and never committed', async () => {
    const manager = build();
    const change = manager.preparePluginConfiguration('test.counted', 'uk', { configuration: { generation: '2' } });
    await manager.close();
    expect(closed).to.include('test.counted@uk#2');
    expect(closed.sort()).to.deep.equal(made.sort());
    // Refused as the manager's own calls are after close(), not as a change discarded by hand.
    expect(() => change.commit()).to.throw(PayhostError).with.property('code', 'shutting_down');
  });
});

// A prepared change committed after another change of the SAME plugin and scope would put back the settings
// it was merged over, undoing that change silently: commit refuses with configuration_changed instead.

function buildNoted(): PluginManager {
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

const servedIn = async (manager: PluginManager, channel = 'us') => (await manager.processPayment({ channel, payment: payment() })).transactionId;

describe('PluginManager: a prepared change after a change of the same plugin and scope', () => {
  beforeEach(() => {
    made = [];
    closed = [];
  });

  it('commit throws configuration_changed and keeps the change made in between', async () => {
    const manager = buildNoted();
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
    expect(await servedIn(manager)).to.equal('test.noted@us#1/kept');
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
    const manager = buildNoted();
    const change = manager.preparePluginConfiguration('test.noted', 'us', { configuration: { generation: '2' } });
    manager.updatePluginConfiguration('test.noted', 'uk', { configuration: { note: 'uk' } });
    manager.setPluginSettings('test.noted', 'us', manager.config.channels[0]!.plugins['test.noted']!);
    change.commit();
    expect(await servedIn(manager)).to.equal('test.noted@us#2/none');
    expect(await servedIn(manager, 'uk')).to.equal('test.noted@uk#1/uk');
    await manager.close();
  });
});
