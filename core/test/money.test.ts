import { expect } from 'chai';
import { Decimal, fromMinorUnits, isIsoCurrency, minorUnits, normalizeCurrency, parseAmount, toMinorUnits, formatAmount, isPayhostError } from '@payhost/core';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPayhostError(err) ? err.code : 'not-a-payhost-error';
  }
  return undefined;
}

describe('money', () => {
  it('knows ISO 4217 minor units', () => {
    expect(minorUnits('JPY')).to.equal(0);
    expect(minorUnits('USD')).to.equal(2);
    expect(minorUnits('KWD')).to.equal(3);
    expect(codeOf(() => minorUnits('USDD'))).to.equal('unknown_currency');
    // Added to ISO 4217 after the currency-codes table was published.
    expect([minorUnits('XCG'), normalizeCurrency('xcg'), parseAmount('12.50', 'XCG').toString()]).to.deep.equal([2, 'XCG', '12.5']);
  });

  it('parses valid amounts to Decimals', () => {
    expect(parseAmount('10.50', 'USD').equals(new Decimal('10.5'))).to.equal(true);
    expect(parseAmount('1000', 'JPY').toString()).to.equal('1000');
    expect(parseAmount('1.234', 'KWD').toString()).to.equal('1.234');
    expect(parseAmount('0', 'USD', { allowZero: true }).isZero()).to.equal(true);
  });

  it('reads a negative zero as zero', () => {
    for (const value of [new Decimal('-0'), new Decimal(-0)]) {
      const zero = parseAmount(value, 'USD', { allowZero: true });
      expect([zero.isZero(), zero.isNegative(), zero.toString(), Object.is(toMinorUnits(zero, 'USD'), -0)]).to.deep.equal([true, false, '0', false]);
    }
  });

  for (const [value, currency] of [
    ['-1', 'USD'],
    [-1, 'USD'],
    [Number.NaN, 'USD'],
    ['NaN', 'USD'],
    ['abc', 'USD'],
    ['1e3', 'USD'],
    ['', 'USD'],
    [null, 'USD'],
    [{}, 'USD'],
    ['0', 'USD'],
    ['10.001', 'USD'],
    ['10.5', 'JPY'],
    ['1.2345', 'KWD'],
    [Number.POSITIVE_INFINITY, 'USD'],
  ] as const) {
    it(`rejects ${typeof value === "string" ? JSON.stringify(value) : String(value)} ${currency} with invalid_amount`, () => {
      expect(codeOf(() => parseAmount(value, currency))).to.equal('invalid_amount');
    });
  }

  it('accepts amounts up to Number.MAX_SAFE_INTEGER minor units, and refuses larger ones (decimal.js would round them)', () => {
    for (const [largest, tooLarge, currency] of [
      ['90071992547409.91', '90071992547409.92', 'USD'],
      ['9007199254740991', '9007199254740992', 'JPY'],
      ['9007199254740.991', '9007199254740.992', 'KWD'],
    ] as const) {
      expect(toMinorUnits(parseAmount(largest, currency), currency)).to.equal(Number.MAX_SAFE_INTEGER);
      expect(codeOf(() => parseAmount(tooLarge, currency))).to.equal('invalid_amount');
    }
    expect(codeOf(() => parseAmount('1234567890123456789012.34', 'USD'))).to.equal('invalid_amount');
    expect(codeOf(() => parseAmount(new Decimal('1e30'), 'USD'))).to.equal('invalid_amount');
    expect(codeOf(() => parseAmount(String(2 ** 60), 'JPY'))).to.equal('invalid_amount');
  });

  it('refuses a JavaScript number of any size (a binary float), saying to pass a string or a Decimal', () => {
    for (const [value, currency] of [
      [10, 'USD'],
      [10.1, 'USD'],
      [0.1 + 0.2, 'USD'],
      [1000, 'JPY'],
      [-0, 'USD'],
      // The literal 90071992547409.91 is the double 90071992547409.9: a cent lost before the call.
      [90071992547409.91, 'USD'],
    ] as const) {
      expect(codeOf(() => parseAmount(value, currency, { allowZero: true })), `${value} ${currency}`).to.equal('invalid_amount');
      try {
        parseAmount(value, currency, { allowZero: true });
      } catch (err) {
        expect((err as Error).message).to.include('is a JavaScript number').and.include('pass a decimal string such as "10.50", or a Decimal');
      }
    }
    expect(parseAmount('90071992547409.91', 'USD').toFixed(2)).to.equal('90071992547409.91');
    expect(parseAmount(new Decimal('90071992547409.91'), 'USD').toFixed(2)).to.equal('90071992547409.91');
  });

  it('converts to and from minor units for 0, 2 and 3 decimal currencies', () => {
    expect(toMinorUnits(new Decimal('10.50'), 'USD')).to.equal(1050);
    expect(toMinorUnits(new Decimal('500'), 'JPY')).to.equal(500);
    expect(toMinorUnits(new Decimal('1.234'), 'KWD')).to.equal(1234);
    expect(fromMinorUnits(1050, 'USD').toString()).to.equal('10.5');
    expect(fromMinorUnits(500, 'JPY').toString()).to.equal('500');
    expect(fromMinorUnits('1234', 'KWD').toString()).to.equal('1.234');
    expect(codeOf(() => toMinorUnits(new Decimal('0.001'), 'USD'))).to.equal('invalid_amount');
    expect(codeOf(() => fromMinorUnits(10.5, 'USD'))).to.equal('invalid_amount');
  });

  it('refuses the ISO 4217 codes without minor units (metals, units of account, testing, no currency) as unknown_currency', () => {
    for (const code of ['XXX', 'XTS', 'XAU', 'XAG', 'XPD', 'XPT', 'XDR', 'XSU', 'XUA', 'XBA', 'XBB', 'XBC', 'XBD']) {
      expect(codeOf(() => minorUnits(code)), code).to.equal('unknown_currency');
      expect(codeOf(() => normalizeCurrency(code.toLowerCase())), code).to.equal('unknown_currency');
      expect(codeOf(() => parseAmount('10', code)), code).to.equal('unknown_currency');
      expect(isIsoCurrency(code), code).to.equal(false);
    }
    expect(() => minorUnits('XAU')).to.throw('without minor units');
    // The X currencies that are money keep their decimals.
    expect([minorUnits('XAF'), minorUnits('XOF'), minorUnits('XPF'), minorUnits('XCD')]).to.deep.equal([0, 0, 0, 2]);
  });

  it('takes minor units as a non-negative integer (number, bigint or digits) up to Number.MAX_SAFE_INTEGER, and refuses anything else', () => {
    expect(fromMinorUnits(0, 'USD').toString()).to.equal('0');
    expect(fromMinorUnits(-0, 'USD').isNegative()).to.equal(false);
    expect(fromMinorUnits('0', 'USD').toString()).to.equal('0');
    expect(fromMinorUnits(1050n, 'USD').toString()).to.equal('10.5');
    expect(fromMinorUnits(Number.MAX_SAFE_INTEGER, 'USD').toFixed(2)).to.equal('90071992547409.91');
    for (const minor of ['0x10', '1e3', '-5', ' 5', '5 ', '10.5', '', '+5', '9007199254740992', -5, 1e3 + 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -1n, 2n ** 53n] as const) {
      expect(codeOf(() => fromMinorUnits(minor, 'USD')), `${typeof minor} ${String(minor)}`).to.equal('invalid_amount');
    }
    expect(() => fromMinorUnits('0x10', 'USD')).to.throw('not a non-negative integer count of minor units');
  });

  it('formats with the currency decimals', () => {
    expect(formatAmount(new Decimal('10.5'), 'USD')).to.equal('10.50');
    expect(formatAmount(new Decimal('7'), 'KWD')).to.equal('7.000');
  });
});
