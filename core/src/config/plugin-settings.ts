import { z } from 'zod';
import { ERROR_CODES, PayhostError } from '../errors/index.js';
import type { PluginClass } from '../plugin/base-plugin.js';
import type { ConfigField, ConfigValue, ConfigValues } from '../plugin/config-structure.js';
import { fieldError, hasEnvReference } from './env.js';
import type { ConfigPlace } from './place.js';
import type { ConfigWarn, PluginSettings, PluginSettingsInput } from './types.js';

/** "true"/"false"/"1"/"0"/"yes"/"no"/"on"/"off" and booleans, as Saleor coerces them. */
const booleanLike = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
    .transform((s) => s === 'true' || s === '1' || s === 'yes' || s === 'on'),
]);

/** A Boolean field may hold `${NAME}` references: kept as written, read as a boolean once resolved (readBooleanFields). */
const booleanField = z.union([booleanLike, z.string().refine(hasEnvReference)]);

const stringValue = z.union([z.string(), z.null()]);

function fieldSchema(field: ConfigField): z.ZodType<ConfigValue> {
  return field.type === 'Boolean' ? booleanField : stringValue;
}

const schemaCache = new WeakMap<PluginClass, z.ZodType<ConfigValues>>();

/** One zod schema per plugin class, built on first use from its config structure. */
function schemaFor(plugin: PluginClass): z.ZodType<ConfigValues> {
  let schema = schemaCache.get(plugin);
  if (!schema) {
    const shape: Record<string, z.ZodType<ConfigValue>> = {};
    for (const [name, field] of Object.entries(plugin.configStructure)) {
      if (field.type !== 'Output') shape[name] = fieldSchema(field).optional() as z.ZodType<ConfigValue>;
    }
    schema = z.object(shape) as unknown as z.ZodType<ConfigValues>;
    schemaCache.set(plugin, schema);
  }
  return schema;
}

function defaultFor(plugin: PluginClass, name: string, field: ConfigField): ConfigValue {
  const value = plugin.defaultConfiguration[name];
  if (value !== undefined) return value;
  return field.type === 'Boolean' ? false : null;
}

/**
 * Validates a plugin's settings against its config structure: unknown fields
 * are dropped with a warning, Output fields are read-only (ignored with a
 * warning), booleans are coerced, defaults are back-filled.
 */
export function validatePluginSettings(
  plugin: PluginClass,
  input: PluginSettingsInput | undefined,
  where: Record<string, unknown>,
  warn: ConfigWarn,
): PluginSettings {
  const raw = input ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `Settings of plugin "${plugin.id}" must be an object`, where);
  }
  const activeResult = raw.active === undefined ? { success: true as const, data: plugin.defaultActive } : booleanLike.safeParse(raw.active);
  if (!activeResult.success) {
    // The flag is read where no environment is (saved settings, views, routing), so it takes no reference.
    const reference = typeof raw.active === 'string' && hasEnvReference(raw.active) ? ' (it cannot hold an environment reference)' : '';
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `"active" of plugin "${plugin.id}" must be a boolean${reference}`, where);
  }
  const given = raw.configuration ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `"configuration" of plugin "${plugin.id}" must be an object`, where);
  }
  for (const key of Object.keys(given)) {
    const field = plugin.configStructure[key];
    if (!field) warn(`Unknown configuration field "${key}" of plugin "${plugin.id}" dropped`, { ...where, field: key });
    else if (field.type === 'Output') warn(`Output field "${key}" of plugin "${plugin.id}" is read-only; value ignored`, { ...where, field: key });
  }
  const parsed = schemaFor(plugin).safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    const type = plugin.configStructure[field]?.type ?? 'value';
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `Configuration field "${field}" of plugin "${plugin.id}" is invalid: expected a ${type === 'Boolean' ? 'boolean' : 'string'}`,
      { ...where, field },
    );
  }
  const configuration: ConfigValues = {};
  for (const [name, field] of Object.entries(plugin.configStructure)) {
    const value = field.type === 'Output' ? undefined : parsed.data[name];
    configuration[name] = value === undefined ? defaultFor(plugin, name, field) : value;
  }
  return { active: activeResult.data, configuration };
}

/**
 * Reads the Boolean fields of resolved configuration values (`resolved`: `written` with its `${NAME}`
 * references replaced) as booleans: one that is not a boolean once resolved is invalid_configuration naming
 * the field and the variables (never the value: the variable may hold anything).
 */
export function readBooleanFields(
  plugin: PluginClass,
  written: Readonly<ConfigValues>,
  resolved: ConfigValues,
  where: Record<string, unknown>,
  /** Where the settings are written in the configuration file: named by the error (as resolveEnvReferences's). */
  place?: ConfigPlace,
): ConfigValues {
  for (const [name, field] of Object.entries(plugin.configStructure)) {
    const value = resolved[name];
    if (field.type !== 'Boolean' || typeof value !== 'string') continue;
    const read = booleanLike.safeParse(value);
    if (read.success) {
      resolved[name] = read.data;
      continue;
    }
    const variables = [...String(written[name]).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    const says = `is not a boolean once its environment references (${variables.join(', ')}) are resolved: set it to true, false, 1, 0, yes, no, on or off`;
    if (place !== undefined) throw fieldError(name, says, { ...where, field: name, variables }, place);
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `Boolean field "${name}" of plugin "${plugin.id}" ${says}`, { ...where, field: name, variables });
  }
  return resolved;
}
