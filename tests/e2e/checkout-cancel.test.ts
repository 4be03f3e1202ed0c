import { expect } from 'chai';
import { CARDS, CheckoutPageHarness } from './page-harness.js';

declare const document: { activeElement: { id: string } | null };

describe('checkout page: Cancel payment on the 3-D Secure step (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  const cancelButton = () => t.page.getByRole('button', { name: 'Cancel payment' });

  /** Pays with the 3-D Secure test card and waits for the challenge; the payment's id. */
  async function payToChallenge(): Promise<string> {
    await t.openFilled(CARDS.threeDSecure);
    const answer = t.page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/checkout/api/payments'));
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    const { payment } = (await (await answer).json()) as { payment: { id: string; toConfirm: boolean } };
    expect(payment.toConfirm).to.equal(true);
    await t.page.getByRole('heading', { name: '3-D Secure' }).waitFor();
    return payment.id;
  }

  it('voids the payment waiting for 3-D Secure and shows it cancelled, nothing charged', async () => {
    const id = await payToChallenge();
    await cancelButton().click();

    expect(await t.resultStatus()).to.equal('not-charged');
    expect(await t.summary()).to.equal('Payment cancelled: nothing was charged.');
    expect((await t.transactionRows()).map((r) => r.slice(0, 2))).to.deep.equal([
      ['3-D Secure', 'action required'],
      ['Void', 'success'],
    ]);
    expect(await t.page.evaluate(() => document.activeElement?.id)).to.equal('result-title');
    const payment = await t.server.server.payments.getPayment(id);
    expect([payment.chargeStatus, payment.toConfirm, payment.isActive]).to.deep.equal(['not-charged', false, false]);
    // One cancel, under an Idempotency-Key of its own, and no confirmation.
    expect(t.cancelRequests().map((r) => r.url)).to.deep.equal([`${t.server.url}/checkout/api/payments/${id}/cancel`]);
    expect(t.cancelRequests()[0]!.headers['idempotency-key']).to.match(/^[0-9a-f-]{36}$/);
    expect(t.sent.filter((r) => r.url.endsWith('/confirm'))).to.deep.equal([]);

    // Back: the form, the card kept, and what became of the payment (no challenge to go back to).
    await t.page.goBack();
    await t.message('status', 'Your last payment was cancelled, and nothing was charged.').waitFor();
    expect(await t.page.getByLabel('Card number').inputValue()).to.equal('4000 0000 0000 3220');
    expect(await t.page.getByRole('heading', { name: '3-D Secure' }).isVisible()).to.equal(false);
    t.expectCardNeverSent(CARDS.threeDSecure);
  });

  it('after a lost answer, Cancel payment again sends the same key: one void', async () => {
    // The server cancels; the proxy loses its answer.
    await t.loseFirstAnswer('**/checkout/api/payments/*/cancel');
    const id = await payToChallenge();
    await cancelButton().click();
    await t.message('alert', 'The payment may have been cancelled: pressing Cancel payment again is safe.').waitFor();
    expect(await t.page.getByRole('heading', { name: '3-D Secure' }).isVisible()).to.equal(true);

    await cancelButton().click();
    expect(await t.resultStatus()).to.equal('not-charged');
    expect(await t.summary()).to.equal('Payment cancelled: nothing was charged.');
    const keys = t.cancelRequests().map((r) => r.headers['idempotency-key']);
    expect(keys).to.have.length(2);
    expect(keys[1]).to.equal(keys[0]);
    const kinds = (await t.server.server.payments.listTransactions(id)).map((tx) => tx.kind);
    expect(kinds).to.deep.equal(['action_to_confirm', 'void']);
  });

  it('shows the payment as it stands when it no longer waits for 3-D Secure (confirmed meanwhile): not cancelled', async () => {
    const id = await payToChallenge();
    // A Complete whose answer never reached this page did confirm it.
    await t.server.server.payments.confirm({ paymentId: id, idempotencyKey: 'checkout:confirmed-elsewhere', data: null });
    await cancelButton().click();

    expect(await t.resultStatus()).to.equal('fully-charged');
    expect(await t.summary()).to.equal('This payment is no longer waiting for authentication, so it was not cancelled. Payment successful: 25.00 USD captured.');
    expect((await t.server.server.payments.getPayment(id)).capturedAmount.toFixed(2)).to.equal('25.00');
    expect(t.pageErrors).to.deep.equal([]);
  });
});
