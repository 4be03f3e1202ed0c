import { Decimal } from 'decimal.js';
import type { BasePlugin, PluginClass } from '../plugin/base-plugin.js';
import { isSecretField, type ConfigValues } from '../plugin/config-structure.js';

/** Shorter values (a "1", a "true") would scrub ordinary words out of the message. */
const MIN_SECRET_LENGTH = 6;

/**
 * The plugin's secret configuration values (Secret, SecretMultiline and
 * Password fields), longest first so a key containing another is replaced whole.
 */
export function pluginSecrets(plugin: BasePlugin): string[] {
  // Read on every answer a plugin gives: computed once per instance and configuration object (frozen).
  const known = secretsByPlugin.get(plugin);
  if (known !== undefined && known.configuration === plugin.configuration) return known.secrets;
  const secrets = configurationSecrets(plugin.constructor as PluginClass, plugin.configuration);
  secretsByPlugin.set(plugin, { configuration: plugin.configuration, secrets });
  return secrets;
}

const secretsByPlugin = new WeakMap<BasePlugin, { configuration: object; secrets: string[] }>();

/** The secret values of a configuration of `cls` (before an instance exists, e.g. for its constructor's error). */
export function configurationSecrets(cls: PluginClass, configuration: Readonly<ConfigValues>): string[] {
  const values: string[] = [];
  for (const [name, field] of Object.entries(cls.configStructure ?? {})) {
    const value = configuration[name];
    if (isSecretField(field) && typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) values.push(value);
  }
  return values.sort((a, b) => b.length - a.length);
}

/**
 * The secrets to scrub from a message written for the operator (a rejected configuration): not a
 * value that is part of one of the plugin's field names or labels, such as a placeholder "secret" or
 * "password", which scrubbing would turn "webhook_secret is malformed" into "webhook_[redacted] is
 * malformed" with, and which protects nothing. Logs scrub every secret.
 */
export function operatorMessageSecrets(cls: PluginClass, secrets: readonly string[]): string[] {
  const words = Object.entries(cls.configStructure ?? {}).flatMap(([name, field]) => [name.toLowerCase(), field.label.toLowerCase()]);
  return secrets.filter((secret) => !words.some((word) => word.includes(secret.toLowerCase())));
}

const REDACTED = '[redacted]';
const REDACTED_BYTES = Buffer.from(REDACTED, 'utf8');

/** `text` with every occurrence of a secret replaced: an SDK may echo its key in an error ("Invalid key sk_live_..."). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    out = out.split(secret).join(REDACTED);
    // As JSON prints it too (a message describing a thrown object): a secret with a quote, a backslash or a newline.
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join(REDACTED);
  }
  return out;
}

/**
 * A plugin's thrown value as a log line may carry it. pino's redaction works
 * on field names, not on text inside a message: an Error whose message, stack
 * or other text fields (Node's ERR_INVALID_URL keeps the URL in `input`) hold
 * a secret becomes a new Error of its class (name, message, stack, code, its
 * other text fields) with the secrets scrubbed; its fields that are not text,
 * which may hold the same secret deeper, are dropped. Any other Error is
 * logged as it is.
 */
export function loggableError(error: unknown, secrets: readonly string[]): unknown {
  if (!(error instanceof Error)) return undefined;
  const fields = textFields(error);
  const text = `${error.message}\n${error.stack ?? ''}\n${Object.values(fields).join('\n')}`;
  if (!secrets.some((secret) => text.includes(secret))) return error;
  // An Error again, so pino's error serializer shows it as one (type, message, stack);
  // of the same class, so its type still says what broke (a TypeError is a bug).
  const copy = new Error(scrubSecrets(error.message, secrets));
  Object.setPrototypeOf(copy, Object.getPrototypeOf(error) as object);
  copy.name = error.name;
  copy.stack = error.stack === undefined ? undefined : scrubSecrets(error.stack, secrets);
  for (const [name, value] of Object.entries(fields)) Object.assign(copy, { [name]: scrubSecrets(value, secrets) });
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number') Object.assign(copy, { code });
  return copy;
}

/** The error's own enumerable fields holding text (a `code`, an `input`, a `path`...), by name. */
function textFields(error: Error): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(error)) {
    if (typeof value === 'string' && name !== 'message' && name !== 'stack') out[name] = value;
  }
  return out;
}

/** Deeper than this, a plugin's answer is cut ('[truncated]' when it holds a secret): the ledger keeps 12 levels. */
const MAX_SCRUB_DEPTH = 64;

/**
 * `value` (a plugin's answer: a GatewayResponse, a webhook answer) with every
 * secret replaced by `[redacted]` in its text: strings, object keys and
 * Buffers, at any depth. The same value when it holds none (the usual case:
 * nothing is copied); else a copy, cycles kept, Decimals and Dates as they
 * are. Only own enumerable fields are read, which is what the ledger stores
 * and JSON sends. Throws what a getter of the answer throws.
 */
export function scrubAnswer<T>(value: T, secrets: readonly string[]): T {
  if (!answerHoldsSecret(value, secrets)) return value;
  return scrubCopy(value, secrets, 0, new Map()) as T;
}

/** Whether `value` holds one of the secrets anywhere scrubAnswer looks (or is too deep to tell). */
export function answerHoldsSecret(value: unknown, secrets: readonly string[]): boolean {
  if (secrets.length === 0) return false;
  return holdsSecret(value, needlesOf(secrets), 0, new Set());
}

/** The secrets, and the length of the shortest: a shorter text holds none (most of an answer's texts). */
interface Needles {
  secrets: readonly string[];
  shortest: number;
}

/** A plugin's secrets list is cached per instance (pluginSecrets): its needles are computed once too, not per answer. */
const needlesBySecrets = new WeakMap<readonly string[], Needles>();

function needlesOf(secrets: readonly string[]): Needles {
  let needles = needlesBySecrets.get(secrets);
  if (needles === undefined) needlesBySecrets.set(secrets, (needles = { secrets, shortest: Math.min(...secrets.map((secret) => secret.length)) }));
  return needles;
}

function isOpaque(value: object): boolean {
  return Decimal.isDecimal(value) || value instanceof Date;
}

function textHolds(text: string, needles: Needles): boolean {
  if (text.length < needles.shortest) return false;
  for (const secret of needles.secrets) if (text.includes(secret)) return true;
  return false;
}

function holdsSecret(value: unknown, needles: Needles, depth: number, seen: Set<object>): boolean {
  if (typeof value === 'string') return textHolds(value, needles);
  if (typeof value !== 'object' || value === null || seen.has(value) || isOpaque(value)) return false;
  if (Buffer.isBuffer(value)) return needles.secrets.some((secret) => value.includes(secret));
  // Too deep to look through: taken as holding one, so the copy cuts it.
  if (depth >= MAX_SCRUB_DEPTH) return true;
  seen.add(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (textHolds(key, needles) || holdsSecret(record[key], needles, depth + 1, seen)) return true;
  }
  return false;
}

function scrubCopy(value: unknown, secrets: readonly string[], depth: number, copies: Map<object, unknown>): unknown {
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (typeof value !== 'object' || value === null || isOpaque(value)) return value;
  const known = copies.get(value);
  if (known !== undefined) return known;
  if (Buffer.isBuffer(value)) return scrubBuffer(value, secrets);
  if (depth >= MAX_SCRUB_DEPTH) return '[truncated]';
  // The copy is registered before its fields are: a cycle back to it points at the copy, not at the original.
  const copy: Record<string, unknown> = Array.isArray(value) ? ([] as unknown as Record<string, unknown>) : (Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>);
  copies.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[scrubSecrets(key, secrets)] = scrubCopy(item, secrets, depth + 1, copies);
  return copy;
}

/** A Buffer (a webhook answer's body) with each secret's UTF-8 bytes replaced. */
function scrubBuffer(buffer: Buffer, secrets: readonly string[]): Buffer {
  let out = buffer;
  for (const secret of secrets) {
    const needle = Buffer.from(secret, 'utf8');
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = out.indexOf(needle); at !== -1; at = out.indexOf(needle, from)) {
      parts.push(out.subarray(from, at), REDACTED_BYTES);
      from = at + needle.length;
    }
    if (parts.length > 0) out = Buffer.concat([...parts, out.subarray(from)]);
  }
  return out;
}
