import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { ConfigValues } from '../plugin/config-structure.js';
import { placeError, type ConfigPlace } from './place.js';

/** `${NAME}`, or `${NAME:-fallback}` (the fallback is used when NAME is unset or empty, as in the shell). */
const ENV_REF_SOURCE = String.raw`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`;

/** Not global: test() then keeps no lastIndex between calls. */
const ENV_REF = new RegExp(ENV_REF_SOURCE);

/**
 * A fresh global copy for each replace()/matchAll(): a shared global regex carries the lastIndex a
 * test() left, which matchAll copies (a reference before it was then missed).
 */
function envRefs(): RegExp {
  return new RegExp(ENV_REF_SOURCE, 'g');
}

export function hasEnvReference(value: string): boolean {
  return ENV_REF.test(value);
}

/**
 * An update from outside the configuration file (the admin API) may not add
 * `${NAME}` references: the process would resolve them, and a public field
 * (a publishable key shown by the checkout) would hand out any environment
 * variable, secrets included. A reference the stored value already holds,
 * sent back unchanged, is kept.
 */
export function refuseNewEnvReferences(update: Readonly<Record<string, unknown>>, current: Readonly<ConfigValues>, where: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(update)) {
    if (typeof value !== 'string' || !hasEnvReference(value) || value === current[key]) continue;
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `Field "${key}": environment references (\${NAME}) can be set in the configuration file only, not through an update`,
      { ...where, field: key },
    );
  }
}

/**
 * Refuses a `${` that is not a reference this syntax knows (`${ NAME }`,
 * `${my-key}`, `${NAME-x}`, `${NAME:=x}`, or one nested in a fallback): left
 * as is, the literal text would become the secret the plugin sends.
 */
function refuseMalformedReferences(key: string, value: string, where: Record<string, unknown>, place: ConfigPlace | undefined): void {
  let nested = false;
  const rest = value.replace(envRefs(), (_match, _name: string, fallback: string | undefined) => {
    if (fallback?.includes('${')) nested = true;
    return '';
  });
  if (!nested && !rest.includes('${')) return;
  throw fieldError(
    key,
    'holds a malformed environment reference: write \${NAME} or \${NAME:-fallback} (NAME: letters, digits, _; no nesting)',
    { ...where, field: key },
    place,
  );
}

/**
 * An error about one field: with `place` (a plugin's settings in the file), said as the other errors at a
 * place in the configuration are (`Invalid configuration at "channels.1.plugins.acme.configuration.api_key"
 * (channel "eu-store"): field "api_key" …`, details.path); without it, `Configuration field "<key>" …`.
 */
export function fieldError(key: string, says: string, details: Record<string, unknown>, place: ConfigPlace | undefined): PayhostError {
  if (place === undefined) return new PayhostError(ERROR_CODES.invalidConfiguration, `Configuration field "${key}" ${says}`, details);
  return placeError(`${place.path}.configuration.${key}`, place.channel, `field "${key}" ${says}`, details);
}

/**
 * Replaces `${NAME}` references with environment values. A reference to an
 * unset variable, or a malformed one, is a configuration error: a secret
 * silently becoming "" (or the literal reference) would only fail later, at
 * the processor.
 */
export function resolveEnvReferences(
  values: Readonly<ConfigValues>,
  env: NodeJS.ProcessEnv,
  where: Record<string, unknown>,
  /** Where these values are written in the configuration file (a plugin's settings): named by every error. */
  place?: ConfigPlace,
): ConfigValues {
  const out: ConfigValues = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string' && value.includes('${')) refuseMalformedReferences(key, value, where, place);
    out[key] =
      typeof value === 'string'
        ? value.replace(envRefs(), (_match, name: string, fallback: string | undefined) => {
            const set = env[name];
            const resolved = set === undefined || (set === '' && fallback !== undefined) ? fallback : set;
            if (resolved === undefined) {
              throw fieldError(key, `references environment variable ${name}, which is not set`, { ...where, field: key, variable: name }, place);
            }
            return resolved;
          })
        : value;
  }
  return out;
}

/** One `${NAME}` reference whose variable is not set (and has no fallback): see unsetEnvReferences. */
export interface UnsetEnvReference {
  field: string;
  variable: string;
}

/** Every reference in `values` to a variable that is not set and has no fallback, in field order: what resolveEnvReferences stops at the first of. */
export function unsetEnvReferences(values: Readonly<ConfigValues>, env: NodeJS.ProcessEnv): UnsetEnvReference[] {
  const unset: UnsetEnvReference[] = [];
  for (const [field, value] of Object.entries(values)) {
    if (typeof value !== 'string') continue;
    for (const match of value.matchAll(envRefs())) {
      const variable = match[1] as string;
      if (env[variable] === undefined && match[2] === undefined) unset.push({ field, variable });
    }
  }
  return unset;
}
