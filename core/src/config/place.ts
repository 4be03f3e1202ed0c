import { ERROR_CODES, PayhostError } from '../errors/index.js';

/** Where a plugin's settings are written in the configuration file: `channels.1.plugins.acme` (channel "eu-store"), or `globalPlugins.audit` (channel null). */
export interface ConfigPlace {
  path: string;
  channel: string | null;
}

/**
 * An error at a place in the configuration: said as the schema errors say it (`Invalid configuration at
 * "channels.0.currencies.1"`), with the channel's slug, and the path in `details.path`.
 */
export function placeError(path: string, channel: string | null, message: string, details: Record<string, unknown>): PayhostError {
  const of = channel === null ? '' : ` (channel "${channel}")`;
  return new PayhostError(ERROR_CODES.invalidConfiguration, `Invalid configuration at "${path}"${of}: ${message}`, { ...details, path });
}
