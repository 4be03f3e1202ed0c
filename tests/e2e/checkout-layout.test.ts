import { expect } from 'chai';
import { CARDS, CheckoutPageHarness } from './page-harness.js';

declare const document: {
  documentElement: { scrollWidth: number; clientWidth: number };
  querySelector(selector: string): { scrollWidth: number; clientWidth: number } | null;
};

describe('checkout page layout: a 375 px phone, keyboard focus (browser, chromium)', function () {
  this.timeout(60_000);
  const t = CheckoutPageHarness.use();

  /** Nothing wider than the screen: neither the page nor the transactions scroll sideways. */
  async function expectNoSidewaysScroll(): Promise<void> {
    const widths = await t.page.evaluate(() => {
      const wrap = document.querySelector('.table-wrap');
      return { page: document.documentElement.scrollWidth, screen: document.documentElement.clientWidth, table: wrap ? wrap.scrollWidth - wrap.clientWidth : 0 };
    });
    expect(widths.page, 'page width').to.be.at.most(widths.screen);
    expect(widths.table, 'transactions overflow').to.equal(0);
  }

  it('stacks the order fields and shows each transaction as labelled lines, without sideways scrolling', async () => {
    await t.page.setViewportSize({ width: 375, height: 740 });
    await t.open();
    await t.fillOrder();
    // Channel, currency and amount take a line each: the channel's name is not cut off.
    const channel = await t.page.getByLabel('Channel').boundingBox();
    const currency = await t.page.getByLabel('Currency').boundingBox();
    expect(currency!.y).to.be.greaterThan(channel!.y + channel!.height);
    await expectNoSidewaysScroll();

    await t.fillCard(CARDS.threeDSecureFail);
    await t.page.getByRole('button', { name: /^Pay/ }).click();
    await t.page.getByRole('button', { name: 'Complete authentication' }).click();
    await t.resultStatus();
    await t.transactionRows();
    await expectNoSidewaysScroll();
    // Each value has its column's name beside it (the table's header row is only read by screen readers).
    const first = t.page.locator('#transactions tbody tr').first().locator('td');
    expect(await first.evaluateAll((cells) => cells.map((c) => (c as unknown as { dataset: { label: string } }).dataset.label))).to.deep.equal(['Kind', 'Result', 'Amount', 'Message', 'Time']);
    const kind = await first.nth(0).boundingBox();
    const result = await first.nth(1).boundingBox();
    expect(result!.y, 'one line per value').to.be.greaterThan(kind!.y);
    expect(await t.page.getByRole('columnheader', { name: 'Kind' }).count()).to.equal(1);
    expect(t.pageErrors).to.deep.equal([]);
  });

  it('shows keyboard focus with an opaque ring: Tab from the name on card reaches Pay, Enter pays', async () => {
    await t.open();
    await t.fillOrder();
    await t.fillCard(CARDS.success);
    await t.page.getByLabel('Name on card').focus();
    await t.page.keyboard.press('Tab');
    const ring = await t.page.evaluate(() => {
      const active = (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement;
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string; outlineColor: string } }).getComputedStyle(active);
      return { id: active.id, style: style.outlineStyle, width: style.outlineWidth, color: style.outlineColor };
    });
    expect(ring.id).to.equal('pay');
    expect(ring.style).to.equal('solid');
    expect(parseFloat(ring.width)).to.be.at.least(2);
    expect(ring.color, 'an opaque colour').to.match(/^rgb\(/);
    await t.page.keyboard.press('Enter');
    expect(await t.resultStatus()).to.equal('fully-charged');
  });
});
