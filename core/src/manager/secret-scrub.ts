import type { BasePlugin, PluginClass } from '../plugin/base-plugin.js';
import { isSecretField, type ConfigValues } from '../plugin/config-structure.js';

/** Shorter values (a "1", a "true") would scrub ordinary words out of the message. */
const MIN_SECRET_LENGTH = 6;

/**
 * The plugin's secret configuration values (Secret, SecretMultiline and
 * Password fields), longest first so a key containing another is replaced whole.
 */
export function pluginSecrets(plugin: BasePlugin): string[] {
  return configurationSecrets(plugin.constructor as PluginClass, plugin.configuration);
}

/** The secret values of a configuration of `cls` (before an instance exists, e.g. for its constructor's error). */
export function configurationSecrets(cls: PluginClass, configuration: Readonly<ConfigValues>): string[] {
  const values: string[] = [];
  for (const [name, field] of Object.entries(cls.configStructure ?? {})) {
    const value = configuration[name];
    if (isSecretField(field) && typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) values.push(value);
  }
  return values.sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of a secret replaced: an SDK may echo its key in an error ("Invalid key sk_live_..."). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
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
