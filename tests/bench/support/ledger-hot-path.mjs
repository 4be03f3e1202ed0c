// Profiling aid: `node --cpu-prof tests/bench/support/ledger-hot-path.mjs [count] [memory|pglite]` runs
// PaymentService.pay (create + process) on the memory store (or PGlite in memory) in one process, as
// POST /payments does, and prints the cost per payment (elapsed and CPU time).
import { randomUUID } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { MemoryLedgerStore, PaymentService, PluginManager } from '@payhost/core';
import { DummyGatewayPlugin } from '@payhost/plugin-dummy';
import { createPgliteStore } from '@payhost/store-postgres';

const count = Number(process.argv[2] ?? 20000);
const storeKind = process.argv[3] ?? 'memory';
if (storeKind !== 'memory' && storeKind !== 'pglite') throw new Error(`store: memory or pglite, not ${storeKind}`);
const manager = new PluginManager({
  plugins: [DummyGatewayPlugin],
  config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } } } }] },
});
const store = storeKind === 'pglite' ? await createPgliteStore() : new MemoryLedgerStore();
const payments = new PaymentService({ manager, store });

async function one() {
  return payments.pay({ channel: 'web', total: '10.00', currency: 'USD', token: 'tok_dummy_success', idempotencyKey: randomUUID() });
}

for (let i = 0; i < Math.min(2000, count); i++) await one();
// Young-generation collections (scavenges) copy what each payment leaves on the heap: on the memory
// store they were a third of the CPU per payment, so their share is printed too.
let scavengeMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === 1) scavengeMs += entry.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < count; i++) await one();
const us = ((performance.now() - t0) * 1000) / count;
const cpu = process.cpuUsage(cpu0);
await new Promise((resolve) => setTimeout(resolve, 20)); // gc entries are delivered asynchronously
gcObserver.disconnect();
console.log(
  `${storeKind}: ${count} payments, ${us.toFixed(1)} us each (${Math.round(1e6 / us)}/s), CPU ${((cpu.user + cpu.system) / count).toFixed(1)} us each, scavenges ${((scavengeMs * 1000) / count).toFixed(1)} us each`,
);

// The same with 8 payments in flight at a time (as 8 HTTP connections give).
const t1 = performance.now();
await Promise.all(Array.from({ length: 8 }, async () => { for (let i = 0; i < count / 8; i++) await one(); }));
const us8 = ((performance.now() - t1) * 1000) / count;
console.log(`8 in flight: ${us8.toFixed(1)} us each`);
await store.close();
await manager.close();
