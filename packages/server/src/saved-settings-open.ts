import { withFileOnlyFromFile, type ConfigStructure, type Logger, type PluginSettings, type SavedPluginSettings } from '@payhost/core';
import { openSettings, sealedWithCurrentKey, type SettingsCipher } from './settings-cipher.js';
import { withoutUndeclaredFields } from './undeclared-saved-fields.js';

/**
 * A save's settings as this instance would apply them (PluginSettingsSync.apply): decrypted, without the fields
 * this plugin version does not declare, the file's value in fields only the file may set. Throws (openSettings)
 * when a secret cannot be decrypted here: nothing of the save then applies.
 */
export function settingsOfSave(
  saved: SavedPluginSettings,
  context: {
    /** The plugin's configStructure here; undefined when this instance does not have that plugin or channel. */
    structure: ConfigStructure | undefined;
    /** The configuration file's settings: what a withdrawn save (settings null) returns to. */
    file: PluginSettings | undefined;
    cipher: SettingsCipher | null;
    logger: Logger;
    where: { plugin: string; channel: string | null; revision: number; savedAt: string };
  },
): { target: PluginSettings | undefined; open: boolean; resealable: boolean } {
  const { plugin, channel, revision } = saved;
  const { structure, file, cipher } = context;
  if (saved.settings === null) return { target: file, open: false, resealable: false };
  // A save for a plugin or channel the file no longer has cannot apply whatever it holds: it is not
  // decrypted (the key it was saved with may be gone), and setPluginSettings refuses and logs it,
  // so an instance still starts and a DELETE can withdraw it.
  if (!structure) return { target: saved.settings, open: false, resealable: false };
  const opened = openSettings(saved.settings, cipher, { plugin, channel, revision });
  // Fields an older plugin version saved that this one does not declare: said once, dropped (still decrypted
  // first: a value this instance cannot read stops it as any would). A PUT changing nothing then saves without them.
  const declared = withoutUndeclaredFields(opened, structure, context.where, context.logger);
  // Fields only the file may set (a directory the plugin creates) keep the file's value, whatever the row holds.
  const target = withFileOnlyFromFile(structure, declared, file);
  const resealable = declared !== opened || (cipher !== null && !sealedWithCurrentKey(saved.settings, structure, cipher, { plugin, channel, revision }));
  return { target, open: true, resealable };
}
