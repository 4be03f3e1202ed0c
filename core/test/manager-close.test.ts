import { expect } from 'chai';
import { BasePlugin, PayhostError, PluginManager, gatewayConfigFromValues, type ChannelInput, type GatewayConfig, type GatewayResponse, type PaymentData, type PluginInit } from '@payhost/core';
import { okResponse, payment } from './support/plugins.js';
import { captureLogger } from './support/log-capture.js';

const SECRET = 'sk_test_close_0123456789';

/** Every instance made and closed, as "<id>@<channel>#<generation>", in order. */
let made: string[] = [];
let closed: string[] = [];
/** Calls to processPayment wait on this gate while it is set. */
let gate: Promise<void> | null = null;

function label(plugin: BasePlugin): string {
  return `${plugin.id}@${plugin.channel ?? 'global'}#${String(plugin.configuration['generation'])}`;
}

/** A per-channel gateway holding a resource; its `close_mode` setting says how its close misbehaves. */
class Holder extends BasePlugin {
  static override id = 'test.holder';
  static override configStructure = {
    supported_currencies: { type: 'String' as const, label: 'Currencies' },
    generation: { type: 'String' as const, label: 'Generation' },
    close_mode: { type: 'String' as const, label: 'Close mode' },
    secret_key: { type: 'Secret' as const, label: 'Secret key' },
    refuse: { type: 'Boolean' as const, label: 'Refuse the configuration' },
  };
  static override defaultConfiguration = { supported_currencies: 'USD', generation: '1', close_mode: 'ok', secret_key: SECRET, refuse: false };

  constructor(init: PluginInit) {
    super(init);
    if (this.configuration['refuse'] === true) throw new PayhostError('invalid_configuration', 'refused');
    made.push(label(this));
  }
  override gatewayConfig(): GatewayConfig {
    return gatewayConfigFromValues(this.id, this.configuration);
  }
  async processPayment(data: PaymentData): Promise<GatewayResponse> {
    if (gate) await gate;
    return okResponse(data, label(this));
  }
  override close(): void | Promise<void> {
    switch (this.configuration['close_mode']) {
      case 'throw':
        throw new Error(`cannot close with ${SECRET}`);
      case 'reject':
        return Promise.reject(new Error(`cannot close with ${SECRET}`));
      case 'hang':
        return new Promise(() => undefined);
    }
    closed.push(label(this));
    return undefined;
  }
}

/** A second per-channel plugin whose constructor refuses `refuse: true` too. */
class Sidecar extends Holder {
  static override id = 'test.sidecar';
  static override configStructure = Holder.configStructure;
  static override defaultConfiguration = { ...Holder.defaultConfiguration, supported_currencies: 'EUR' };
}

/** A global plugin holding a resource. */
class GlobalHolder extends BasePlugin {
  static override id = 'test.global-holder';
  static override configurationPerChannel = false;
  static override configStructure = { generation: { type: 'String' as const, label: 'Generation' } };
  static override defaultConfiguration = { generation: '1' };
  constructor(init: PluginInit) {
    super(init);
    made.push(label(this));
  }
  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[]> {
    return [...previous, 'G'];
  }
  override async close(): Promise<void> {
    closed.push(label(this));
  }
}

function build(options: { holder?: Record<string, unknown>; sidecar?: boolean; hookTimeoutMs?: number } = {}) {
  const log = captureLogger();
  const plugins = { 'test.holder': { active: true, configuration: options.holder ?? {} } };
  const manager = new PluginManager({
    plugins: options.sidecar ? [Holder, Sidecar, GlobalHolder] : [Holder, GlobalHolder],
    config: {
      channels: [
        { slug: 'us', currencies: ['USD'], plugins },
        // Inactive here: an instance is made all the same, so it is closed too.
        { slug: 'uk', currencies: ['USD'], plugins: { 'test.holder': { active: false } } },
      ],
      globalPlugins: { 'test.global-holder': { active: true } },
    },
    logger: log.logger,
    hookTimeoutMs: options.hookTimeoutMs ?? 1000,
  });
  return { manager, log };
}

const pay = (manager: PluginManager, paymentId = 'p1') => manager.processPayment({ channel: 'us', payment: payment({ paymentId }) });
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Holds every processPayment until the returned function is called. */
function holdCalls(): () => void {
  let release = (): void => undefined;
  gate = new Promise((resolve) => (release = resolve));
  return () => {
    gate = null;
    release();
  };
}

describe('manager: plugin close()', () => {
  beforeEach(() => {
    made = [];
    closed = [];
    gate = null;
  });

  it('closes every instance it made once when the manager closes: per channel (active or not) and global', async () => {
    const { manager } = build();
    expect(made.sort()).to.deep.equal(['test.global-holder@global#1', 'test.holder@uk#1', 'test.holder@us#1']);
    await manager.close();
    await manager.close();
    expect(closed.sort()).to.deep.equal(made.sort());
  });

  it('waits for the calls in flight before closing the instances they run on', async () => {
    const { manager } = build();
    const release = holdCalls();
    const inFlight = pay(manager);
    let done = false;
    const closing = manager.close().then(() => (done = true));
    await tick();
    expect(closed, 'nothing is closed while a call runs').to.deep.equal([]);
    expect(done).to.equal(false);
    release();
    expect((await inFlight).transactionId).to.equal('test.holder@us#1');
    await closing;
    expect(closed.sort()).to.deep.equal(made.sort());
  });

  it("a channel's configuration change closes the instance it replaced, once the calls on it have finished", async () => {
    const { manager } = build();
    const release = holdCalls();
    const before = pay(manager, 'before');
    manager.updatePluginConfiguration('test.holder', 'us', { configuration: { generation: '2' } });
    await tick();
    expect(closed, 'the old instance is still serving a call').to.deep.equal([]);
    release();
    expect((await before).transactionId).to.equal('test.holder@us#1');
    expect((await pay(manager, 'after')).transactionId).to.equal('test.holder@us#2');
    await tick();
    expect(closed).to.deep.equal(['test.holder@us#1']);
    await manager.close();
    expect(closed.sort()).to.deep.equal(['test.global-holder@global#1', 'test.holder@uk#1', 'test.holder@us#1', 'test.holder@us#2']);
  });

  it("a global plugin's change closes every instance of the version it replaced (globals and channels'), after the calls in flight", async () => {
    const { manager } = build();
    const release = holdCalls();
    const before = pay(manager, 'before');
    manager.updatePluginConfiguration('test.global-holder', null, { configuration: { generation: '2' } });
    await tick();
    expect(closed).to.deep.equal([]);
    release();
    await before;
    await tick();
    expect(closed.sort()).to.deep.equal(['test.global-holder@global#1', 'test.holder@uk#1', 'test.holder@us#1']);
    expect(await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, [])).to.deep.equal(['G']);
    await manager.close();
    expect(closed).to.have.length(6);
  });

  it('a global change waits too for a replaced channel version still serving a call (it runs the same global plugins)', async () => {
    const { manager } = build();
    const release = holdCalls();
    const before = pay(manager, 'before');
    manager.updatePluginConfiguration('test.holder', 'us', { configuration: { generation: '2' } });
    manager.updatePluginConfiguration('test.global-holder', null, { configuration: { generation: '2' } });
    await tick();
    expect(closed).to.deep.equal([]);
    release();
    await before;
    await tick();
    expect(closed.sort()).to.deep.equal(['test.global-holder@global#1', 'test.holder@uk#1', 'test.holder@us#1', 'test.holder@us#2']);
    await manager.close();
  });

  it('a refused configuration change closes the instances its build made, and none in use', async () => {
    const { manager } = build({ sidecar: true });
    made = [];
    expect(() => manager.updatePluginConfiguration('test.sidecar', 'us', { configuration: { generation: '2', refuse: true } })).to.throw(PayhostError, 'refused');
    await tick();
    expect(made, 'the new version got as far as its first plugin').to.deep.equal(['test.holder@us#1']);
    expect(closed).to.deep.equal(['test.holder@us#1']);
    expect((await pay(manager)).transactionId).to.equal('test.holder@us#1');
    await manager.close();
  });

  for (const mode of ['throw', 'reject'] as const) {
    it(`a close that ${mode}s is logged without the plugin's secrets, and the other instances are closed all the same`, async () => {
      const { manager, log } = build({ holder: { close_mode: mode } });
      await manager.close();
      expect(closed.sort()).to.deep.equal(['test.global-holder@global#1', 'test.holder@uk#1']);
      const failures = log.lines.filter((line) => line['hook'] === 'close');
      expect(failures).to.have.length(1);
      expect(failures[0]).to.include({ level: 50, plugin: 'test.holder', channel: 'us', code: 'plugin_failed', reason: mode === 'throw' ? 'threw' : 'rejected' });
      expect(failures[0]?.['msg']).to.equal(`Plugin "test.holder" failed to close: ${mode === 'throw' ? 'threw' : 'rejected with'} Error: cannot close with [redacted]`);
      expect(log.text()).not.to.contain(SECRET);
    });
  }

  it('a close that never settles is logged as plugin_timeout and no longer waited for', async () => {
    const { manager, log } = build({ holder: { close_mode: 'hang' }, hookTimeoutMs: 30 });
    await manager.close();
    expect(closed.sort()).to.deep.equal(['test.global-holder@global#1', 'test.holder@uk#1']);
    expect(log.lines.filter((line) => line['hook'] === 'close')[0]).to.include({ plugin: 'test.holder', code: 'plugin_timeout', reason: 'timeout' });
  });

  it('is not a hook: runHook(channel, "close") runs no plugin', async () => {
    const { manager } = build();
    expect(await manager.runHook('us', 'close' as 'getSupportedCurrencies', { channel: 'us' }, ['untouched'])).to.deep.equal(['untouched']);
    expect(closed).to.deep.equal([]);
    await manager.close();
  });
});
