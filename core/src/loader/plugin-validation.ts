import { ERROR_CODES, PayhostError } from '../errors/index.js';
import { CONFIG_FIELD_TYPES } from '../plugin/config-structure.js';
import { PAYMENT_HOOK_NAMES } from '../plugin/hooks.js';
import type { PluginClass } from '../plugin/base-plugin.js';

const FIELD_TYPES: ReadonlySet<string> = new Set(CONFIG_FIELD_TYPES);

function invalid(source: string, message: string, reason = 'invalid_plugin'): PayhostError {
  return new PayhostError(ERROR_CODES.pluginLoad, `${source}: ${message}`, { source, reason });
}

/**
 * Checks what the manager relies on before any plugin runs: a class with a
 * non-empty id, hooks that are functions, a valid config structure, and
 * defaults only for declared fields.
 */
export function validatePluginClass(candidate: unknown, source: string): PluginClass {
  if (typeof candidate !== 'function' || !candidate.prototype) throw invalid(source, 'the export is not a plugin class', 'bad_export');
  const cls = candidate as PluginClass;
  if (typeof cls.id !== 'string' || cls.id.trim() === '') throw invalid(source, 'the plugin class has no static "id"', 'bad_export');
  const prototype = cls.prototype as Record<string, unknown>;
  for (const hook of PAYMENT_HOOK_NAMES) {
    if (hook in prototype && typeof prototype[hook] !== 'function') throw invalid(source, `hook "${hook}" of "${cls.id}" is not a function`);
  }
  const structure: unknown = cls.configStructure;
  if (typeof structure !== 'object' || structure === null || Array.isArray(structure)) {
    throw invalid(source, `configStructure of "${cls.id}" must be an object`);
  }
  for (const [name, field] of Object.entries(structure as Record<string, unknown>)) {
    const f = field as { type?: unknown; label?: unknown } | null;
    if (!f || typeof f !== 'object' || !FIELD_TYPES.has(String(f.type))) {
      throw invalid(source, `config field "${name}" of "${cls.id}" has type ${JSON.stringify(f?.type)}; expected one of ${CONFIG_FIELD_TYPES.join(', ')}`);
    }
    if (typeof f.label !== 'string' || f.label === '') throw invalid(source, `config field "${name}" of "${cls.id}" has no label`);
  }
  for (const name of Object.keys(cls.defaultConfiguration ?? {})) {
    if (!(name in (structure as object))) throw invalid(source, `default configuration of "${cls.id}" names unknown field "${name}"`);
  }
  if (typeof cls.configurationPerChannel !== 'boolean') throw invalid(source, `configurationPerChannel of "${cls.id}" must be a boolean`);
  return cls;
}
