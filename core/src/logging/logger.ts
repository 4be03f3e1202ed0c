import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths pino redacts in every log line. Configured once here so the server,
 * the CLI and hosts share one list: secrets, tokens, card data, API keys.
 */
export const REDACT_PATHS: readonly string[] = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'secretKey',
  '*.secretKey',
  // Processor configuration fields are snake_case (Saleor's convention): a plugin logging its settings names them so.
  'api_key',
  '*.api_key',
  'secret_key',
  '*.secret_key',
  'webhookSecret',
  '*.webhookSecret',
  'webhook_secret',
  '*.webhook_secret',
  'privateKey',
  '*.privateKey',
  'private_key',
  '*.private_key',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'refreshToken',
  '*.refreshToken',
  'refresh_token',
  '*.refresh_token',
  'encryptionKey',
  '*.encryptionKey',
  'encryption_key',
  '*.encryption_key',
  'cardNumber',
  '*.cardNumber',
  'cvv',
  '*.cvv',
  'cvc',
  '*.cvc',
  'configuration',
  '*.configuration',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'rawResponse',
  '*.rawResponse',
  'clientSecret',
  '*.clientSecret',
  'client_secret',
  '*.client_secret',
  // HTTP clients (axios, used by processor SDKs) attach the request, with its Authorization header, to the error.
  'err.config',
  'err.request',
  'err.response.config',
  'err.response.request',
  'err.response.headers',
  '*.headers.authorization',
  '*.headers.Authorization',
  'headers.Authorization',
  // Database drivers attach a failed statement's parameters (tokens, emails, raw responses) to the error.
  'err.params',
  'err.parameters',
  'error.params',
  'error.parameters',
  // Personal data PaymentData carries (a plugin logging what it got): the addresses and the customer's IP address.
  'billing',
  '*.billing',
  'shipping',
  '*.shipping',
  'customerIpAddress',
  '*.customerIpAddress',
];

export type { Logger };

export function createLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const merged: LoggerOptions = {
    level: process.env['PAYHOST_LOG_LEVEL'] ?? 'info',
    ...options,
    redact: { paths: [...REDACT_PATHS, ...extraPaths(options.redact)], censor: '[redacted]' },
  };
  return destination ? pino(merged, destination) : pino(merged);
}

function extraPaths(redact: LoggerOptions['redact']): string[] {
  if (!redact) return [];
  return Array.isArray(redact) ? redact : redact.paths;
}

/** A logger that writes nothing (the manager without one writes warnings and errors to stderr: defaultManagerLogger). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
