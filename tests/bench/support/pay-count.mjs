// For callgrind: `valgrind --tool=callgrind node --single-threaded --predictable tests/bench/support/pay-count.mjs <n>`
// at two values of n (1000 and 9000); the difference in instructions over the difference in n
// is the cost of one PaymentService.pay on the memory store (dummy gateway,
// 8 payments in flight, as 8 HTTP connections give). Instruction counts do
// not depend on a noisy neighbour the way timings do. PAYHOST_CORE=<path to a
// core build>/index.js compares another build of core with this one.
import { randomUUID } from 'node:crypto';
const { MemoryLedgerStore, PaymentService, PluginManager } = await import(process.env.PAYHOST_CORE ?? '@payhost/core');
const { DummyGatewayPlugin } = await import('@payhost/plugin-dummy');

const manager = new PluginManager({
  plugins: [DummyGatewayPlugin],
  config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'payhost.dummy': { active: true, configuration: { supported_currencies: 'USD', auto_capture: true } } } }] },
});
const payments = new PaymentService({ manager, store: new MemoryLedgerStore() });
const pay = () => payments.pay({ channel: 'web', total: '10.00', currency: 'USD', token: 'tok_dummy_success', idempotencyKey: randomUUID() });
const inFlight = (count) => Promise.all(Array.from({ length: 8 }, async () => { for (let i = 0; i < count / 8; i++) await pay(); }));

await inFlight(4000);
await inFlight(Number(process.argv[2]));
await manager.close();
