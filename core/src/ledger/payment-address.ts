import { isIP } from 'node:net';
import type { AddressData } from '../contracts/payment-data.js';
import { checkNoCardNumber } from './card-number.js';
import { invalidInput } from './ledger-errors.js';
import { isStorableText } from './storable-text.js';

// A new payment's billing and shipping addresses and the customer's IP address: kept with the payment,
// sent in every PaymentData of it (address verification, IP risk checks).

/** Seed 001's AddressData fields, camelCased: the only ones an address may have. */
export const ADDRESS_FIELDS = [
  'firstName',
  'lastName',
  'companyName',
  'streetAddress1',
  'streetAddress2',
  'city',
  'cityArea',
  'postalCode',
  'country',
  'countryArea',
  'phone',
] as const satisfies readonly (keyof AddressData)[];

// Every AddressData field is listed: one added to the contract and not here fails to compile.
const allListed: Exclude<keyof AddressData, (typeof ADDRESS_FIELDS)[number]> extends never ? true : never = true;
void allListed;

const ADDRESS_FIELD_SET: ReadonlySet<string> = new Set(ADDRESS_FIELDS);

/**
 * The longest text an address field may hold, in characters (Unicode code points, as the REST schema's
 * maxLength counts them: an emoji is one; Saleor's address columns are at most 256 characters).
 */
export const MAX_ADDRESS_FIELD_LENGTH = 256;

/** The longest IP address text taken. */
export const MAX_IP_ADDRESS_LENGTH = 64;

/**
 * Characters no address field holds: the C0 controls (U+0000 to U+001F: a line break, a tab, an escape would
 * rewrite a label, a CSV export or a log line), DEL and the C1 controls (U+007F to U+009F: U+0085 is a line
 * break to some readers, U+009B a terminal's escape), the line and paragraph separators (U+2028, U+2029: a line
 * break to JavaScript and Unicode-aware readers, and JSON.stringify leaves them as they are) and the bidirectional
 * overrides and isolates (U+202A to U+202E, U+2066 to U+2069: they make the text shown read otherwise than the
 * text stored).
 */
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/**
 * An unknown field's name repeated in the refusal: only a plain identifier-like one. Any other (controls,
 * bidi, spaces, digits first, very long) may carry what must not reach a message or log line: not repeated.
 */
const PLAIN_FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Whether an unknown field's name may be repeated in a refusal (PLAIN_FIELD_NAME): the ledger's and the server's one rule. */
export function isPlainFieldName(name: unknown): name is string {
  return typeof name === 'string' && PLAIN_FIELD_NAME.test(name);
}

const NOT_CARD_DATA_IN_ADDRESS = 'an address holds no card data: send the card through the gateway\'s tokenizer, never to the host';

/**
 * A billing or shipping address as given (undefined or null: none) read as AddressData: a plain object
 * with only AddressData's fields, each a string of at most MAX_ADDRESS_FIELD_LENGTH characters (null or
 * undefined: ''), without a card number or a CONTROL character; fields left out are ''. An address with no non-empty field is no
 * address (null), as one left out. invalid_input naming the field (`billing.zip`) otherwise; an unknown field
 * whose name is not PLAIN_FIELD_NAME-like is refused as `billing`, its name not repeated.
 */
export function parseAddress(field: 'billing' | 'shipping', value: unknown): AddressData | null {
  if (value === undefined || value === null) return null;
  const proto: unknown = typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (typeof value !== 'object' || Array.isArray(value) || (proto !== Object.prototype && proto !== null)) {
    throw invalidInput(`${field} must be an address object (AddressData) when given`, { field });
  }
  // First: the refusal of an unknown field names it, and a key that is a card number must not be repeated.
  checkNoCardNumber(field, value, NOT_CARD_DATA_IN_ADDRESS);
  const address = emptyAddress();
  let given = false;
  for (const key of Object.keys(value)) {
    if (!ADDRESS_FIELD_SET.has(key)) {
      const plain = isPlainFieldName(key);
      const named = plain ? `an unknown field "${key}"` : 'an unknown field';
      throw invalidInput(`${field} has ${named}: an address has ${ADDRESS_FIELDS.join(', ')}`, { field: plain ? `${field}.${key}` : field, reason: 'unknown_field' });
    }
    const path = `${field}.${key}`;
    const text: unknown = (value as Record<string, unknown>)[key];
    if (text === undefined || text === null) continue;
    if (typeof text !== 'string') throw invalidInput(`${path} must be a string`, { field: path });
    if (longerThan(text, MAX_ADDRESS_FIELD_LENGTH)) throw invalidInput(`${path} must be at most ${MAX_ADDRESS_FIELD_LENGTH} characters long`, { field: path });
    if (!isStorableText(text)) throw invalidInput(`${path} contains a NUL character or an unpaired surrogate`, { field: path });
    if (CONTROL.test(text)) {
      throw invalidInput(`${path} contains a control character (U+0000 to U+001F or U+007F to U+009F, a line break or a tab included), a line or paragraph separator (U+2028, U+2029) or a bidirectional override or isolate (U+202A to U+202E, U+2066 to U+2069)`, { field: path, reason: 'control_character' });
    }
    address[key as keyof AddressData] = text;
    if (text !== '') given = true;
  }
  return given ? address : null;
}

/**
 * The customer's IP address as given (undefined or null: none): IPv4 or IPv6 text (node:net isIP), kept as
 * written, without a zone index ("fe80::1%eth0": a customer's remote address has none, and its free text could
 * hold anything, a card number included).
 */
export function parseCustomerIpAddress(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  checkNoCardNumber('customerIpAddress', value, 'an IP address holds no card data');
  if (typeof value !== 'string' || value.length > MAX_IP_ADDRESS_LENGTH || value.includes('%') || isIP(value) === 0) {
    throw invalidInput('customerIpAddress must be an IPv4 or IPv6 address without a zone index, such as "203.0.113.9" or "2001:db8::1", when given', { field: 'customerIpAddress' });
  }
  return value;
}

/** Whether `text` has more than `max` code points (a surrogate pair is one), counted no further than needed. */
function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  let count = 0;
  for (const _ of text) if (++count > max) return true;
  return false;
}

function emptyAddress(): AddressData {
  return { firstName: '', lastName: '', companyName: '', streetAddress1: '', streetAddress2: '', city: '', cityArea: '', postalCode: '', country: '', countryArea: '', phone: '' };
}

/** A copy sharing nothing mutable (the ledger's records, and what each plugin call gets). */
export function copyAddress(address: AddressData | null | undefined): AddressData | null {
  if (!address) return null;
  const copy = emptyAddress();
  for (const key of ADDRESS_FIELDS) copy[key] = typeof address[key] === 'string' ? address[key] : '';
  return copy;
}

/** What a new payment's input says about addresses and IP, read (refused before anything is hashed or written). */
export interface CustomerDetails {
  billing: AddressData | null;
  shipping: AddressData | null;
  customerIpAddress: string | null;
}

export function parseCustomerDetails(input: { billing?: unknown; shipping?: unknown; customerIpAddress?: unknown }): CustomerDetails {
  return {
    billing: parseAddress('billing', input.billing),
    shipping: parseAddress('shipping', input.shipping),
    customerIpAddress: parseCustomerIpAddress(input.customerIpAddress),
  };
}

/**
 * The request hash's view of them: each given one replaced by what is stored (a field left out and one
 * given as '' or null are one address; an address with no non-empty field, none), so a retry spelling
 * the same address otherwise is the same request. Fields not given stay absent: the hash of a request
 * without them is what it was before they existed.
 */
export function customerDetailsForHash(fields: Record<string, unknown>, details: CustomerDetails): void {
  if ('billing' in fields) fields['billing'] = details.billing;
  if ('shipping' in fields) fields['shipping'] = details.shipping;
  if ('customerIpAddress' in fields) fields['customerIpAddress'] = details.customerIpAddress;
}
