import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { ADDRESS_FIELD_TYPES, CONFIG_FIELD_TYPES } from '../plugin/config-structure.js';
import { PAYMENT_HOOK_NAMES } from '../plugin/hooks.js';
import { isPluginId, PLUGIN_ID_RULE } from '../plugin/plugin-id.js';
import { BasePlugin, type PluginClass } from '../plugin/base-plugin.js';
import { describeExport } from './describe-export.js';

const FIELD_TYPES: ReadonlySet<string> = new Set(CONFIG_FIELD_TYPES);

function invalid(source: string, message: string, reason = 'invalid_plugin'): PayhostError {
  return new PayhostError(ERROR_CODES.pluginLoad, `${source}: ${message}`, { source, reason });
}

/**
 * What the manager calls on every plugin instance besides hooks: BasePlugin
 * provides them. A class from another copy of @payhost/core fails
 * `instanceof`-style checks, so the shape is what is checked.
 */
const INSTANCE_MEMBERS = ['id', 'pluginName', 'gatewayConfig', 'getPaymentGateways'] as const;

/**
 * Checks what the manager relies on before any plugin runs: a class with a
 * non-empty id, BasePlugin's members, hooks that are functions, a valid config
 * structure, defaults only for declared fields and of their field's type, and
 * boolean flags.
 */
export function validatePluginClass(candidate: unknown, source: string): PluginClass {
  if (typeof candidate !== 'function' || !candidate.prototype) {
    throw invalid(source, `the export is not a plugin class: it is ${describeExport(candidate)}`, 'bad_export');
  }
  const cls = candidate as PluginClass;
  checkId(cls, source);
  // The id is a path segment of the plugin's URLs (/plugins/channel/<channel>/<id>/..., the admin API's): the server checks ids by the same rule.
  if (!isPluginId(cls.id)) throw invalid(source, `the static id ${JSON.stringify(cls.id)} is not a valid plugin id (${PLUGIN_ID_RULE}): it is a segment of the plugin's URLs; e.g. "acme.gateway"`);
  const prototype = cls.prototype as Record<string, unknown>;
  checkPluginShape(cls, prototype, source);
  for (const hook of PAYMENT_HOOK_NAMES) {
    if (hook in prototype && typeof prototype[hook] !== 'function') throw invalid(source, `hook "${hook}" of "${cls.id}" is not a function`);
  }
  // The manager calls it when it closes or replaces an instance: a non-function would leak what it holds.
  if ('close' in prototype && typeof prototype['close'] !== 'function') throw invalid(source, `close of "${cls.id}" is not a function`);
  const structure = checkConfigStructure(cls, source);
  checkDefaultConfiguration(cls, structure, source);
  if (typeof cls.configurationPerChannel !== 'boolean') throw invalid(source, `configurationPerChannel of "${cls.id}" must be a boolean`);
  // Given as "false" (a string), it would turn the plugin on: any non-empty string is truthy.
  if (cls.defaultActive !== undefined && typeof cls.defaultActive !== 'boolean') {
    throw invalid(source, `defaultActive of "${cls.id}" must be a boolean, not ${JSON.stringify(cls.defaultActive)}`);
  }
  return cls;
}

/** The static id, a non-empty string: what is wrong with it said as it is (missing, not a string, empty). */
function checkId(cls: PluginClass, source: string): void {
  const id: unknown = cls.id;
  const name = cls.name || '(anonymous)';
  if (id === undefined) throw invalid(source, `the plugin class ${name} has no static "id": give it one, e.g. \`static id = 'acme.gateway'\``, 'bad_export');
  if (typeof id !== 'string') throw invalid(source, `the static "id" of ${name} must be a string, not ${describeExport(id)}`, 'bad_export');
  if (id.trim() === '') throw invalid(source, `the static "id" of ${name} is empty: give it a stable id, e.g. 'acme.gateway'`, 'bad_export');
}

/** A BasePlugin subclass, or a class with the members the manager calls on its instances. */
function checkPluginShape(cls: PluginClass, prototype: Record<string, unknown>, source: string): void {
  if (prototype instanceof BasePlugin) return;
  const missing = INSTANCE_MEMBERS.filter((name) => !(name in prototype) || (name !== 'id' && name !== 'pluginName' && typeof prototype[name] !== 'function'));
  if (missing.length === 0) return;
  const fix = `it must extend BasePlugin from @payhost/core (\`class ${cls.name || 'Plugin'} extends BasePlugin\`)`;
  // Listing every instance member it lacks ("lacks id, pluginName") reads as wrong next to its static id: only a partial copy gets the list.
  const lacks = missing.length === INSTANCE_MEMBERS.length ? '' : `; its instances lack ${missing.join(', ')}, which BasePlugin provides`;
  throw invalid(source, `"${cls.id}" does not extend BasePlugin: ${fix}${lacks}`);
}

function checkConfigStructure(cls: PluginClass, source: string): Record<string, { type: string }> {
  const structure: unknown = cls.configStructure;
  if (typeof structure !== 'object' || structure === null || Array.isArray(structure)) {
    throw invalid(source, `configStructure of "${cls.id}" must be an object`);
  }
  for (const [name, field] of Object.entries(structure as Record<string, unknown>)) {
    const f = field as { type?: unknown; label?: unknown } | null;
    if (!f || typeof f !== 'object' || !FIELD_TYPES.has(String(f.type))) {
      const meant = CONFIG_FIELD_TYPES.find((type) => typeof f?.type === 'string' && type.toLowerCase() === f.type.toLowerCase());
      const hint = meant ? ` (did you mean "${meant}"? field types are case-sensitive)` : '';
      throw invalid(source, `config field "${name}" of "${cls.id}" has type ${JSON.stringify(f?.type)}${hint}; expected one of ${CONFIG_FIELD_TYPES.join(', ')}`);
    }
    if (typeof f.label !== 'string' || f.label === '') throw invalid(source, `config field "${name}" of "${cls.id}" has no label`);
    checkReceivesSecrets(cls, name, f as { type: string; receivesSecrets?: unknown }, source);
    const fileOnly = (f as { fileOnly?: unknown }).fileOnly;
    // Given as 'no' (a string) it would be enforced as true.
    if (fileOnly !== undefined && typeof fileOnly !== 'boolean') throw invalid(source, `fileOnly of config field "${name}" of "${cls.id}" must be a boolean, not ${JSON.stringify(fileOnly)}`);
  }
  return structure as Record<string, { type: string }>;
}

/**
 * `receivesSecrets` guards where the secrets go: given as 'no' (a string) it
 * would be enforced as true, and on a field that holds no address (a secret,
 * a Boolean, an Output) it guards nothing, so the author meant another field.
 */
function checkReceivesSecrets(cls: PluginClass, name: string, field: { type: string; receivesSecrets?: unknown }, source: string): void {
  const flag = field.receivesSecrets;
  if (flag === undefined || flag === false) return;
  if (flag !== true) throw invalid(source, `receivesSecrets of config field "${name}" of "${cls.id}" must be a boolean, not ${JSON.stringify(flag)}`);
  if (!(ADDRESS_FIELD_TYPES as readonly string[]).includes(field.type)) {
    throw invalid(source, `config field "${name}" of "${cls.id}" declares receivesSecrets but is of type ${field.type}, which holds no address: receivesSecrets belongs on the field that holds the address the secrets are sent to (a ${ADDRESS_FIELD_TYPES.join(' or ')} field)`);
  }
}

/**
 * Defaults are used as they are (settings are validated, defaults are not):
 * each must name a declared field and hold its type, a boolean for a Boolean
 * field, a string or null for any other.
 */
function checkDefaultConfiguration(cls: PluginClass, structure: Record<string, { type: string }>, source: string): void {
  const defaults: unknown = cls.defaultConfiguration ?? {};
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) {
    throw invalid(source, `defaultConfiguration of "${cls.id}" must be an object`);
  }
  for (const [name, value] of Object.entries(defaults as Record<string, unknown>)) {
    const field = Object.hasOwn(structure, name) ? structure[name] : undefined;
    if (!field) throw invalid(source, `default configuration of "${cls.id}" names unknown field "${name}"`);
    const ok = field.type === 'Boolean' ? typeof value === 'boolean' : typeof value === 'string' || value === null;
    if (!ok) {
      const expected = field.type === 'Boolean' ? 'a boolean' : 'a string or null';
      throw invalid(source, `default of ${field.type} field "${name}" of "${cls.id}" must be ${expected}, not ${JSON.stringify(value)}`);
    }
  }
}
