import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger, Decimal, type GatewayResponse } from '@payhost/core';
import { DUMMY_TEST_CARDS, tokenizeCard } from '@payhost/plugin-dummy';
import { call, makePlugin, payment, resetDummy } from './helpers.js';

describe('dummy: card numbers never leak', () => {
  beforeEach(resetDummy);

  it('no full card number appears in tokens, responses, stored sources or debug logs', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const plugin = makePlugin({ store_customer: true, auto_capture: false }, 'ch', createLogger({ level: 'debug' }, sink));
    const numbers = [...Object.keys(DUMMY_TEST_CARDS), '5555555555554444', '378282246310005', '4242424242424241'];
    const seen: unknown[] = [];
    for (const number of numbers) {
      const token = tokenizeCard(number, 12, 2030, number.startsWith('37') ? '1234' : '123');
      seen.push(token);
      const auth: GatewayResponse = await call(plugin.authorizePayment(payment({ token, customerId: 'u', amount: new Decimal('5.00') }), null));
      seen.push(auth);
      const next = auth.actionRequired ? await call(plugin.confirmPayment(payment({ token: auth.transactionId }), null)) : auth;
      seen.push(next);
      if (next.isSuccess) {
        seen.push(await call(plugin.capturePayment(payment({ token: next.transactionId, amount: new Decimal('5.00') }), null)));
        seen.push(await call(plugin.refundPayment(payment({ token: next.transactionId, amount: new Decimal('1.00') }), null)));
      }
    }
    seen.push(await call(plugin.listPaymentSources({ channel: 'ch', customerId: 'u' }, [])));
    // a host bug passing a raw card number as the token is not echoed either
    seen.push(await call(plugin.processPayment(payment({ token: '4242424242424242' }), null)));
    expect(lines.length).to.be.greaterThan(0);
    const text = JSON.stringify(seen) + lines.join('');
    for (const number of numbers) expect(text).to.not.include(number);
    expect(text).to.include('4242'); // last4 is fine and present
  });
});
