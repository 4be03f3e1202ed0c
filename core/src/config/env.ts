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
 * Replaces `${NAME}` references with environment values. A reference to an
 * unset variable is a configuration error: a secret silently becoming "" would
 * only fail later, at the processor.
 */
export function resolveEnvReferences(
  values: Readonly<ConfigValues>,
  env: NodeJS.ProcessEnv,
  where: Record<string, unknown>,
): ConfigValues {
  const out: ConfigValues = {};
  for (const [key, value] of Object.entries(values)) {
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
