// For callgrind: `valgrind --tool=callgrind node --single-threaded tests/bench/support/hook-count.mjs <manager|tapable> <n>`
// at two values of n; the difference in instructions over the difference in n is
// the cost of one one-plugin dispatch. PAYHOST_CORE=<path to a core build>/index.js
// compares another build of core with this one.
// node hook-count.mjs <manager|tapable> <n>: n one-plugin dispatches after a warm-up of 200,000.
import { createRequire } from 'node:module';
const { BasePlugin, PluginManager } = await import(process.env.PAYHOST_CORE ?? '@payhost/core');
const { AsyncSeriesWaterfallHook } = createRequire(import.meta.resolve('@payhost/core'))('tapable');
async function bump(input, previousValue) { return previousValue + input.step; }
class P extends BasePlugin { static id = 'p'; static defaultActive = true; }
P.prototype.bump = bump;
const manager = new PluginManager({ plugins: [P], config: { channels: [{ slug: 'bench', currencies: ['USD'], plugins: { p: { active: true } } }] } });
const plugin = new P({ channel: 'bench', active: true, configuration: {}, logger: undefined });
const hook = new AsyncSeriesWaterfallHook(['previousValue', 'input']);
hook.tapPromise('p', (value, input) => plugin.bump(input, value));
const input = { step: 1 };
const ops = { manager: () => manager.runHook('bench', 'bump', input, 0), tapable: () => hook.promise(0, input) };
const op = ops[process.argv[2]];
for (let i = 0; i < 200000; i++) await op();
const n = Number(process.argv[3]);
for (let i = 0; i < n; i++) await op();
await manager.close();
