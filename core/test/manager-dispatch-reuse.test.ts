import { expect } from 'chai';
import sinon from 'sinon';
import { BasePlugin, PluginManager, type HookSpec } from '@payhost/core';
import { captureLogger } from './support/log-capture.js';

// The pipeline reuses the state of dispatches that completed normally. These
// tests check that reuse never mixes two calls up, and never revives one that
// timed out. The watchdog's checks and the plugins' waits run on sinon's fake clock
// (installed before the manager creates its interval): no test depends on how fast the machine is.

/** Fakes the timers and the clock the watchdog reads; restore it after closing the manager. */
function fakeClock(): sinon.SinonFakeTimers {
  return sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
}

interface TagInput {
  id: number;
  gate: Promise<void>;
}
type Hooks = { tag: HookSpec<TagInput, string[]> };

class Tagger extends BasePlugin {
  static override id = 'tagger';
  async tag(input: TagInput, previous: string[]): Promise<string[]> {
    await input.gate;
    return [...previous, `t${input.id}`];
  }
}

class Suffixer extends BasePlugin {
  static override id = 'suffixer';
  static calls: number[] = [];
  async tag(input: TagInput, previous: string[]): Promise<string[]> {
    Suffixer.calls.push(input.id);
    return [...previous, `s${input.id}`];
  }
}

const config = { channels: [{ slug: 'us', currencies: ['USD'], plugins: { tagger: { active: true }, suffixer: { active: true } } }] };
const open = Promise.resolve();

function gated(count: number): { inputs: TagInput[]; release: Array<() => void> } {
  const release: Array<() => void> = [];
  const inputs = Array.from({ length: count }, (_, id) => ({ id, gate: new Promise<void>((resolve) => release.push(resolve)) }));
  return { inputs, release };
}

describe('manager: dispatch state reuse', () => {
  afterEach(() => sinon.restore());

  it('keeps every call apart when many are in flight and settle out of order', async () => {
    const manager = new PluginManager<Hooks>({ plugins: [Tagger, Suffixer], config });
    // More calls in flight than the reuse pool holds, released in reverse order.
    const { inputs, release } = gated(150);
    const pending = inputs.map((input) => manager.runHook('us', 'tag', input, [`start${input.id}`]));
    for (const go of [...release].reverse()) go();
    const results = await Promise.all(pending);
    results.forEach((value, id) => expect(value).to.deep.equal([`start${id}`, `t${id}`, `s${id}`]));
    for (let id = 0; id < 200; id++) {
      expect(await manager.runHook('us', 'tag', { id, gate: open }, [])).to.deep.equal([`t${id}`, `s${id}`]);
    }
    await manager.close();
  });

  it('forgets the state of a burst of calls once they are done, keeping only a bounded number for reuse', async () => {
    const clock = fakeClock();
    const manager = new PluginManager<Hooks>({ plugins: [Tagger, Suffixer], config, hookTimeoutMs: 400 });
    const watchdog = (manager as unknown as { ctx: { watchdog: { size: number; idle: unknown[]; maxIdle: number } } }).ctx.watchdog;
    const { inputs, release } = gated(500);
    const pending = inputs.map((input) => manager.runHook('us', 'tag', input, []));
    expect(watchdog.size).to.equal(500);
    for (const go of release) go();
    await Promise.all(pending);
    expect(watchdog.idle).to.have.length(watchdog.maxIdle);
    // Retired but still registered until the watchdog's next check (every 50 ms: an eighth of the timeout).
    expect(watchdog.size).to.equal(500);
    await clock.tickAsync(50);
    expect(watchdog.size).to.equal(watchdog.maxIdle);
    expect(await manager.runHook('us', 'tag', { id: 7, gate: open }, [])).to.deep.equal(['t7', 's7']);
    expect(watchdog.size).to.equal(watchdog.maxIdle);
    await manager.close();
    clock.restore();
  });

  it('never reuses a timed-out call: its late answer runs nothing, later calls are unaffected', async () => {
    const log = captureLogger();
    Suffixer.calls = [];
    const manager = new PluginManager<Hooks>({ plugins: [Tagger, Suffixer], config, logger: log.logger, hookTimeoutMs: 30 });
    const { inputs, release } = gated(1);
    const hung = manager.runHook('us', 'tag', inputs[0] as TagInput, ['start']);
    // Calls that complete (and are recycled) while the first one hangs, then after it timed out.
    for (let id = 1; id <= 50; id++) expect(await manager.runHook('us', 'tag', { id, gate: open }, [])).to.deep.equal([`t${id}`, `s${id}`]);
    expect(await hung).to.deep.equal(['start', 's0']);
    for (let id = 51; id <= 100; id++) expect(await manager.runHook('us', 'tag', { id, gate: open }, [])).to.deep.equal([`t${id}`, `s${id}`]);
    // The late answer arrives while another call is in flight (on recycled
    // state): the abandoned chain must call nobody, the live call is untouched.
    const live = gated(1);
    const inFlight = manager.runHook('us', 'tag', { id: 101, gate: (live.inputs[0] as TagInput).gate }, []);
    (release[0] as () => void)();
    await new Promise((resolve) => setImmediate(resolve));
    (live.release[0] as () => void)();
    expect(await inFlight).to.deep.equal(['t101', 's101']);
    expect(Suffixer.calls.filter((id) => id === 0)).to.have.length(1);
    expect(log.lines.filter((l) => l['hook'] === 'tag')).to.have.length(1);
    await manager.close();
  });

  it('does not inherit the watchdog stamp of the call whose state it reuses', async () => {
    const clock = fakeClock();
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    class Waiter extends BasePlugin {
      static override id = 'waiter';
      async wait(input: { ms: number }, previous: string[]): Promise<string[]> {
        await sleep(input.ms);
        return [...previous, `w${input.ms}`];
      }
    }
    type WaitHooks = { wait: HookSpec<{ ms: number }, string[]> };
    const manager = new PluginManager<WaitHooks>({
      plugins: [Waiter],
      config: { channels: [{ slug: 'us', currencies: ['USD'], plugins: { waiter: { active: true } } }] },
      hookTimeoutMs: 400,
    });
    // A call long enough to be stamped by the watchdog (it checks every 50 ms), completed normally...
    const stamped = manager.runHook('us', 'wait', { ms: 150 }, []);
    await clock.tickAsync(150);
    expect(await stamped).to.deep.equal(['w150']);
    // ...whose stamp is then older than the timeout: the next call, reusing its state, must not time out
    // (it runs through three checks, the first of them 600 ms after that stamp).
    await clock.tickAsync(450);
    const reusing = manager.runHook('us', 'wait', { ms: 120 }, []);
    await clock.tickAsync(120);
    expect(await reusing).to.deep.equal(['w120']);
    await manager.close();
    clock.restore();
  });
});
