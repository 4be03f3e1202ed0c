import { resolve } from 'node:path';
import { createLogger, readConfigFile, type Logger } from '@payhost/core';
import { loadServerConfig, type ServerConfig } from '@payhost/server';
import type { CliIo } from './io.js';

type Level = ServerConfig['server']['logLevel'];

/** pino's levels, most verbose first ('silent' last: it logs nothing). */
const VERBOSITY: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * A command's default level: warnings and errors only. Commands are one-shot, and their info lines (a
 * payment applied, plugins loaded) would be noise next to the JSON they print; a dropped configuration
 * field or a plugin's exception is not.
 */
export const COMMAND_LOG_LEVEL: Level = 'warn';

/**
 * The level a command logs at: `warn`, or the configuration's `server.logLevel` when that is more verbose
 * (`info`, `debug`, `trace`). `configured` is the level the file sets, undefined when it sets none (the
 * server's default `info` is not a request for info lines from a one-shot command).
 */
export function commandLogLevel(configured: Level | undefined): Level {
  if (configured === undefined) return COMMAND_LOG_LEVEL;
  return VERBOSITY.indexOf(configured) < VERBOSITY.indexOf(COMMAND_LOG_LEVEL) ? configured : COMMAND_LOG_LEVEL;
}

/**
 * The host's logger for a command: core's createLogger (so secrets, tokens, card data and plugin
 * configurations are redacted exactly as the server's logs are), JSON lines on the command's stderr:
 * stdout stays the command's JSON. `hooks`: for a logger a command passes to one part of its work.
 */
export function commandLogger(level: Level, io: CliIo, hooks?: LogHooks): Logger {
  return createLogger({ level, name: 'payhost', ...(hooks === undefined ? {} : { hooks }) }, { write: (line: string) => io.err(line) });
}

/** pino's hooks (logMethod): what a command changes in the lines of one part of its work. */
export type LogHooks = NonNullable<NonNullable<Parameters<typeof createLogger>[0]>['hooks']>;

/** Loads and validates a command's configuration file (as the server does) and builds the command's logger (at `level`). */
export async function loadCommandConfig(path: string, io: CliIo): Promise<{ config: ServerConfig; logger: Logger; level: Level }> {
  const config = await loadServerConfig(path);
  const level = commandLogLevel(await configuredLogLevel(path));
  return { config, logger: commandLogger(level, io), level };
}

/** `server.logLevel` as the file writes it (validated by loadServerConfig), or undefined when it is left out. */
async function configuredLogLevel(path: string): Promise<Level | undefined> {
  const document = (await readConfigFile(resolve(path))) as { server?: { logLevel?: unknown } } | null;
  const level = document?.server?.logLevel;
  return typeof level === 'string' && (VERBOSITY as readonly string[]).includes(level) ? (level as Level) : undefined;
}
