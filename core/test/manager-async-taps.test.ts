import { expect } from 'chai';
import { runInNewContext } from 'node:vm';
import { BasePlugin, PluginManager, type ChannelInput } from '@payhost/core';
import { returnsNativePromise, type HookFn } from '../src/manager/hook-dispatch.js';
import { captureLogger } from './support/log-capture.js';

// A hook that is an async function goes to tapable without its answer being tested or adopted
// (returnsNativePromise). Anything that only looks like one must still be checked: a non-promise
// handed to tapable unchecked throws out of the dispatch instead of being isolated.

const AsyncFunctionPrototype = Object.getPrototypeOf(async () => undefined) as object;

/** A plain function dressed as an async one: its prototype is AsyncFunction.prototype. */
function disguised<F extends (...args: never[]) => unknown>(fn: F): F {
  return Object.setPrototypeOf(fn, AsyncFunctionPrototype) as F;
}

class Appender extends BasePlugin {
  static override id = 'appender';
  async getSupportedCurrencies(_input: ChannelInput, previous: string[]): Promise<string[]> {
    return [...previous, 'OK'];
  }
}

/** A plugin whose getSupportedCurrencies is `fn`. */
function pluginWith(id: string, fn: unknown): typeof BasePlugin {
  const cls = class extends BasePlugin {
    static override id = id;
  };
  Object.defineProperty(cls.prototype, 'getSupportedCurrencies', { value: fn, writable: true, configurable: true });
  return cls;
}

async function run(plugins: ReadonlyArray<typeof BasePlugin>): Promise<{ value: string[]; lines: Array<Record<string, unknown>> }> {
  const log = captureLogger();
  const active = Object.fromEntries(plugins.map((p) => [p.id, { active: true }]));
  const manager = new PluginManager({
    plugins: plugins as never,
    config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: active }] },
    logger: log.logger,
    hookTimeoutMs: 200,
  });
  try {
    const value = await manager.runHook('us', 'getSupportedCurrencies', { channel: 'us' }, []);
    return { value, lines: log.lines };
  } finally {
    await manager.close();
  }
}

describe('manager: hooks that are async functions', () => {
  it('takes only an async function of this realm for one whose answer needs no check', () => {
    class Methods {
      async method(): Promise<void> {}
      async *generator(): AsyncGenerator<never> {}
    }
    const asyncFn = async function named(): Promise<void> {};
    const yes: Record<string, unknown> = { 'an async function': asyncFn, 'an async arrow': async () => undefined, 'an async method': Methods.prototype.method };
    const no: Record<string, unknown> = {
      'a plain function returning a promise': () => Promise.resolve(),
      'a plain function with the async prototype': disguised(() => 1),
      'an async generator method': Methods.prototype.generator,
      'an async generator function': async function* gen() {},
      'a bound async function': asyncFn.bind(null),
      'a proxy of an async function': new Proxy(asyncFn, {}),
      "another realm's async function": runInNewContext('(async function () {})'),
    };
    for (const [what, fn] of Object.entries(yes)) expect(returnsNativePromise(fn as HookFn), what).to.equal(true);
    for (const [what, fn] of Object.entries(no)) expect(returnsNativePromise(fn as HookFn), what).to.equal(false);
  });

  it('a plain function with the async prototype answering a plain value: that is its answer, as for any synchronous method, with a warning', async () => {
    const plain = pluginWith('odd', disguised((_input: unknown, previous: string[]) => [...previous, 'PLAIN']));
    const { value, lines } = await run([Appender, plain]);
    expect(value).to.deep.equal(['OK', 'PLAIN']);
    expect(lines.filter((l) => l['plugin'] === 'odd').map((l) => [l['code'], l['hook']])).to.deep.equal([['sync_hook', 'getSupportedCurrencies']]);
  });

  for (const [what, fn, reason] of [
    ['an async generator method (it answers an iterator)', async function* (_input: unknown, previous: string[]) { yield [...previous, 'GEN']; }, 'non_promise'],
    [
      'a plain function with the async prototype answering a thenable whose then() throws',
      disguised(() => ({ then: () => { throw new Error('then exploded'); } })),
      'rejected',
    ],
  ] as const) {
    for (const position of ['first', 'after a healthy plugin'] as const) {
      it(`${what}, ${position}: a logged plugin failure, the chain goes on with the previous value`, async () => {
        const odd = pluginWith('odd', fn);
        const second = class Second extends Appender { static override id = 'second'; };
        const plugins = position === 'first' ? [odd, Appender] : [Appender, odd, second];
        const { value, lines } = await run(plugins);
        expect(value).to.deep.equal(position === 'first' ? ['OK'] : ['OK', 'OK']);
        const failures = lines.filter((l) => l['plugin'] === 'odd');
        expect(failures).to.have.length(1);
        expect(failures[0]).to.include({ code: 'plugin_failed', reason, hook: 'getSupportedCurrencies' });
      });
    }
  }

  it("adopts another realm's async function's promise, and isolates its rejection", async () => {
    const foreignAppend = runInNewContext('(async function (input, previous) { return [...previous, "VM"]; })') as unknown;
    const foreignReject = runInNewContext('(async function () { throw new Error("vm boom"); })') as unknown;
    expect((await run([pluginWith('vm', foreignAppend), Appender])).value).to.deep.equal(['VM', 'OK']);
    const { value, lines } = await run([pluginWith('vm', foreignReject), Appender]);
    expect(value).to.deep.equal(['OK']);
    expect(lines.find((l) => l['plugin'] === 'vm')).to.include({ code: 'plugin_failed', reason: 'rejected' });
  });

  it('an async hook that rejects, or throws in its body, is isolated as before', async () => {
    const rejecting = pluginWith('odd', async () => {
      throw new TypeError('async body');
    });
    const { value, lines } = await run([Appender, rejecting, class Second extends Appender { static override id = 'second'; }]);
    expect(value).to.deep.equal(['OK', 'OK']);
    expect(lines.find((l) => l['plugin'] === 'odd')).to.include({ code: 'plugin_failed', reason: 'rejected' });
  });
});
