import {
  ADDRESS_FIELD_TYPES,
  CONFIG_FIELD_TYPES,
  Decimal,
  PAYMENT_HOOK_NAMES,
  PLUGIN_ID_RULE,
  TRANSACTION_ERROR_CODES,
  TRANSACTION_KINDS,
  isIsoCurrency,
  isPluginId,
  isTransactionErrorCode,
  isTransactionKind,
  minorUnits,
  validatePluginClass,
  type GatewayOperation,
  type PaymentData,
  type TransactionKind,
} from '@payhost/core';

/** One broken rule of the plugin contract, as a sentence. */
export type Violation = string;

/** Transaction kinds each gateway operation may answer with (success or failure). */
export const OPERATION_KINDS: Readonly<Record<GatewayOperation, readonly TransactionKind[]>> = {
  processPayment: ['auth', 'capture', 'action_to_confirm', 'pending'],
  authorizePayment: ['auth', 'action_to_confirm', 'pending'],
  capturePayment: ['capture', 'capture_failed', 'pending'],
  refundPayment: ['refund', 'refund_failed', 'refund_ongoing', 'pending'],
  voidPayment: ['void', 'cancel'],
  confirmPayment: ['confirm', 'auth', 'capture', 'action_to_confirm', 'pending'],
};

/** Operations whose successful answer must be for exactly the requested amount. */
const EXACT_AMOUNT: ReadonlySet<GatewayOperation> = new Set(['processPayment', 'authorizePayment', 'capturePayment', 'refundPayment']);

const FIELD_TYPES: ReadonlySet<string> = new Set(CONFIG_FIELD_TYPES);

/** A string in quotes ('usd'), anything else as `show` gives it. */
export function quote(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : show(value);
}

/** A value as a message shows it: `number 10.5`, `string '10.50'`, `undefined`, `object {"a":1}`. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return `string '${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Decimal.isDecimal(value)) return `Decimal ${(value as Decimal).toString()}`;
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = String(value);
  }
  return `${Array.isArray(value) ? 'array' : 'object'} ${json.length > 120 ? `${json.slice(0, 117)}...` : json}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * Checks a plugin class's static metadata: id, names, config structure (field
 * types and labels), default configuration (declared fields, value types),
 * flags and hooks; then core's own loader validation. Returns the violations
 * (empty: the class is fine).
 */
export function checkPluginClass(candidate: unknown): Violation[] {
  if (typeof candidate !== 'function' || !candidate.prototype) return [`the plugin must be a class extending BasePlugin, got ${show(candidate)}`];
  const cls = candidate as unknown as Record<string, unknown> & { prototype: Record<string, unknown>; name: string };
  const out: Violation[] = [];
  if (!nonEmptyString(cls['id'])) out.push(`static id must be a non-empty string, got ${show(cls['id'])}`);
  else if (!isPluginId(cls['id'])) out.push(`static id ${quote(cls['id'])} is not a valid plugin id (${PLUGIN_ID_RULE}): it is part of the plugin's URLs`);
  if (!nonEmptyString(cls['pluginName'])) out.push(`static pluginName must be a non-empty string (the gateway's display name), got ${show(cls['pluginName'])}`);
  if (typeof cls['description'] !== 'string') out.push(`static description must be a string, got ${show(cls['description'])}`);
  if (typeof cls['defaultActive'] !== 'boolean') out.push(`static defaultActive must be a boolean, got ${show(cls['defaultActive'])}`);
  if (typeof cls['configurationPerChannel'] !== 'boolean') out.push(`static configurationPerChannel must be a boolean, got ${show(cls['configurationPerChannel'])}`);

  const structure = cls['configStructure'];
  if (!isPlainObject(structure)) {
    out.push(`static configStructure must be an object of fields, got ${show(structure)}`);
  } else {
    for (const [name, field] of Object.entries(structure)) {
      if (!isPlainObject(field)) {
        out.push(`configStructure field "${name}" must be an object { type, label, helpText? }, got ${show(field)}`);
        continue;
      }
      if (!FIELD_TYPES.has(String(field['type']))) {
        const meant = CONFIG_FIELD_TYPES.find((type) => typeof field['type'] === 'string' && type.toLowerCase() === field['type'].toLowerCase());
        const hint = meant ? ` (did you mean '${meant}'? field types are case-sensitive)` : '';
        out.push(`configStructure field "${name}" has type ${quote(field['type'])}${hint}; expected one of ${CONFIG_FIELD_TYPES.join(', ')}`);
      }
      if (!nonEmptyString(field['label'])) out.push(`configStructure field "${name}" needs a label (a non-empty string), got ${show(field['label'])}`);
      if (field['helpText'] !== undefined && typeof field['helpText'] !== 'string') {
        out.push(`configStructure field "${name}" has helpText ${show(field['helpText'])}; expected a string`);
      }
      const receives = field['receivesSecrets'];
      // 'no' would be enforced as true; on a field that holds no address (a secret, a Boolean) it guards nothing.
      if (receives !== undefined && typeof receives !== 'boolean') {
        out.push(`configStructure field "${name}" has receivesSecrets ${show(receives)}; expected a boolean`);
      } else if (receives === true && FIELD_TYPES.has(String(field['type'])) && !(ADDRESS_FIELD_TYPES as readonly string[]).includes(String(field['type']))) {
        out.push(`configStructure field "${name}" declares receivesSecrets but is of type ${String(field['type'])}, which holds no address: put it on the field holding the address the secrets are sent to (${ADDRESS_FIELD_TYPES.join(' or ')})`);
      }
    }
  }

  const defaults = cls['defaultConfiguration'];
  if (!isPlainObject(defaults)) {
    out.push(`static defaultConfiguration must be an object, got ${show(defaults)}`);
  } else if (isPlainObject(structure)) {
    for (const [name, value] of Object.entries(defaults)) {
      const field = structure[name];
      if (!isPlainObject(field)) {
        out.push(`defaultConfiguration names "${name}", which configStructure does not declare`);
        continue;
      }
      // A field of an unknown type is reported above; what its default should hold cannot be told.
      if (!FIELD_TYPES.has(String(field['type']))) continue;
      if (field['type'] === 'Boolean' && typeof value !== 'boolean') {
        out.push(`defaultConfiguration.${name} must be a boolean (a Boolean field), got ${show(value)}`);
      } else if (field['type'] !== 'Boolean' && value !== null && typeof value !== 'string') {
        out.push(`defaultConfiguration.${name} must be a string or null (a ${String(field['type'])} field), got ${show(value)}`);
      }
    }
  }

  if (typeof cls.prototype['gatewayConfig'] !== 'function') out.push('the plugin class must extend BasePlugin (it has no gatewayConfig method)');
  for (const hook of PAYMENT_HOOK_NAMES) {
    const value = (cls.prototype as Record<string, unknown>)[hook];
    if (value !== undefined && typeof value !== 'function') out.push(`hook ${hook} must be a method, got ${show(value)}`);
  }
  if (typeof cls.prototype['processPayment'] !== 'function') out.push('a gateway plugin must implement processPayment');

  if (out.length === 0) {
    try {
      validatePluginClass(candidate, 'conformance');
    } catch (err) {
      out.push(`core's plugin validation refuses the class: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Checks what `gatewayConfig()` returned: names, flags, and ISO 4217 supportedCurrencies. */
export function checkGatewayConfig(config: unknown): Violation[] {
  if (config === null || config === undefined) return [`gatewayConfig() returned ${show(config)}: a gateway plugin must describe itself (GatewayConfig)`];
  if (!isPlainObject(config)) return [`gatewayConfig() must return a GatewayConfig object, got ${show(config)}`];
  const out: Violation[] = [];
  if (!nonEmptyString(config['gatewayName'])) out.push(`gatewayName must be a non-empty string, got ${show(config['gatewayName'])}`);
  for (const flag of ['autoCapture', 'storeCustomer', 'require3dSecure'] as const) {
    if (typeof config[flag] !== 'boolean') out.push(`${flag} must be a boolean, got ${show(config[flag])}`);
  }
  if (config['supportsMultipleCaptures'] !== undefined && typeof config['supportsMultipleCaptures'] !== 'boolean') {
    out.push(`supportsMultipleCaptures must be a boolean when given, got ${show(config['supportsMultipleCaptures'])}`);
  }
  if (!isPlainObject(config['connectionParams'])) out.push(`connectionParams must be an object, got ${show(config['connectionParams'])}`);
  const currencies = config['supportedCurrencies'];
  if (!Array.isArray(currencies)) {
    out.push(`supportedCurrencies must be an array of ISO 4217 codes, got ${show(currencies)}`);
  } else {
    if (currencies.length === 0) out.push('supportedCurrencies is empty: the gateway would never be routed a payment');
    const seen = new Set<unknown>();
    currencies.forEach((code, index) => {
      if (typeof code === 'string' && code !== code.toUpperCase() && isIsoCurrency(code.toUpperCase())) {
        out.push(`supportedCurrencies[${index}] '${code}' must be upper-case ('${code.toUpperCase()}')`);
      } else if (!isIsoCurrency(code)) {
        out.push(`supportedCurrencies[${index}] ${quote(code)} is not an ISO 4217 currency code`);
      }
      if (seen.has(code)) out.push(`supportedCurrencies lists ${String(code)} twice`);
      seen.add(code);
    });
  }
  return out;
}

export interface ResponseCheckOptions {
  /** The operation that produced the response: restricts the kinds it may have and, on success, its amount. */
  operation?: GatewayOperation;
}

function decimals(currency: string): number | null {
  return isIsoCurrency(currency) ? minorUnits(currency) : null;
}

const FAILURE_REASONS: Readonly<Record<string, string>> = {
  non_promise: 'returned a non-promise value (hooks must be async)',
  threw: 'threw (synchronously, or before its first await)',
  rejected: 'rejected after an await (for a money hook: held for review as an unknown outcome)',
  timeout: 'never settled (timed out)',
};

/**
 * Checks one GatewayResponse against the contract: kinds, flags, amount as a
 * Decimal in the payment's currency (with no more decimals than ISO 4217
 * allows), error and errorCode (unified codes only), optional fields' types.
 * `payment` null: a webhook event's response, checked on its own.
 */
export function checkGatewayResponse(response: unknown, payment: Pick<PaymentData, 'amount' | 'currency'> | null, options: ResponseCheckOptions = {}): Violation[] {
  if (!isPlainObject(response)) return [`a GatewayResponse must be an object, got ${show(response)}`];
  const raw = response['rawResponse'];
  if (isPlainObject(raw) && isPlainObject(raw['pluginFailure'])) {
    const failure = raw['pluginFailure'];
    const reason = String(failure['reason']);
    return [
      `the PluginManager replaced the plugin's answer with a processing_error: the hook ${String(failure['hook'])} ${FAILURE_REASONS[reason] ?? reason} (${String(failure['code'])})`,
    ];
  }
  const out: Violation[] = [];
  const op = options.operation;
  const isSuccess = response['isSuccess'];
  if (typeof isSuccess !== 'boolean') out.push(`isSuccess must be a boolean, got ${show(isSuccess)}`);
  if (typeof response['actionRequired'] !== 'boolean') out.push(`actionRequired must be a boolean, got ${show(response['actionRequired'])}`);

  const kind = response['kind'];
  if (!isTransactionKind(kind)) {
    out.push(`kind ${quote(kind)} is not a transaction kind (expected one of ${TRANSACTION_KINDS.join(', ')})`);
  } else if (op && !OPERATION_KINDS[op].includes(kind)) {
    out.push(`kind '${kind}' is not a kind ${op} may return (expected one of ${OPERATION_KINDS[op].join(', ')})`);
  }
  if (response['actionRequired'] === true && kind !== 'action_to_confirm' && kind !== 'pending') {
    out.push(`actionRequired is true but kind is ${quote(kind)}: an action for the customer is reported with kind action_to_confirm (or pending)`);
  }

  const currency = response['currency'];
  if (typeof currency !== 'string' || !isIsoCurrency(currency)) {
    out.push(payment ? `currency must be the payment's currency ${payment.currency}, got ${quote(currency)}` : `currency must be an ISO 4217 code, got ${quote(currency)}`);
  } else if (payment && currency !== payment.currency) {
    out.push(`currency must be the payment's currency ${payment.currency}, got '${currency}'`);
  }

  const amount = response['amount'];
  if (!Decimal.isDecimal(amount)) {
    out.push(`amount must be a Decimal, got ${show(amount)}`);
  } else {
    const value = amount as Decimal;
    const places = decimals(typeof currency === 'string' && isIsoCurrency(currency) ? currency : (payment?.currency ?? ''));
    if (!value.isFinite() || value.isNegative()) out.push(`amount must be a finite, non-negative Decimal, got ${value.toString()}`);
    else if (places !== null && value.decimalPlaces() > places) {
      out.push(`amount ${value.toString()} has ${value.decimalPlaces()} decimal places; ${String(currency ?? payment?.currency)} allows ${places} (ISO 4217)`);
    }
    if (payment && op && EXACT_AMOUNT.has(op) && isSuccess === true && response['actionRequired'] !== true && Decimal.isDecimal(payment.amount) && !value.eq(payment.amount)) {
      out.push(`amount ${value.toString()} differs from the requested ${new Decimal(payment.amount).toString()} ${payment.currency}`);
    }
  }

  const transactionId = response['transactionId'];
  if (typeof transactionId !== 'string') out.push(`transactionId must be a string, got ${show(transactionId)}`);
  else if (isSuccess === true && transactionId.trim() === '') out.push("transactionId must be a non-empty string on success, got ''");

  const error = response['error'];
  const errorCode = response['errorCode'];
  if (isSuccess === true) {
    if (error !== null && error !== undefined) out.push(`a successful response must have error null, got ${show(error)}`);
    if (errorCode !== null && errorCode !== undefined) out.push(`a successful response must have errorCode null, got ${show(errorCode)}`);
  } else if (isSuccess === false) {
    if (!nonEmptyString(error)) out.push(`a failed response must explain itself in error (a non-empty string), got ${show(error)}`);
    if (errorCode === null || errorCode === undefined) {
      out.push(`a failed response must carry a unified errorCode, got ${show(errorCode)} (expected one of ${TRANSACTION_ERROR_CODES.join(', ')})`);
    }
  }
  if (errorCode !== null && errorCode !== undefined && !isTransactionErrorCode(errorCode)) {
    out.push(`errorCode ${quote(errorCode)} is not a unified error code (expected one of ${TRANSACTION_ERROR_CODES.join(', ')})`);
  }

  for (const name of ['customerId', 'pspReference'] as const) {
    const value = response[name];
    if (value !== undefined && value !== null && typeof value !== 'string') out.push(`${name} must be a string or null, got ${show(value)}`);
  }
  for (const name of ['rawResponse', 'actionRequiredData'] as const) {
    const value = response[name];
    if (value !== undefined && value !== null && !isPlainObject(value)) out.push(`${name} must be an object or null, got ${show(value)}`);
  }
  const already = response['transactionAlreadyProcessed'];
  if (already !== undefined && typeof already !== 'boolean') out.push(`transactionAlreadyProcessed must be a boolean, got ${show(already)}`);
  const card = response['cardInfo'];
  if (card !== undefined && card !== null) {
    if (!isPlainObject(card)) out.push(`cardInfo must be an object or null, got ${show(card)}`);
    else {
      if (typeof card['last4'] !== 'string' || !/^\d{4}$/.test(card['last4'])) out.push(`cardInfo.last4 must be the card's last 4 digits, got ${show(card['last4'])}`);
      if (!Number.isInteger(card['expMonth']) || (card['expMonth'] as number) < 1 || (card['expMonth'] as number) > 12) out.push(`cardInfo.expMonth must be 1-12, got ${show(card['expMonth'])}`);
      if (!Number.isInteger(card['expYear'])) out.push(`cardInfo.expYear must be an integer year, got ${show(card['expYear'])}`);
      if (typeof card['brand'] !== 'string') out.push(`cardInfo.brand must be a string, got ${show(card['brand'])}`);
    }
  }
  return out;
}

export interface WebhookCheckOptions {
  /** 'accepted': a correctly signed delivery (2xx); 'rejected': a bad one (4xx, no events). */
  expect: 'accepted' | 'rejected';
}

/** Checks what the webhook hook answered to a delivery. */
export function checkWebhookResponse(response: unknown, options: WebhookCheckOptions): Violation[] {
  if (response === null || response === undefined) return [`the webhook hook answered ${show(response)}: it must answer every delivery to it with a status`];
  if (!isPlainObject(response)) return [`a WebhookResponse must be an object, got ${show(response)}`];
  const status = response['status'];
  if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) return [`status must be an HTTP status code, got ${show(status)}`];
  const code = status as number;
  const events = response['events'];
  const out: Violation[] = [];
  if (events !== undefined && !Array.isArray(events)) out.push(`events must be an array, got ${show(events)}`);
  const list = Array.isArray(events) ? (events as unknown[]) : [];
  if (options.expect === 'rejected') {
    if (code < 400 || code > 499) out.push(`a badly signed webhook must be refused with a 4xx status, got ${code}`);
    if (list.length > 0) out.push(`a refused webhook must carry no events, got ${list.length}`);
    return out;
  }
  if (code < 200 || code > 299) out.push(`a correctly signed webhook must be accepted with a 2xx status, got ${code} (body ${show(response['body'])})`);
  list.forEach((event, index) => {
    if (!isPlainObject(event)) {
      out.push(`events[${index}] must be an object, got ${show(event)}`);
      return;
    }
    if (!nonEmptyString(event['eventId'])) out.push(`events[${index}].eventId must be a non-empty string (the inbox applies each once), got ${show(event['eventId'])}`);
    if (!nonEmptyString(event['type'])) out.push(`events[${index}].type must be a non-empty string, got ${show(event['type'])}`);
    // Optional, but when given it must be a date: the host counts an unmatched event's age from it, and reads anything else as unknown.
    const at = event['occurredAt'];
    if (at !== undefined && at !== null && !(at instanceof Date && !Number.isNaN(at.getTime()))) {
      out.push(`events[${index}].occurredAt must be a valid Date (when the processor created the event), got ${at instanceof Date ? 'an invalid Date' : show(at)}`);
    }
    const key = event['gatewayIdempotencyKey'];
    if (key !== undefined && key !== null && typeof key !== 'string') out.push(`events[${index}].gatewayIdempotencyKey must be a string or null (the key of the call the event answers), got ${show(key)}`);
    for (const violation of checkGatewayResponse(event['response'], null)) out.push(`events[${index}].response: ${violation}`);
  });
  return out;
}

/** Thrown by the suite's tests: the heading, then one violation per line. */
export class ConformanceError extends Error {
  constructor(
    heading: string,
    readonly violations: readonly Violation[],
  ) {
    super(`${heading}:\n  - ${violations.join('\n  - ')}`);
    this.name = 'ConformanceError';
  }
}

/** Throws a ConformanceError listing the violations, if any. */
export function assertConforms(violations: readonly Violation[], heading: string): void {
  if (violations.length > 0) throw new ConformanceError(heading, violations);
}
