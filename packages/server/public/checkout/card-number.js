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

/**
 * Whether free text (the name on the card) holds what may be a card number: a
 * run of 12 to 19 digits, spaces and dashes allowed between them, passing the
 * Luhn check; in a longer run of groups ("4242 4242 4242 4242 12 30"), any
 * stretch of whole groups, as the server looks. Stricter than the server's
 * check (which also wants a card network's prefix and length): the page must
 * stop a number before it is posted.
 */
export function holdsCardNumber(text) {
  // NFKC: full-width digits ("４２４２") are digits too.
  for (const run of String(text).normalize('NFKC').match(/\d(?:[\s-]*\d)*/g) ?? []) {
    const groups = run.split(/[\s-]+/);
    for (let first = 0; first < groups.length; first++) {
      let digits = '';
      for (let last = first; last < groups.length && digits.length < 19; last++) {
        digits += groups[last];
        if (digits.length >= 12 && digits.length <= 19 && luhnValid(digits)) return true;
      }
    }
  }
  return false;
}
