import { Decimal, minorUnits } from '@payhost/core';
import type { MochaLike } from './adapter.js';
import { assertConforms } from './checks.js';
import { expectSuccess, type Harness } from './harness.js';
import { money, summary } from './report-text.js';

const REFUNDED = ['refund', 'refund_ongoing', 'pending'] as const;

/**
 * Partial refunds, judged by the answers alone (so without the adapter's
 * `amountSent` too): two partial refunds of one captured charge must both
 * succeed for their own amounts, and a third for more than is left must be
 * refused. A plugin that refunds the whole remaining charge at the processor
 * (a refund call without its amount) and answers with the requested part
 * cannot make the second; one that answers success whatever the processor
 * did accepts the third. Registered inside the suite's "through the
 * PluginManager" block, whose manager `h` has built.
 */
export function registerRefundTests<Env>(ui: MochaLike, h: Harness<Env>): void {
  if (!h.supports('refund')) return;
  ui.it('refundPayment refunds part of a captured payment twice, then refuses more than is left', async () => {
    const captured = await h.capturedCharge('the payment to refund');
    const { currency, amount: total } = captured.payment;
    const part = h.refundAmount('two');
    const shown = `${money(part, currency)} ${currency}`;
    if (!part.times(2).lt(total)) {
      assertConforms([`the adapter's refundAmounts.two ${shown} must be less than half of the charge, ${money(total, currency)} ${currency}: the suite refunds it twice and then more than is left`], 'partial refunds');
    }
    const first = await h.followUp('refundPayment', captured, part, 'first partial refund');
    expectSuccess(first.response, REFUNDED, `the first refundPayment of ${shown} (of ${money(total, currency)} ${currency} captured)`);
    const second = await h.followUp('refundPayment', captured, part, 'second partial refund');
    expectSuccess(
      second.response,
      REFUNDED,
      `the second refundPayment of ${shown}, after a first of ${shown} (of ${money(total, currency)} ${currency} captured): a plugin that refunded the whole remaining charge at the processor the first time cannot make it`,
    );
    const left = total.minus(part.times(2));
    const over = left.plus(new Decimal(1).dividedBy(new Decimal(10).pow(minorUnits(currency))));
    const third = await h.followUp('refundPayment', captured, over, 'refund of more than is left');
    if (third.response.isSuccess !== false) {
      assertConforms(
        [
          `refundPayment of ${money(over, currency)} ${currency}, when only ${money(left, currency)} ${currency} is left of the charge, answered ${summary(third.response)}; it must be refused (isSuccess false): the processor cannot have refunded it, so the refunds answered before were not what the processor did`,
        ],
        'a refund of more than is left',
      );
    }
  });
}
