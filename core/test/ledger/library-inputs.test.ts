import { expect } from 'chai';
import { Decimal, PaymentService } from '@payhost/core';
import { key, payInput, setup, type Setup } from './helpers.js';

/** What a JavaScript caller may hand the payment service that TypeScript would have refused. */
describe('ledger: inputs from untyped callers', () => {
  let env: Setup;
  afterEach(() => env?.close());

  it('a missing input object is a rejected invalid_input from every method, never a synchronous TypeError', async () => {
    env = setup();
    const service = env.service as unknown as Record<string, (input?: unknown) => Promise<unknown>>;
    for (const method of ['pay', 'createPayment', 'process', 'authorize', 'capture', 'refund', 'void', 'confirm'] satisfies Array<keyof PaymentService>) {
      for (const input of [undefined, null, 'order-42']) {
        let promise: Promise<unknown> | undefined;
        expect(() => (promise = service[method]!.call(env.service, input)), `${method}(${String(input)}) throws at once`).to.not.throw();
        const err = await promise!.then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `${method}(${String(input)})`).to.include({ code: 'invalid_input' });
        expect((err as Error).message).to.equal(`${method} needs an input object`);
      }
    }
  });

  it('a Decimal or a Date in metadata or data is stored as JSON stores it (its string), and its retry replays', async () => {
    env = setup();
    const request = payInput({ metadata: { discount: new Decimal('1.50'), placedAt: new Date('2026-01-02T03:04:05.000Z') }, data: { tip: new Decimal('0.25') } });
    const result = await env.service.pay(request);
    expect(result.payment.metadata).to.deep.equal({ discount: '1.5', placedAt: '2026-01-02T03:04:05.000Z' });
    expect((await env.service.getPayment(result.payment.id)).metadata).to.deep.equal({ discount: '1.5', placedAt: '2026-01-02T03:04:05.000Z' });
    expect(await env.service.pay({ ...request, metadata: { discount: new Decimal('1.5'), placedAt: new Date('2026-01-02T03:04:05.000Z') } })).to.deep.equal(result);
    // What toJSON gives is checked like any value: an unstorable one is still refused, naming the field.
    const broken = { toJSON: () => 'bad\u0000text' };
    const refused = await env.service.pay(payInput({ metadata: { note: broken } })).catch((e: unknown) => e);
    expect(refused).to.include({ code: 'invalid_input' });
    expect((refused as Error).message).to.match(/^metadata\.note contains a NUL/);
    const throwing = { toJSON: () => { throw new Error('no'); } };
    expect(await env.service.pay(payInput({ metadata: { note: throwing }, idempotencyKey: key() })).catch((e: unknown) => e)).to.include({ code: 'invalid_input' });
  });
});
