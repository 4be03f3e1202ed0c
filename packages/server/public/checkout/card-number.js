// The card number's own checks, as the dummy tokenizer makes them: 12 to 19
// digits and a valid Luhn check digit. Done in the page so that a mistyped
// number is caught before it is tokenized (a token the gateway would refuse
// as invalid_number). No DOM here: the server's unit tests import it.

/** Whether `digits` (digits only) passes the Luhn (mod 10) check. */
export function luhnValid(digits) {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** What is wrong with a card number (spaces and dashes allowed), in words for the shopper; null when it can be tokenized. */
export function cardNumberProblem(number) {
  const digits = number.replace(/[\s-]/g, '');
  if (!/^\d+$/.test(digits)) return 'A card number has only digits: check it.';
  if (digits.length < 12) return 'This card number is too short: check it.';
  if (digits.length > 19) return 'This card number is too long: check it.';
  if (!luhnValid(digits)) return 'This card number is not valid: check it for a mistyped digit.';
  return null;
}
