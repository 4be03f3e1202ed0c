import { types } from 'node:util';
import type { Logger } from 'pino';
import type { BasePlugin } from '../plugin/base-plugin.js';
import { describeValue } from './answer-text.js';
import { plainDataCycle } from './frozen-data.js';
import { asNativePromise, isThenable, returnsNativePromise, type HookFn } from './hook-dispatch.js';
import { isOperationHook, operationTap } from './operation-taps.js';
import { TapViolation } from './plugin-failure.js';
import { scrubSources, secretInIdentifier, type IdentifierHoldsSecret } from './answer-scrub.js';
import { pluginSecrets, scrubAnswer, scrubSecrets } from './secret-scrub.js';

// The hooks whose answers reach API clients (the public checkout API's included) as they are: each
// plugin's answer is checked (its shape: a wrong one would break the server's answer, or the next
// plugin) and its secrets scrubbed before the next plugin, or the host, sees it.

/** What is wrong with an answer: thrown by a check, reported as the plugin's `invalid_answer`. */
class AnswerProblem {
  constructor(readonly problem: string) {}
}

/** One plugin's answer as it is passed on (its secrets scrubbed, `kept` told of an id holding one), or an AnswerProblem thrown. Never given undefined. */
type AnswerCheck = (answer: unknown, secrets: readonly string[], kept: IdentifierHoldsSecret) => unknown;

/** `problem` as thrown by a check. */
function fail(problem: string): never {
  throw new AnswerProblem(problem);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What is wrong with `value` as a string (non-empty when `nonEmpty`), or null. */
function notString(name: string, value: unknown, nonEmpty = false): string | null {
  if (typeof value === 'string' && (!nonEmpty || value !== '')) return null;
  return `${name} ${describeValue(value)}, not a ${nonEmpty ? 'non-empty ' : ''}string`;
}

/** Checks `answer` is a list whose every item `itemProblem` finds nothing wrong with; throws the first problem. */
function checkList(answer: unknown, what: string, itemProblem: (item: Record<string, unknown>) => string | null): void {
  if (!Array.isArray(answer)) fail(`${describeValue(answer)}, not a list of ${what}`);
  answer.forEach((item: unknown, index) => {
    const problem = isRecord(item) ? itemProblem(item) : `${describeValue(item)}, not an object`;
    if (problem !== null) fail(`item ${index} of the list: ${problem}`);
  });
}

const PUBLIC_CONFIG = '{ field, value } objects';

function publicConfigItem(item: Record<string, unknown>): string | null {
  return notString('field', item['field']) ?? notString('value', item['value']);
}

/** What is wrong with a `config` list, or null. */
function publicConfigProblem(config: unknown): string | null {
  try {
    checkList(config, PUBLIC_CONFIG, publicConfigItem);
    return null;
  } catch (err) {
    if (err instanceof AnswerProblem) return `config: ${err.problem}`;
    throw err;
  }
}

function gatewayItem(item: Record<string, unknown>): string | null {
  const currencies = item['currencies'];
  const currenciesProblem = Array.isArray(currencies) ? (currencies.map((c: unknown) => notString('a currency', c, true)).find((p) => p !== null) ?? null) : `currencies ${describeValue(currencies)}, not a list`;
  return notString('id', item['id'], true) ?? notString('name', item['name']) ?? currenciesProblem ?? publicConfigProblem(item['config']);
}

function sourceItem(item: Record<string, unknown>): string | null {
  const card = item['creditCardInfo'];
  let cardProblem: string | null = null;
  if (card !== undefined && card !== null) {
    if (!isRecord(card)) cardProblem = `creditCardInfo ${describeValue(card)}, not an object or null`;
    else {
      const month = card['expMonth'];
      const year = card['expYear'];
      const name = card['nameOnCard'];
      cardProblem =
        notString('creditCardInfo.last4', card['last4']) ??
        notString('creditCardInfo.brand', card['brand']) ??
        (Number.isInteger(month) ? null : `creditCardInfo.expMonth ${describeValue(month)}, not a whole number`) ??
        (Number.isInteger(year) ? null : `creditCardInfo.expYear ${describeValue(year)}, not a whole number`) ??
        (name === undefined || name === null ? null : notString('creditCardInfo.nameOnCard', name));
    }
  }
  return notString('id', item['id'], true) ?? notString('gateway', item['gateway'], true) ?? cardProblem;
}

/**
 * A list answer: its texts scrubbed first (a problem quotes the start of a
 * text, which could cut a secret where scrubbing the log line no longer finds
 * it), then checked item by item, then for a cycle (it has no JSON form).
 */
function listAnswer(what: string, itemProblem: (item: Record<string, unknown>) => string | null, scrub: AnswerCheck = (answer, secrets) => scrubAnswer(answer, secrets)): AnswerCheck {
  return (answer, secrets, kept) => {
    const scrubbed = scrub(answer, secrets, kept);
    checkList(scrubbed, what, itemProblem);
    const cycle = plainDataCycle(scrubbed);
    if (cycle !== null) fail(`a list that refers to itself at ${cycle}`);
    return scrubbed;
  };
}

/**
 * A client token: a non-empty string, or null ("none": plugin_failed too,
 * as "returned none"). One holding a secret is a plugin bug, refused rather
 * than sent with `[redacted]` in it, which no client could use as a token.
 */
function clientToken(answer: unknown, secrets: readonly string[]): unknown {
  if (answer === null) return null;
  if (typeof answer !== 'string' || answer === '') fail(`${describeValue(answer)}, not a non-empty string`);
  if (scrubSecrets(answer, secrets) !== answer) fail("a token holding one of the plugin's secret values");
  return answer;
}

/** A yes/no: anything else is a plugin bug (the caller then gets the default, true). */
function booleanAnswer(answer: unknown): unknown {
  if (typeof answer !== 'boolean') fail(`${describeValue(answer)}, not a boolean`);
  return answer;
}

const CHECKS: Readonly<Record<string, AnswerCheck>> = {
  getClientToken: clientToken,
  tokenIsRequiredAsPaymentInput: booleanAnswer,
  // Their texts scrubbed: a key in a `config` value becomes `[redacted]`.
  getPaymentConfig: listAnswer(PUBLIC_CONFIG, publicConfigItem),
  getPaymentGateways: listAnswer('{ id, name, currencies, config } gateways', gatewayItem),
  // A source's id is the token a next payment sends (a short secret may occur in it): kept, as an operation's ids are.
  listPaymentSources: listAnswer('{ id, gateway, creditCardInfo } payment sources', sourceItem, scrubSources),
};

/**
 * The plugin's hook function as the pipeline taps it: itself, for a money
 * hook one that tells a throw before its first await from a later rejection
 * (operationTap), or for a checked hook a function that checks each answer.
 * A plain (non-promise) value a synchronous method returns is its answer, as
 * if resolved (`onPlainValue` told, to warn): a method ported from a
 * synchronous Saleor plugin is then read the same through every path (BasePlugin's
 * getPaymentGateways awaits getPaymentConfig's value whatever it is). A
 * synchronous throw goes through unchanged, for the pipeline to report as it
 * does for any hook (a money hook's: a final decline, nothing async ran); so
 * does an async generator's iterator (non_promise). A wrong answer rejects
 * with TapViolation('invalid_answer').
 */
export function tappedHook(hookName: string, plugin: BasePlugin, method: HookFn, onPlainValue: () => void): HookFn {
  const fn = plainValuesResolved(plugin, method, onPlainValue);
  // A money hook's rejection at call is its synchronous throw (operation-taps.ts).
  if (isOperationHook(hookName)) return operationTap(plugin, fn);
  const check = Object.hasOwn(CHECKS, hookName) ? CHECKS[hookName] : undefined;
  if (check === undefined) return fn;
  return (input, previousValue) => {
    const result = fn.call(plugin, input, previousValue);
    if (!isThenable(result)) return result;
    return asNativePromise(result).then((answer) => checked(answer, check, pluginSecrets(plugin), (field) => identifierHoldsSecret(plugin, hookName, field)));
  };
}

/** Said at warn through the plugin's logger (the manager's, bound to the plugin and its channel), as PluginAnswers says it. */
function identifierHoldsSecret(plugin: BasePlugin, hook: string, field: string): void {
  (plugin as unknown as { readonly logger: Logger }).logger.warn({ hook, field, code: 'secret_in_identifier' }, secretInIdentifier(plugin.id, hook, field));
}

function checked(answer: unknown, check: AnswerCheck, secrets: readonly string[], kept: IdentifierHoldsSecret): unknown {
  // undefined passes previousValue on, as for any hook.
  if (answer === undefined) return undefined;
  try {
    return check(answer, secrets, kept);
  } catch (err) {
    // A getter that throws (a Proxy, a lazy SDK object): nothing of the answer can be trusted.
    throw new TapViolation('invalid_answer', err instanceof AnswerProblem ? err.problem : 'an answer whose fields cannot be read');
  }
}

/**
 * `method`, a plain value it returns resolved: a synchronous method cannot
 * have awaited anything outside the process, so its value is an answer like
 * an async one's. An async function (it always returns a promise) is taken as
 * it is; a generator's iterator (async or not) is no answer (left as a non-promise).
 */
function plainValuesResolved(plugin: BasePlugin, method: HookFn, onPlainValue: () => void): HookFn {
  if (returnsNativePromise(method) || types.isGeneratorFunction(method)) return method;
  return (input, previousValue) => {
    const result = method.call(plugin, input, previousValue);
    if (isThenable(result)) return result;
    onPlainValue();
    return Promise.resolve(result);
  };
}
