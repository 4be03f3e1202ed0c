/** Configuration field types (Saleor's ConfigurationTypeField). */
export const CONFIG_FIELD_TYPES = ['String', 'Multiline', 'Boolean', 'Secret', 'SecretMultiline', 'Password', 'Output'] as const;

export type ConfigFieldType = (typeof CONFIG_FIELD_TYPES)[number];

export interface ConfigField {
  type: ConfigFieldType;
  label: string;
  helpText?: string;
  /**
   * The plugin sends its secrets to the address this field holds (an API base URL, a host). An update
   * that changes it while keeping a stored secret (masked, or left out) is refused
   * (`secrets_not_reentered`): otherwise the admin key alone could point the stored secrets at any server.
   * A boolean, `true` only on a field of a type that can hold an address (ADDRESS_FIELD_TYPES): the loader
   * refuses anything else (invalid_plugin).
   */
  receivesSecrets?: boolean;
  /**
   * Only the configuration file may set it (a directory the plugin creates, a path it writes): an admin
   * update that changes it is refused (`file_only_field`), and a saved change applies the file's value.
   * A boolean; the loader refuses anything else (invalid_plugin).
   */
  fileOnly?: boolean;
}

/** Field name -> field description. Order of keys is the display order. */
export type ConfigStructure = Readonly<Record<string, ConfigField>>;

export type ConfigValue = string | boolean | null;

/**
 * Field name -> value. Boolean fields hold booleans (in written settings also a string with `${NAME}`
 * references, read as a boolean when the plugin is built); every other type holds a string or null.
 */
export type ConfigValues = Record<string, ConfigValue>;

/** Field types that can hold an address, the only ones `receivesSecrets: true` may be declared on. */
export const ADDRESS_FIELD_TYPES: readonly ConfigFieldType[] = ['String', 'Multiline'];

const SECRET_TYPES: ReadonlySet<ConfigFieldType> = new Set(['Secret', 'SecretMultiline', 'Password']);

export function isSecretField(field: ConfigField): boolean {
  return SECRET_TYPES.has(field.type);
}
