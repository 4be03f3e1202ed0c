import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { checkNoCardNumber } from '@payhost/core';
import { DUMMY_TEST_CARDS, DUMMY_TOKENS, tokenizeCard } from '@payhost/plugin-dummy';

/** The page's module, plain browser JavaScript (no types of its own). */
interface CardNumberModule {
  luhnValid(digits: string): boolean;
  cardNumberProblem(number: string): string | null;
  holdsCardNumber(text: string): boolean;
}
const CARD_NUMBER_MODULE: string = '../public/checkout/card-number.js';
const { luhnValid, cardNumberProblem, holdsCardNumber } = (await import(CARD_NUMBER_MODULE)) as CardNumberModule;

/** The test cards the checkout page lists (its buttons' data-card). */
const PAGE_CARDS = [...readFileSync(new URL('../public/checkout/index.html', import.meta.url), 'utf8').matchAll(/data-card="(\d+)"/g)].map((m) => m[1]!);

/** Whether the dummy tokenizer would let `number` through (not the invalid_number token). */
const dummyTakes = (number: string) => !tokenizeCard(number, 12, 2034, number.startsWith('37') ? '1234' : '123').startsWith(DUMMY_TOKENS.invalidNumber);

// The page refuses a card number before tokenizing it: it must refuse exactly what the dummy
// tokenizer would turn into its invalid_number token, and take every documented test card.
describe('checkout page: the card number check (Luhn, 12 to 19 digits), as the dummy tokenizer makes it', () => {
  it("takes every test card: the dummy gateway's documented ones (3-D Secure and declines too) and the page's list", () => {
    expect(PAGE_CARDS).to.include.members(Object.keys(DUMMY_TEST_CARDS));
    expect(PAGE_CARDS).to.include('378282246310005');
    for (const number of [...PAGE_CARDS, ...Object.keys(DUMMY_TEST_CARDS)]) {
      expect(cardNumberProblem(number), number).to.equal(null);
      expect(cardNumberProblem(number.replace(/(\d{4})(?=\d)/g, '$1 ')), number).to.equal(null);
    }
  });

  it('refuses a mistyped digit or two swapped digits, in words', () => {
    const mistyped = 'This card number is not valid: check it for a mistyped digit.';
    expect(cardNumberProblem('4242 4242 4242 4241')).to.equal(mistyped);
    expect(cardNumberProblem('4000 0000 0000 3202')).to.equal(mistyped); // 3220 with 2 and 0 swapped
    expect(cardNumberProblem('4242 4242')).to.equal('This card number is too short: check it.');
    expect(cardNumberProblem('4'.repeat(20))).to.equal('This card number is too long: check it.');
    expect(cardNumberProblem('4242 4242 4242 424x')).to.equal('A card number has only digits: check it.');
  });

  it('agrees with the dummy tokenizer on every one-digit change of a test card and on every length', () => {
    const disagreeing: string[] = [];
    const check = (number: string) => {
      if ((cardNumberProblem(number) === null) !== dummyTakes(number)) disagreeing.push(number);
    };
    for (const card of [...Object.keys(DUMMY_TEST_CARDS), '378282246310005']) {
      for (let i = 0; i < card.length; i++) for (let d = 0; d <= 9; d++) check(`${card.slice(0, i)}${d}${card.slice(i + 1)}`);
    }
    for (let length = 1; length <= 22; length++) for (const digit of '0123456789') check(digit.repeat(length));
    expect(disagreeing).to.deep.equal([]);
    expect(luhnValid('79927398713')).to.equal(true); // the textbook example
    expect(luhnValid('79927398710')).to.equal(false);
  });
});

// The name on card is checked in the page before anything is posted: whatever the server would refuse
// as a card number in nameOnCard must be refused there first (the page is the stricter of the two).
describe('checkout page: a card number in the name on card', () => {
  const serverRefuses = (name: string) => {
    try {
      checkNoCardNumber('nameOnCard', name, 'test');
      return false;
    } catch {
      return true;
    }
  };

  it('is found in every form the server refuses: bare, grouped by spaces or dashes, inside words, in full-width digits', () => {
    const missed: string[] = [];
    let serverRefused = 0;
    for (const card of [...PAGE_CARDS, ...Object.keys(DUMMY_TEST_CARDS)]) {
      const grouped = card.replace(/(\d{4})(?=\d)/g, '$1 ');
      const fullWidth = [...card].map((d) => String.fromCharCode(0xff10 + Number(d))).join('');
      for (const name of [card, grouped, grouped.replaceAll(' ', '-'), `Ada ${grouped} Lovelace`, fullWidth]) {
        if (serverRefuses(name)) serverRefused++;
        if (!holdsCardNumber(name)) missed.push(name);
      }
    }
    expect(missed).to.deep.equal([]);
    expect(serverRefused).to.be.greaterThan(0);
  });

  it('lets a name through, and digits that are no card number (too few, more than 19, or failing Luhn)', () => {
    for (const name of ['Ada Lovelace', 'J. R. R. Tolkien', 'Flat 12, 1234 Main Street', 'Ada 4242424242424241', '12345678901', 'Order 123456789012345678901', '']) {
      expect(holdsCardNumber(name), name).to.equal(false);
    }
  });
});
