import { expect } from 'chai';
import { DUMMY_TEST_CARDS, DUMMY_TOKENS, cardBrand, luhnValid, parseToken, tokenizeCard, type DummyTokenName } from '@payhost/plugin-dummy';

describe('dummy: tokenizeCard and magic tokens', () => {
  const expected: Record<string, DummyTokenName> = {
    '4242424242424242': 'success',
    '4000000000000002': 'declined',
    '4000000000000069': 'expired',
    '4000000000000127': 'incorrectCvv',
    '4000000000009995': 'insufficientFunds',
    '4000000000000119': 'processingError',
    '4000000000003220': 'threeDSecure',
    '4000008400001629': 'threeDSecureFail',
    '4000000000005043': 'outcomeUnknownCharged',
    '4000000000005027': 'outcomeUnknownNotCharged',
  };

  it('lists exactly the documented test cards, all Luhn-valid', () => {
    expect(DUMMY_TEST_CARDS).to.deep.equal(expected);
    for (const number of Object.keys(DUMMY_TEST_CARDS)) expect(luhnValid(number), number).to.equal(true);
  });

  for (const [number, name] of Object.entries(expected)) {
    it(`tokenizes ${number} to ${DUMMY_TOKENS[name]} with brand, last4 and expiry only`, () => {
      const token = tokenizeCard(number, 3, 2031, '123');
      expect(token).to.equal(`${DUMMY_TOKENS[name]}.visa.${number.slice(-4)}.03.2031`);
      expect(token).to.not.include(number);
      expect(token).to.not.include('123.');
      expect(parseToken(token)).to.deep.equal({ tokenName: name, brand: 'visa', last4: number.slice(-4), expMonth: 3, expYear: 2031 });
    });
  }

  it('tokenizes any other valid card as success, detecting the brand', () => {
    expect(parseToken(tokenizeCard('5555 5555 5555 4444', '12', '34', '999'))).to.deep.equal({
      tokenName: 'success', brand: 'mastercard', last4: '4444', expMonth: 12, expYear: 2034,
    });
    expect(parseToken(tokenizeCard('378282246310005', 1, 2030, '1234'))?.brand).to.equal('amex');
    expect(cardBrand('6011111111111117')).to.equal('discover');
    expect(cardBrand('3566002020360505')).to.equal('jcb');
  });

  it('turns bad input into invalid_number / invalid_expiry_date / invalid_cvv tokens instead of throwing', () => {
    expect(parseToken(tokenizeCard('4242424242424241', 1, 2030, '123'))?.tokenName).to.equal('invalidNumber');
    expect(parseToken(tokenizeCard('abcd', 1, 2030, '123'))?.tokenName).to.equal('invalidNumber');
    expect(parseToken(tokenizeCard('4242424242424242', 13, 2030, '123'))?.tokenName).to.equal('invalidExpiryDate');
    expect(parseToken(tokenizeCard('4242424242424242', 'x', 2030, '123'))?.tokenName).to.equal('invalidExpiryDate');
    expect(parseToken(tokenizeCard('4242424242424242', 1, 2030, '12'))?.tokenName).to.equal('invalidCvv');
    expect(parseToken(tokenizeCard('378282246310005', 1, 2030, '123'))?.tokenName).to.equal('invalidCvv');
  });

  it('is pure: the same card always gives the same token', () => {
    expect(tokenizeCard('4242424242424242', 1, 2030, '123')).to.equal(tokenizeCard('4242-4242-4242-4242', '01', '30', '123'));
  });

  it('parses bare magic tokens with default card details and rejects anything else', () => {
    expect(parseToken(DUMMY_TOKENS.declined)).to.deep.equal({ tokenName: 'declined', brand: 'visa', last4: '0002', expMonth: 12, expYear: 2034 });
    expect(parseToken('tok_visa')).to.equal(null);
    expect(parseToken('4242424242424242')).to.equal(null);
    expect(parseToken('tok_dummy_success.visa.4242.13.2030')).to.equal(null);
    expect(parseToken('tok_dummy_nope.visa.4242.12.2030')).to.equal(null);
  });
});
