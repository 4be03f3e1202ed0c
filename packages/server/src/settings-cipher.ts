import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { ERROR_CODES, PayhostError, isSecretField, type ConfigStructure, type ConfigValues, type PluginSettings } from '@payhost/core';

/**
 * Encryption at rest of the secret fields of plugin settings saved through the admin API
 * (`server.pluginSettingsKey`). A secret value is saved as one string, so the row stays a plugin's
 * ordinary settings (strings, booleans, null) for every store:
 *
 *   payhost-enc:v1:<iv>:<tag>:<ciphertext>    (AES-256-GCM, 12-byte random IV, 16-byte tag, base64url)
 *
 * The GCM additional data names the plugin, channel and field, so a ciphertext copied into another
 * field or row does not decrypt. `v1` is the format: a later one gets another number.
 */
export const ENVELOPE_PREFIX = 'payhost-enc:';
const VERSION = 'v1';
const ENVELOPE = /^payhost-enc:v1:([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]*)$/;
const KEY_BYTES = 32;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^(?:[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43})=?$/;

/** Stable `details.reason` of the refusals below (their code is `invalid_configuration`). */
export const SETTINGS_KEY_REASONS = {
  /** A saved secret is encrypted and this process has no `server.pluginSettingsKey`. */
  missing: 'settings_key_missing',
  /** No configured key decrypts it (another key, or the value was altered). */
  mismatch: 'settings_key_mismatch',
  /** It starts as an encrypted value but is not one this version reads. */
  unreadable: 'settings_value_unreadable',
  /** An admin change holding a value that starts like an encrypted one: saved, it would read as one. */
  reservedPrefix: 'settings_value_reserved_prefix',
} as const;

/** A key as the configuration gives it (64 hex digits, or base64 of 32 bytes) -> its bytes. The message never holds the value. */
export function parseSettingsKey(text: string, field: string): Buffer {
  const trimmed = text.trim();
  let key: Buffer | null = null;
  if (HEX_KEY.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (BASE64_KEY.test(trimmed)) key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key?.length !== KEY_BYTES) {
    throw new PayhostError(
      ERROR_CODES.invalidConfiguration,
      `${field} must be a 32-byte key, as 64 hex digits or 44 base64 characters (make one with \`openssl rand -base64 32\`); the value given (${trimmed.length} characters) is neither`,
      { field },
    );
  }
  // A placeholder (64 zeros, "AAAA...") is no key: refused rather than encrypting every secret with it.
  if (key.every((byte) => byte === key[0])) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `${field} is one byte repeated (a placeholder?): make a random key with \`openssl rand -base64 32\``, { field });
  }
  return key;
}

/** Where a value belongs: bound into its ciphertext, and named by the refusals. */
export interface SecretPlace {
  plugin: string;
  channel: string | null;
  /** The save's revision, when reading one. */
  revision?: number;
}

function additionalData(place: SecretPlace, field: string): Buffer {
  return Buffer.from(JSON.stringify(['payhost plugin settings', VERSION, place.plugin, place.channel, field]));
}

function placeName(place: SecretPlace): string {
  const scope = place.channel === null ? `global plugin ${place.plugin}` : `plugin ${place.plugin} in channel "${place.channel}"`;
  return `the saved configuration of ${scope}${place.revision === undefined ? '' : ` (revision ${place.revision})`}`;
}

function refusal(reason: string, message: string, place: SecretPlace, field: string): PayhostError {
  return new PayhostError(ERROR_CODES.invalidConfiguration, message, { plugin: place.plugin, channel: place.channel, ...(place.revision === undefined ? {} : { revision: place.revision }), field, reason });
}

interface EnvelopeParts {
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function envelopeParts(match: RegExpExecArray): EnvelopeParts {
  return { iv: Buffer.from(match[1]!, 'base64url'), tag: Buffer.from(match[2]!, 'base64url'), ciphertext: Buffer.from(match[3]!, 'base64url') };
}

/** The configured keys: the first encrypts, every one is tried to decrypt. Never printed, logged or serialized. */
export class SettingsCipher {
  readonly #keys: readonly Buffer[];

  constructor(current: Buffer, old: readonly Buffer[] = []) {
    this.#keys = [current, ...old].map((key) => Buffer.from(key));
  }

  /** How many earlier keys (server.pluginSettingsOldKeys) it also decrypts with: a count, never a key. */
  get oldKeyCount(): number {
    return this.#keys.length - 1;
  }

  encrypt(value: string, place: SecretPlace, field: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, iv);
    cipher.setAAD(additionalData(place, field));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return `${ENVELOPE_PREFIX}${VERSION}:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${ciphertext.toString('base64url')}`;
  }

  /** The plain value, or undefined when no key decrypts it (GCM authentication failed with each); `currentOnly`: only the first key is tried. */
  decrypt(parts: EnvelopeParts, place: SecretPlace, field: string, currentOnly = false): string | undefined {
    for (const key of currentOnly ? this.#keys.slice(0, 1) : this.#keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, parts.iv, { authTagLength: 16 });
        decipher.setAAD(additionalData(place, field));
        decipher.setAuthTag(parts.tag);
        return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // Another key, or an altered value: try the next key.
      }
    }
    return undefined;
  }

  toJSON(): string {
    return '[SettingsCipher]';
  }

  [inspect.custom](): string {
    return `SettingsCipher { keys: ${this.#keys.length} (not shown) }`;
  }
}

/**
 * The settings as they are saved: each non-empty string of a secret field (Secret, SecretMultiline,
 * Password) encrypted when there is a cipher, the rest as is. With or without one, a value that
 * starts like an encrypted one is refused: saved, it would be read back as one.
 */
export function sealSettings(settings: PluginSettings, structure: ConfigStructure, cipher: SettingsCipher | null, place: SecretPlace): PluginSettings {
  const configuration: ConfigValues = {};
  for (const [field, value] of Object.entries(settings.configuration)) {
    if (typeof value === 'string' && value.startsWith(ENVELOPE_PREFIX)) {
      throw refusal(SETTINGS_KEY_REASONS.reservedPrefix, `Plugin configuration not changed: the value of "${field}" starts with "${ENVELOPE_PREFIX}", which marks an encrypted value in saved settings`, place, field);
    }
    const described = structure[field];
    const secret = described !== undefined && isSecretField(described);
    configuration[field] = cipher && secret && typeof value === 'string' && value !== '' ? cipher.encrypt(value, place, field) : value;
  }
  return { active: settings.active, configuration };
}

/**
 * Saved settings as they apply: every encrypted value decrypted (whatever its field's type: the plugin
 * may be gone). Refused, whole, with `invalid_configuration` when one cannot be: no key configured, no
 * key that decrypts it, or not a value this version reads. The message never holds a value.
 */
export function openSettings(settings: PluginSettings, cipher: SettingsCipher | null, place: SecretPlace): PluginSettings {
  const configuration: ConfigValues = {};
  for (const [field, value] of Object.entries(settings.configuration)) {
    if (typeof value !== 'string' || !value.startsWith(ENVELOPE_PREFIX)) {
      configuration[field] = value;
      continue;
    }
    const match = ENVELOPE.exec(value);
    if (!match) {
      const version = value.slice(ENVELOPE_PREFIX.length).split(':', 1)[0] ?? '';
      const why = version === VERSION ? 'it is malformed' : `its format "${version.slice(0, 8)}" is not one this version of payhost reads (a newer version saved it?)`;
      throw refusal(SETTINGS_KEY_REASONS.unreadable, `Cannot read ${placeName(place)}: field "${field}" is encrypted, but ${why}`, place, field);
    }
    if (!cipher) {
      throw refusal(
        SETTINGS_KEY_REASONS.missing,
        `Cannot apply ${placeName(place)}: field "${field}" is encrypted and this process has no server.pluginSettingsKey. Configure the key the instance that saved it uses`,
        place,
        field,
      );
    }
    const plain = cipher.decrypt(envelopeParts(match), place, field);
    if (plain === undefined) {
      throw refusal(
        SETTINGS_KEY_REASONS.mismatch,
        `Cannot apply ${placeName(place)}: field "${field}" was encrypted with another key than server.pluginSettingsKey (and server.pluginSettingsOldKeys), or altered. Configure the key it was saved with`,
        place,
        field,
      );
    }
    configuration[field] = plain;
  }
  return { active: settings.active, configuration };
}

/**
 * Whether saved settings are as `sealSettings` would save them now: every encrypted value under the
 * current key (not one of server.pluginSettingsOldKeys), and no secret field in plain text (saved before
 * the key was set). What `PluginSettingsSync.reencrypt` leaves as it is.
 */
export function sealedWithCurrentKey(saved: PluginSettings, structure: ConfigStructure, cipher: SettingsCipher, place: SecretPlace): boolean {
  return Object.entries(saved.configuration).every(([field, value]) => {
    if (typeof value !== 'string' || value === '') return true;
    const match = ENVELOPE.exec(value);
    if (match) return cipher.decrypt(envelopeParts(match), place, field, true) !== undefined;
    const described = structure[field];
    return described === undefined || !isSecretField(described);
  });
}
