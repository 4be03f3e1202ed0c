import type { BasePlugin } from '../plugin/base-plugin.js';
import { asNativePromise, isThenable, type HookFn } from './hook-dispatch.js';
import { TapViolation } from './plugin-failure.js';
import { pluginSecrets, scrubAnswer, scrubSecrets } from './secret-scrub.js';

// The hooks whose answers reach API clients (the public checkout API's included) as they are: each
// plugin's answer is checked and its secrets scrubbed before the next plugin, or the host, sees it.

/** What is wrong with an answer: thrown by a check, reported as the plugin's `invalid_answer`. */
class AnswerProblem {
  constructor(readonly problem: string) {}
}

/** One plugin's answer as it is passed on (its secrets scrubbed), or an AnswerProblem thrown. Never given undefined. */
type AnswerCheck = (answer: unknown, secrets: readonly string[]) => unknown;

/**
 * A client token is handed to the browser: one holding a secret is a plugin
 * bug, refused rather than sent with `[redacted]` in it, which no client
 * could use as a token.
 */
function clientToken(answer: unknown, secrets: readonly string[]): unknown {
  if (typeof answer === 'string' && scrubSecrets(answer, secrets) !== answer) {
    throw new AnswerProblem("a token holding one of the plugin's secret values");
  }
  return answer;
}

/** Listings, public configuration and payment sources: their texts scrubbed (a key in a `config` value becomes `[redacted]`). */
function scrubbed(answer: unknown, secrets: readonly string[]): unknown {
  return scrubAnswer(answer, secrets);
}

const CHECKS: Readonly<Record<string, AnswerCheck>> = {
  getClientToken: clientToken,
  getPaymentConfig: scrubbed,
  getPaymentGateways: scrubbed,
  listPaymentSources: scrubbed,
};

/**
 * The plugin's hook function as the pipeline taps it: itself, or for a
 * checked hook a function that checks each answer. A synchronous throw or a
 * non-promise goes through unchanged, for the pipeline to report as it does
 * for any hook; a wrong answer rejects with TapViolation('invalid_answer').
 */
export function tappedHook(hookName: string, plugin: BasePlugin, fn: HookFn): HookFn {
  const check = Object.hasOwn(CHECKS, hookName) ? CHECKS[hookName] : undefined;
  if (check === undefined) return fn;
  return (input, previousValue) => {
    const result = fn.call(plugin, input, previousValue);
    if (!isThenable(result)) return result;
    return asNativePromise(result).then((answer) => checked(answer, check, pluginSecrets(plugin)));
  };
}

function checked(answer: unknown, check: AnswerCheck, secrets: readonly string[]): unknown {
  // undefined passes previousValue on, as for any hook.
  if (answer === undefined) return undefined;
  try {
    return check(answer, secrets);
  } catch (err) {
    // A getter that throws (a Proxy, a lazy SDK object): nothing of the answer can be trusted.
    throw new TapViolation('invalid_answer', err instanceof AnswerProblem ? err.problem : 'an answer whose fields cannot be read');
  }
}
