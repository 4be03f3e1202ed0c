import {
  mergeConfiguration,
  refuseNewEnvReferences,
  type PluginClass,
  type PluginConfigurationUpdate,
  type PluginConfigurationView,
  type PluginSettings,
  type PluginSettingsInput,
} from '@payhost/core';
import { pluginConfigurationSchema } from './schemas.js';

// A saved change this version refuses (an older version saved a value since bounded): how the admin API shows it
// and how a PUT is made over it (PluginSettingsSync.savedChangeOf, readRevisionOf, change).

/** `savedChange` of a GET: present only while the latest save is not in force. */
export const savedChangeSchema = {
  type: 'object',
  description:
    'Only while the latest saved change (admin API) is not in force because this version refuses its settings (one an older version saved): the configuration shown is the file\'s, and the `ETag` is this revision. A `PUT` with it is made over that saved change (its `active` and secrets kept) and checked whole; a `DELETE` with it withdraws it',
  required: ['revision', 'inForce', 'reason', 'message'],
  properties: {
    revision: { type: 'integer' },
    inForce: { type: 'boolean', enum: [false] },
    reason: { type: 'string', description: 'The code of the error the plugin refused it with, e.g. `invalid_configuration`' },
    message: { type: 'string', description: 'Why it was refused: the field and what this version accepts' },
  },
} as const;

/** The PluginConfiguration a GET answers, with `savedChange`. */
export const pluginConfigurationReadSchema = {
  type: 'object',
  required: pluginConfigurationSchema.required,
  properties: { ...pluginConfigurationSchema.properties, savedChange: savedChangeSchema },
} as const;

/**
 * An admin update merged over a saved change this version refused, as core merges one over the settings in
 * force (a masked secret sent back keeps the saved one; no new `${VAR}`; a new address for the secrets must
 * send them again): not validated here, the whole result is (preparePluginSettings).
 */
export function updateOverSaved(view: PluginConfigurationView, base: PluginSettings, update: PluginConfigurationUpdate, where: { plugin: string; channel: string | null }): PluginSettingsInput {
  // mergeConfiguration reads the plugin's id and configStructure only; the server has the view, not the class.
  const shape = { id: view.id, configStructure: view.configStructure } as Pick<PluginClass, 'id' | 'configStructure'> as PluginClass;
  refuseNewEnvReferences(update.configuration ?? {}, base.configuration, where);
  return { active: update.active ?? base.active, configuration: mergeConfiguration(shape, base.configuration, update.configuration ?? {}, where) };
}
