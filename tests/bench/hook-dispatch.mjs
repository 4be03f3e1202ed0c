// Cost of one hook dispatch through the manager, beside raw tapable and a
// hand-written loop running the same async plugin functions.
import { createRequire } from 'node:module';
import { BasePlugin, PluginManager, silentLogger } from '@payhost/core';
import { compare, ns, spread } from './harness.mjs';

// The tapable copy @payhost/core itself uses.
const { AsyncSeriesWaterfallHook } = createRequire(import.meta.resolve('@payhost/core'))('tapable');

export const name = 'hook-dispatch';
export const description = 'one runHook() dispatch vs raw tapable vs a hand-written loop';

const SIZES = [1, 5, 20];
const TARGET_TAPABLE = 1.1;
const TARGET_LOOP = 1.3;
const CHANNEL = 'bench';
const HOOK = 'bump';

/** The hook body every variant runs: a trivial async transform of previousValue. */
async function bump(input, previousValue) {
  return previousValue + input.step;
}

function pluginClasses(count) {
  return Array.from({ length: count }, (_, i) => {
    const cls = class extends BasePlugin {
      static id = `bench.plugin-${i}`;
      static pluginName = `Bench plugin ${i}`;
      static defaultActive = true;
    };
    cls.prototype[HOOK] = bump;
    return cls;
  });
}

function setup(count) {
  const classes = pluginClasses(count);
  const plugins = Object.fromEntries(classes.map((cls) => [cls.id, { active: true }]));
  const manager = new PluginManager({ plugins: classes, config: { channels: [{ slug: CHANNEL, currencies: ['USD'], plugins }] } });

  // Separate instances of the same classes for the two baselines.
  const logger = silentLogger();
  const instances = classes.map((cls) => new cls({ channel: CHANNEL, active: true, configuration: {}, logger }));
  const hook = new AsyncSeriesWaterfallHook(['previousValue', 'input']);
  for (const plugin of instances) hook.tapPromise(plugin.id, (value, input) => plugin[HOOK](input, value));

  const input = { step: 1 };
  const variants = [
    { name: 'manager', op: () => manager.runHook(CHANNEL, HOOK, input, 0) },
    { name: 'tapable', op: () => hook.promise(0, input) },
    {
      name: 'loop',
      op: async () => {
        let v = 0;
        for (const p of instances) {
          const r = await p[HOOK](input, v);
          if (r !== undefined) v = r;
        }
        return v;
      },
    },
  ];
  return { manager, variants };
}

export async function run(report) {
  const rows = [];
  for (const count of SIZES) {
    const { manager, variants } = setup(count);
    for (const v of variants) {
      const got = await v.op(0);
      if (got !== count) throw new Error(`${v.name} with ${count} plugins returned ${got}, expected ${count}`);
    }
    const result = await compare(variants, report.settings());
    const vsTapable = result.ratio('manager', 'tapable');
    const vsLoop = result.ratio('manager', 'loop');
    rows.push([
      String(count),
      ns(result.variants.manager.median),
      ns(result.variants.tapable.median),
      ns(result.variants.loop.median),
      report.check(`hook dispatch, ${count} plugin(s): manager/tapable`, vsTapable, TARGET_TAPABLE),
      spread(vsTapable),
      report.check(`hook dispatch, ${count} plugin(s): manager/loop`, vsLoop, TARGET_LOOP),
      spread(vsLoop),
    ]);
    await manager.close();
  }
  report.table(
    ['plugins', 'manager ns/op', 'raw tapable ns/op', 'hand loop ns/op', `manager/tapable (<= ${TARGET_TAPABLE}x)`, 'p25-p75', `manager/loop (<= ${TARGET_LOOP}x)`, 'p25-p75'],
    rows,
  );
  report.note('ns/op: median over rounds; ratios: median of per-round ratios (variants interleaved), p25-p75 their spread.');
}
