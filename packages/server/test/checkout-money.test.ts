import { expect } from 'chai';
import currencyCodes from 'currency-codes';
import { isIsoCurrency, minorUnits } from '@payhost/core';

/** The page's module, plain browser JavaScript (no types of its own). */
interface MoneyModule {
  decimalsOf(currency: string): number;
  parseAmount(text: string, currency: string): { amount: string } | { problem: string };
}
const MONEY_MODULE: string = '../public/checkout/money.js';
const { decimalsOf, parseAmount } = (await import(MONEY_MODULE)) as MoneyModule;

// The checkout page keeps its own copy of the currencies whose minor unit is not 2 (it runs in the
// browser, without core): it must agree with core's table, or the page would refuse (or pad) amounts
// the server takes.
describe('checkout page: amounts in the currency\'s decimals, as core counts them', () => {
  it('gives every ISO 4217 currency the decimal places core does', () => {
    // Core takes no code without minor units (XAU, XTS, XXX...): no payment is in one.
    const disagreeing = currencyCodes.codes().filter((code) => isIsoCurrency(code) && decimalsOf(code) !== minorUnits(code));
    expect(disagreeing).to.deep.equal([]);
  });

  it('writes an amount with exactly those decimals, and refuses more', () => {
    expect(parseAmount('10', 'USD')).to.deep.equal({ amount: '10.00' });
    expect(parseAmount('25.00', 'JPY')).to.deep.equal({ amount: '25' });
    expect(parseAmount('1.5', 'KWD')).to.deep.equal({ amount: '1.500' });
    expect(parseAmount('10.123', 'USD')).to.have.property('problem');
    expect(parseAmount('0', 'USD')).to.have.property('problem');
  });
});
