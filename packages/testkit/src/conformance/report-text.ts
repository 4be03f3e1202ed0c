import { Decimal, formatAmount, isIsoCurrency, minorUnits, type GatewayResponse } from '@payhost/core';
import { show } from './checks.js';

// How the conformance suite words what it saw: errors, amounts, responses, a hook that threw.

export function message(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `[${code}] ${err.message}` : err.message;
  }
  return String(err);
}

/** An amount with its currency's decimals when that loses nothing (10.50 USD), else as it is. */
export function money(amount: unknown, currency: unknown): string {
  if (!Decimal.isDecimal(amount)) return show(amount);
  const value = amount as Decimal;
  if (typeof currency === 'string' && isIsoCurrency(currency) && value.decimalPlaces() <= minorUnits(currency)) return formatAmount(value, currency);
  return value.toString();
}

export function summary(r: GatewayResponse): string {
  const amount = (r as { amount?: unknown }).amount;
  const parts = [`isSuccess ${String(r.isSuccess)}`, `kind ${String(r.kind)}`, `amount ${money(amount, r.currency)} ${String(r.currency)}`];
  if (r.actionRequired) parts.push('actionRequired');
  if (r.errorCode) parts.push(`errorCode ${r.errorCode}`);
  return `${parts.join(', ')}${r.error ? `: "${r.error}"` : ''}`;
}

export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * What a hook that threw did, for the author: the error's class and message and
 * where it was thrown (the first frame of the logged stack), e.g. "the hook
 * processPayment threw TypeError: Cannot read properties of undefined (reading
 * 'id'), at AcmePlugin.processPayment (src/plugin.ts:42:11)". Null for
 * failures that are not a throw (a timeout, a non-promise).
 */
export function thrownMessage(hook: string, reason: string, err: unknown): string | null {
  if ((reason !== 'threw' && reason !== 'rejected') || typeof err !== 'object' || err === null) return null;
  const { type, message, stack } = err as { type?: unknown; message?: unknown; stack?: unknown };
  const frame = typeof stack === 'string' ? /^\s+at (.+)$/m.exec(stack)?.[1] : undefined;
  const what = `${typeof type === 'string' ? type : 'Error'}: ${typeof message === 'string' ? message : String(message)}`;
  // 'threw' is also an async money hook throwing before its first await (nothing async ran): not "synchronously".
  return `the hook ${hook} ${reason === 'threw' ? 'threw' : 'rejected after an await with'} ${what}${frame ? `, at ${frame}` : ''}`;
}
