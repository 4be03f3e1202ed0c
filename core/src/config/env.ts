import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { ConfigValues } from '../plugin/config-structure.js';

/** `${NAME}`, or `${NAME:-fallback}` (the fallback is used when NAME is unset or empty, as in the shell). */
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function hasEnvReference(value: string): boolean {
  ENV_REF.lastIndex = 0;
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
function refuseMalformedReferences(key: string, value: string, where: Record<string, unknown>): void {
  let nested = false;
  const rest = value.replace(ENV_REF, (_match, _name: string, fallback: string | undefined) => {
    if (fallback?.includes('${')) nested = true;
    return '';
  });
  if (!nested && !rest.includes('${')) return;
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `Configuration field "${key}" holds a malformed environment reference: write \${NAME} or \${NAME:-fallback} (NAME: letters, digits, _; no nesting)`,
    { ...where, field: key },
  );
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
): ConfigValues {
  const out: ConfigValues = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'string' && value.includes('${')) refuseMalformedReferences(key, value, where);
    out[key] =
      typeof value === 'string'
        ? value.replace(ENV_REF, (_match, name: string, fallback: string | undefined) => {
            const set = env[name];
            const resolved = set === undefined || (set === '' && fallback !== undefined) ? fallback : set;
            if (resolved === undefined) {
              throw new PayhostError(
                ERROR_CODES.invalidConfiguration,
                `Configuration field "${key}" references environment variable ${name}, which is not set`,
                { ...where, field: key, variable: name },
              );
            }
            return resolved;
          })
        : value;
  }
  return out;
}
