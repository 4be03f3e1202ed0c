import { isIP, isIPv4 } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ERROR_CODES, PayhostError, readConfigFile, resolveEnvReferences, type HostConfigInput } from '@payhost/core';
import { parseSettingsKey, SettingsCipher } from './settings-cipher.js';

/** proxy-addr's names for ranges (fastify's trustProxy takes them beside addresses). */
const PROXY_RANGE_NAMES: ReadonlySet<string> = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, an address/prefix (CIDR), or a named range, as fastify's trustProxy (proxy-addr) reads it. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

const proxyAddress = z.string().trim().refine(isProxyAddress, {
  error: (issue) => `"${String(issue.input)}" is not an IP address, an address/prefix (CIDR) or one of loopback, linklocal, uniquelocal`,
});

/**
 * Which connections' X-Forwarded-For is believed (fastify's trustProxy): false, none (request.ip is the
 * connection's address); true, every one (only when nothing but the proxy can connect); addresses/CIDRs
 * (a list, or one string of them comma-separated); or a hop count (the client is that many proxies back).
 */
const trustProxy = z.union([
  z.boolean(),
  z.number().int('a hop count is a whole number').min(1, 'a hop count is 1 to 16 (false: trust no proxy)').max(16, 'a hop count is 1 to 16'),
  z.array(proxyAddress).min(1, 'an empty list trusts no proxy: write false').max(64),
  z
    .string()
    .min(1)
    .transform((list) => list.split(','))
    .pipe(z.array(proxyAddress)),
], { error: 'expected false, true, a hop count (1 to 16), or proxy addresses/CIDRs (a list, or one comma-separated string)' });

/** The server section of a payhost config file; everything has a default. */
const serverSection = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3000),
    /** Largest request body accepted, in bytes. */
    bodyLimit: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
    /**
     * The same for webhook deliveries (/plugins/...), instead of bodyLimit: a processor's event (a Stripe
     * invoice with many lines) may exceed 64 KiB, and a 413 is retried until the processor gives up.
     */
    webhookBodyLimit: z.number().int().min(1024).max(10 * 1024 * 1024).default(1024 * 1024),
    /**
     * How long a client has to send a whole request (headers and body), from its first byte (or, on a new
     * connection, from connecting); past it: 408 request_timeout and the connection is closed. Handling the
     * request (a slow gateway call) is not counted.
     */
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /**
     * How long a kept-alive connection may sit idle between requests before it is closed (Node adds a second,
     * so a client told `Keep-Alive: timeout=N` never races it). Above a reverse proxy's own idle timeout.
     */
    keepAliveTimeoutMs: z.number().int().min(1000).max(600_000).default(72_000),
    /** Most connections open at once; past it a new connection is closed at once (keep below `ulimit -n`). */
    maxConnections: z.number().int().min(1).max(1_000_000).default(512),
    /** Embedded database directory (PGlite), relative to the config file; ignored when DATABASE_URL is set. */
    dataDir: z.string().default('.payhost-data'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    hookTimeoutMs: z.number().int().min(10).max(600_000).default(30_000),
    /**
     * How often pending transactions are reconciled after start-up. Only those older than twice
     * hookTimeoutMs are touched (younger ones may be another instance's call in flight).
     */
    reconcileIntervalMs: z.number().int().min(100).max(86_400_000).default(60_000),
    /**
     * How long a webhook event that matches no payment by its processor reference is refused (404, so the
     * processor retries: it may have overtaken the call that records the reference). An older event is
     * acknowledged and logged, so the processor stops retrying it and does not disable the endpoint.
     */
    unmatchedEventRetryMs: z.number().int().min(0).max(7 * 86_400_000).default(3_600_000),
    /**
     * Serve the demo checkout page and its public API under /checkout. Off unless asked for: the API takes no
     * key, so whoever reaches it can make payments (see checkout/guard.ts for what bounds it).
     */
    checkout: z.boolean().default(false),
    /** The gateways the public checkout may list and pay through; any other is unknown to it. Real processors only by name. */
    checkoutGateways: z.array(z.string().min(1).max(200)).max(64).default(['payhost.dummy']),
    /** Serve the checkout on a host other machines can reach: refused unless this says so (see checkCheckoutExposure). */
    checkoutOnPublicHost: z.boolean().default(false),
    /**
     * Behind a reverse proxy: the proxies whose X-Forwarded-For gives the client's address (request.ip, which
     * the checkout rate limit and the request log use). Default false: the connection's address.
     */
    trustProxy: trustProxy.default(false),
    /** Most POSTs (pay, confirm, cancel) one client address may send to the checkout API per window; past it: 429. */
    checkoutRateLimitMax: z.number().int().min(1).max(1_000_000).default(20),
    checkoutRateLimitWindowMs: z.number().int().min(1000).max(86_400_000).default(60_000),
    /** PostgreSQL schema for payhost's tables (created if missing); default: the server's search_path. */
    databaseSchema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/)
      .refine((schema) => !schema.startsWith('pg_'), 'names starting with pg_ are reserved by PostgreSQL for its system schemas')
      .optional(),
    /**
     * How long one exchange with PostgreSQL may wait for its answer: past it, the connection is closed and the
     * request answers 503 store_unavailable instead of hanging on a database that stopped answering.
     * GET /health/ready waits at most 5 s (or this, when shorter).
     */
    databaseQueryTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /**
     * The same bound for each exchange of the schema migrations run at start-up (a schema change on a large
     * ledger may take long); 0: none. Waiting for another instance's migration is not cut by it.
     */
    databaseMigrationTimeoutMs: z.union([z.literal(0), z.number().int().min(1000).max(86_400_000)]).default(300_000),
    /**
     * How often an instance reads the plugin configuration changes other instances saved through the admin
     * API (a change is live on the instance that took it at once, on the others within this).
     */
    pluginSettingsPollMs: z.number().int().min(100).max(3_600_000).default(2_000),
    /**
     * 32-byte key (64 hex digits or base64; `${ENV}` references allowed) that encrypts the secret fields of
     * plugin settings saved through the admin API. Without it they are saved as given.
     */
    pluginSettingsKey: z.string().optional(),
    /** Earlier keys, tried to decrypt saved settings only (after a change of pluginSettingsKey). */
    pluginSettingsOldKeys: z.array(z.string()).max(16).optional(),
  })
  .strict()
  .default({
    host: '127.0.0.1',
    port: 3000,
    bodyLimit: 65536,
    webhookBodyLimit: 1_048_576,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 72_000,
    maxConnections: 512,
    trustProxy: false,
    dataDir: '.payhost-data',
    logLevel: 'info',
    hookTimeoutMs: 30_000,
    reconcileIntervalMs: 60_000,
    unmatchedEventRetryMs: 3_600_000,
    checkout: false,
    checkoutGateways: ['payhost.dummy'],
    checkoutOnPublicHost: false,
    checkoutRateLimitMax: 20,
    checkoutRateLimitWindowMs: 60_000,
    databaseQueryTimeoutMs: 30_000,
    databaseMigrationTimeoutMs: 300_000,
    pluginSettingsPollMs: 2_000,
  });

const fileSchema = z.object({
  server: serverSection,
  auth: z
    .object({
      /** Bearer token for /admin routes. `${ENV}` references allowed. */
      adminApiKey: z.string().min(1),
      /** Bearer token for payment routes. `${ENV}` references allowed. */
      paymentApiKey: z.string().min(1),
    })
    .strict(),
  /** Plugin package names, imported from the config file's directory, in hook order. */
  plugins: z.array(z.string().min(1)).default([]),
  channels: z.array(z.unknown()),
  globalPlugins: z.record(z.string(), z.unknown()).optional(),
  /** An editor's JSON-schema hint; ignored. */
  $schema: z.string().optional(),
})
  // A misspelt section ("globalPlugin") would otherwise be dropped without a word.
  .strict();

/** Every key the `server` section takes (optional ones included): the docs check lists each. */
export const SERVER_SECTION_KEYS: readonly string[] = Object.keys(serverSection.unwrap().shape);

/** The keys leave the section once parsed: they are only in `settingsCipher`, which never prints them. */
export type ServerSettings = Omit<z.infer<typeof serverSection>, 'pluginSettingsKey' | 'pluginSettingsOldKeys'>;

type AuthField = 'adminApiKey' | 'paymentApiKey';

export interface ServerConfig {
  server: ServerSettings & { dataDir: string };
  auth: Record<AuthField, string>;
  /** The environment variable each API key is read from, when the file writes it `${NAME}` or `${NAME:-fallback}`. */
  authVariables?: Partial<Record<AuthField, string>>;
  plugins: string[];
  /** The host configuration handed to the PluginManager (which checks it: the file's section is not checked here). */
  host: HostConfigInput;
  /** Directory plugin packages resolve from, and relative paths are relative to. */
  baseDir: string;
  /** PostgreSQL connection string when DATABASE_URL is set; else the embedded database is used. */
  databaseUrl: string | null;
  /** Encrypts and decrypts the secrets of saved plugin settings; null without server.pluginSettingsKey. */
  settingsCipher: SettingsCipher | null;
}

const MIN_KEY_LENGTH = 16;
/**
 * Whitespace at either end (a secret file's trailing newline) or a control character: the presented
 * bearer token is trimmed and a header cannot carry control characters, so such a key could never match.
 */
const UNUSABLE_KEY = /^\s|\s$|[\u0000-\u001f\u007f-\u009f]/u;
/**
 * Anything outside printable ASCII: a client's fetch refuses to send such a header (a ByteString) and
 * Node reads header bytes as latin1, so a key such as "admin-ключ-…" could never match either.
 */
const NOT_PRINTABLE_ASCII = /[^\u0020-\u007e]/u;

/** Validates a parsed config document; `${ENV}` references in auth keys are resolved from `env`. */
export function parseServerConfig(document: unknown, baseDir: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    // A misspelt key ("chanels") also leaves the real one missing: the unknown key is the one to name.
    const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0];
    const where = issue?.path.length ? ` at "${issue.path.join('.')}"` : '';
    throw new PayhostError(ERROR_CODES.invalidConfiguration, `Invalid server configuration${where}: ${issue?.message ?? 'invalid'}`, {
      path: issue?.path.join('.') ?? '',
    });
  }
  const { server, auth, plugins, channels, globalPlugins } = parsed.data;
  // Each key resolved under its full name, so an unset or malformed reference names auth.adminApiKey (as server.pluginSettingsKey's does).
  const resolveKey = (field: AuthField): string => String(resolveEnvReferences({ [`auth.${field}`]: auth[field] }, env, { section: 'auth' })[`auth.${field}`]);
  const keys = { adminApiKey: resolveKey('adminApiKey'), paymentApiKey: resolveKey('paymentApiKey') };
  for (const [name, value] of Object.entries(keys)) {
    // The message names the field, never the key.
    if (UNUSABLE_KEY.test(value)) {
      throw new PayhostError(
        ERROR_CODES.invalidConfiguration,
        `auth.${name} starts or ends with whitespace or contains a control character (a trailing newline from a secret?): no request could ever present it`,
        { field: `auth.${name}` },
      );
    }
    if (NOT_PRINTABLE_ASCII.test(value)) {
      throw new PayhostError(
        ERROR_CODES.invalidConfiguration,
        `auth.${name} holds a character outside printable ASCII (letters, digits, punctuation, inner spaces): no HTTP client can present it in a header`,
        { field: `auth.${name}`, reason: 'key_not_printable_ascii' },
      );
    }
    if (value.length < MIN_KEY_LENGTH) {
      throw new PayhostError(ERROR_CODES.invalidConfiguration, `auth.${name} must be at least ${MIN_KEY_LENGTH} characters`, { field: `auth.${name}` });
    }
  }
  if (keys.adminApiKey === keys.paymentApiKey) {
    throw new PayhostError(ERROR_CODES.invalidConfiguration, 'auth.adminApiKey and auth.paymentApiKey must differ', { field: 'auth' });
  }
  const { pluginSettingsKey, pluginSettingsOldKeys, ...settings } = server;
  return {
    server: { ...settings, dataDir: isAbsolute(server.dataDir) ? server.dataDir : resolve(baseDir, server.dataDir) },
    auth: keys,
    authVariables: authVariables(auth),
    plugins,
    host: (globalPlugins ? { channels, globalPlugins } : { channels }) as HostConfigInput,
    baseDir,
    databaseUrl: env['DATABASE_URL'] && env['DATABASE_URL'] !== '' ? env['DATABASE_URL'] : null,
    settingsCipher: settingsCipher(pluginSettingsKey, pluginSettingsOldKeys, env),
  };
}

/** A value that is one environment reference, `${NAME}` or `${NAME:-fallback}`: NAME. */
const SINGLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$/;

function authVariables(auth: Record<AuthField, string>): Partial<Record<AuthField, string>> {
  const variables: Partial<Record<AuthField, string>> = {};
  for (const field of ['adminApiKey', 'paymentApiKey'] as const) {
    const name = SINGLE_REFERENCE.exec(auth[field])?.[1];
    if (name !== undefined) variables[field] = name;
  }
  return variables;
}

/**
 * The API keys the shipped payhost.config.json (and the docs' examples) fall back to when their environment
 * variables are unset. Anyone can read them in payhost's sources: only a server no other machine can reach
 * may use them.
 */
export const DEVELOPMENT_API_KEYS: readonly string[] = ['dev-admin-key-change-me', 'dev-payment-key-change-me'];

/** 127.0.0.0/8 (also IPv4-mapped), ::1 and localhost: addresses only this machine can connect to. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase();
  if (name === 'localhost' || name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name;
  return isIPv4(v4) && v4.startsWith('127.');
}

/** What decides whether only this machine can reach the server. */
export type Exposure = Pick<ServerSettings, 'host' | 'trustProxy'>;

/**
 * Why other machines may reach the server (null: only this machine can). A loopback host is not enough once
 * server.trustProxy trusts a proxy: a reverse proxy on this machine forwards other machines' requests.
 */
export function exposureReason(server: Exposure): string | null {
  if (!isLoopbackHost(server.host)) return `on host "${server.host}", which other machines can reach`;
  // false is the only value that trusts no proxy (a hop count is 1 or more; an empty list is refused).
  if (server.trustProxy !== false) return `behind a reverse proxy (server.trustProxy is set: a proxy forwards other machines' requests to host "${server.host}")`;
  return null;
}

/** A loopback host and no trusted proxy: nothing but this machine's own clients reach the server. */
export function isPrivateToThisMachine(server: Exposure): boolean {
  return exposureReason(server) === null;
}

const PRIVATE_INSTEAD = 'listen on a loopback host (127.0.0.1, ::1, localhost) with server.trustProxy false';

/** The API key fields that hold a development key, and what to set instead (the variables the file reads, else the fields). */
export interface DevelopmentKeys {
  fields: string[];
  toSet: string;
}

/**
 * The API keys that are development keys (null when none is). Where other machines can reach the server
 * (0.0.0.0, a public address, or a loopback host behind a trusted reverse proxy) they are refused:
 * `invalid_configuration` with `details.reason` `development_api_keys`, the message naming the fields and
 * the environment variables to set, never a key.
 */
export function checkDevelopmentKeys(config: Pick<ServerConfig, 'auth' | 'authVariables'> & { server: Exposure }): DevelopmentKeys | null {
  const used = (['adminApiKey', 'paymentApiKey'] as const).filter((field) => DEVELOPMENT_API_KEYS.includes(config.auth[field]));
  if (used.length === 0) return null;
  const fields = used.map((field) => `auth.${field}`);
  const toSet = used.map((field) => config.authVariables?.[field] ?? `auth.${field}`).join(' and ');
  const exposed = exposureReason(config.server);
  if (exposed === null) return { fields, toSet };
  const plural = used.length > 1;
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `${fields.join(' and ')} ${plural ? 'are the public development keys' : 'is a public development key'} (anyone can read ${plural ? 'them' : 'it'} in payhost's sources), ` +
      `refused ${exposed}: set ${toSet} to ${plural ? 'secrets' : 'a secret'} of your own ` +
      `(${MIN_KEY_LENGTH} characters or more, e.g. \`openssl rand -hex 32\`), or ${PRIVATE_INSTEAD}`,
    { field: fields[0], fields, host: config.server.host, reason: 'development_api_keys' },
  );
}

/**
 * Whether the public checkout (no API key: anyone who reaches it can make payments) is served where other
 * machines can reach it. Off, or private to this machine (isPrivateToThisMachine): null. Elsewhere without
 * `server.checkoutOnPublicHost: true`: refused, `invalid_configuration` with `details.reason`
 * `checkout_on_public_host`. Acknowledged: 'acknowledged', for the caller to warn.
 */
export function checkCheckoutExposure(config: { server: Exposure & Pick<ServerSettings, 'checkout' | 'checkoutOnPublicHost'> }): 'acknowledged' | null {
  const { host, checkout, checkoutOnPublicHost } = config.server;
  if (!checkout) return null;
  const exposed = exposureReason(config.server);
  if (exposed === null) return null;
  if (checkoutOnPublicHost) return 'acknowledged';
  throw new PayhostError(
    ERROR_CODES.invalidConfiguration,
    `server.checkout serves the demo checkout and its public API, which takes no API key (anyone who reaches it can make payments), ` +
      `refused ${exposed}: turn server.checkout off, ${PRIVATE_INSTEAD}, ` +
      'or set server.checkoutOnPublicHost to true to serve it there anyway',
    { field: 'server.checkout', host, reason: 'checkout_on_public_host' },
  );
}

/** The log line of an acknowledged public checkout (server start, `payhost config check`). */
export const PUBLIC_CHECKOUT_WARNING =
  'server.checkout is on a host other machines can reach (server.checkoutOnPublicHost): anyone who reaches it can make payments through server.checkoutGateways without an API key';

/** The cipher of server.pluginSettingsKey (and old keys), `${ENV}` resolved; the messages name fields, never a key. */
function settingsCipher(current: string | undefined, old: string[] | undefined, env: NodeJS.ProcessEnv): SettingsCipher | null {
  if (current === undefined) {
    if (old?.length) throw new PayhostError(ERROR_CODES.invalidConfiguration, 'server.pluginSettingsOldKeys needs server.pluginSettingsKey (the key new saves are encrypted with)', { field: 'server.pluginSettingsOldKeys' });
    return null;
  }
  const key = (field: string, value: string): Buffer => parseSettingsKey(String(resolveEnvReferences({ [field]: value }, env, { section: 'server' })[field]), field);
  return new SettingsCipher(
    key('server.pluginSettingsKey', current),
    (old ?? []).map((value, index) => key(`server.pluginSettingsOldKeys.${index}`, value)),
  );
}

/** Reads and validates a config file; plugins and the data directory resolve relative to it. */
export async function loadServerConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<ServerConfig> {
  const absolute = resolve(path);
  return parseServerConfig(await readConfigFile(absolute), dirname(absolute), env);
}
