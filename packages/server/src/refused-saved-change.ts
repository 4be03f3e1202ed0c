import {
  maskConfiguration,
  mergeConfiguration,
  type PayhostError,
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
  required: ['revision', 'inForce', 'reason', 'message', 'active', 'configuration'],
  properties: {
    revision: { type: 'integer' },
    inForce: { type: 'boolean', enum: [false] },
    reason: { type: 'string', description: 'The code of the error the plugin refused it with, e.g. `invalid_configuration`' },
    message: { type: 'string', description: 'Why it was refused: the field and what this version accepts' },
    active: { type: 'boolean', description: 'The saved change\'s `active` (the one shown beside is the file\'s)' },
    configuration: {
      type: 'object',
      additionalProperties: { type: ['string', 'boolean', 'null'] },
      description:
        'The saved change\'s settings, secrets masked as the configuration shown is: the form to show and send back (its masks keep the saved secrets; the file\'s masks shown beside are `stale_mask` for a secret that save rotated)',
    },
  },
} as const;

/** What `savedChange` answers: a save this version refused, its settings masked as a GET masks the ones in force. */
export interface SavedChangeView {
  revision: number;
  inForce: false;
  reason: string;
  message: string;
  active: boolean;
  configuration: Record<string, unknown>;
}

export function savedChangeView(view: PluginConfigurationView, refused: { revision: number; settings: PluginSettings; error: PayhostError }): SavedChangeView {
  const { revision, settings, error } = refused;
  // Core's masking (maskConfiguration): never a secret in clear, and the masks a PUT over the save keeps.
  return { revision, inForce: false, reason: error.code, message: error.message, active: settings.active, configuration: maskConfiguration(shapeOf(view), settings.configuration) };
}

// Core's masking and merge read the plugin's id and configStructure only; the server has the view, not the class.
function shapeOf(view: PluginConfigurationView): PluginClass {
  return { id: view.id, configStructure: view.configStructure } as Pick<PluginClass, 'id' | 'configStructure'> as PluginClass;
}

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
  refuseNewEnvReferences(update.configuration ?? {}, base.configuration, where);
  return { active: update.active ?? base.active, configuration: mergeConfiguration(shapeOf(view), base.configuration, update.configuration ?? {}, where) };
}
