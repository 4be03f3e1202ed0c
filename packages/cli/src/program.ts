import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isPayhostError } from '@payhost/core';
import { configCheck } from './commands/config-check.js';
import { gateways } from './commands/gateways.js';
import { ledgerCopy } from './commands/ledger-copy.js';
import { ledgerMigrate } from './commands/ledger-migrate.js';
import { pay } from './commands/pay.js';
import { reviewList, reviewResolve } from './commands/review.js';
import { serve } from './commands/serve.js';
import { processIo, type CliIo } from './io.js';

const DEFAULT_CONFIG = 'payhost.config.json';

/** The exit code of a usage error (an unknown option or command, a missing argument): 2, as most command-line tools, so a script tells it from a failure (1). */
export const USAGE_EXIT_CODE = 2;

/** Commander's usage error (`error: unknown option '--curency'` and its hint lines) in the CLI's format: `error invalid_usage: …`. */
function usageError(text: string): string {
  return `error invalid_usage: ${text.replace(/^error:\s*/, '')}`;
}

/** This package's version (`payhost --version`), from its package.json (src/ and dist/ are both one level down). */
function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Builds the `payhost` command tree. */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('payhost')
    .description('payhost: payment-gateway plugin host — reference server and tools')
    // Set before the subcommands are added: they copy it (and exitOverride) when created.
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(usageError(s)) })
    .version(cliVersion(), '-V, --version', 'print the version of payhost')
    .exitOverride();
  program
    .command('serve')
    .description('Run the reference server (embedded database, or PostgreSQL when DATABASE_URL is set)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('-p, --port <port>', 'port to listen on (overrides server.port)')
    .option('--host <host>', 'address to listen on (overrides server.host)')
    .action((options) => serve(options, io));
  program
    .command('gateways')
    .description("List a channel's active gateways for a currency")
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .requiredOption('--channel <slug>', 'channel slug')
    .option('--currency <code>', 'ISO 4217 currency code')
    .addHelpText(
      'after',
      "\nOnly this channel and the global plugins are checked and built (another channel's ${NAME} references need not be set); `payhost config check` checks the whole file.",
    )
    .action((options) => gateways(options, io));
  program
    .command('pay')
    .description('Make a one-off payment through the configured gateways and print the result')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .requiredOption('--channel <slug>', 'channel slug')
    .requiredOption('--amount <amount>', 'amount, e.g. 10.00')
    .requiredOption('--currency <code>', 'ISO 4217 currency code')
    .option('--token <token>', 'gateway token (e.g. tok_dummy_success); none: use the card on file')
    .option('--gateway <id>', 'gateway plugin id (default: the channel default for the currency)')
    .option('--customer <id>', 'customer id (card on file)')
    .option('--memory', "an in-memory ledger, discarded at the end: nothing is recorded and no database is opened, so the plugins run on the file's settings alone (not the changes saved through the admin API)")
    .action((options) => pay(options, io));
  const review = program
    .command('review')
    .description(
      'Transactions held for review (reason held_for_review: the gateway could not tell what it did), refunds still ongoing at the processor (refund_ongoing, their amount reserved until settled) and charges the processor answered pending that nothing settled for an hour (pending_charge). While `payhost serve` runs on the embedded database, use the admin API (/admin/review) instead',
    );
  review
    .command('list')
    .description(
      'Print the transactions held for review (reason held_for_review), the refunds still ongoing at the processor (refund_ongoing) and the charges still pending there for an hour (pending_charge), oldest first, with their payments, as one JSON array: every item (read 1000 at a time), or at most --limit, the cursor of the rest then on stderr',
    )
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--limit <n>', 'print at most n items; when more follow, stderr says the --after cursor of the rest')
    .option('--after <cursor>', 'start after the cursor an earlier --limit run printed')
    .action((options) => reviewList(options, io));
  review
    .command('resolve <transactionId>')
    .description(
      "Record what the processor's dashboard shows for a transaction held for review (its id: a UUID, as review list prints it). " +
        'A refund still ongoing, once final on the dashboard (leave one still pending alone): --outcome succeeded records the refund (its amount, or a smaller --amount; --gateway-transaction-id only when it has none), failed records refund_failed and releases the amount. See docs/operating.md, "Refunds still ongoing at the processor"',
    )
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .requiredOption('--outcome <outcome>', 'succeeded (the processor did it) or failed (it did not)')
    .requiredOption('--note <text>', 'what the dashboard shows and who checked (kept with the transaction)')
    .option('--kind <kind>', 'for a success that could be either: capture or auth')
    .option('--amount <amount>', 'for a success: the amount the processor moved, when less than asked')
    .option('--gateway-transaction-id <id>', "the processor's id for the operation (a refund's re_/rfnd_ id: required for a refund succeeded whose row has none)")
    .option('--psp-reference <ref>', "the processor's payment reference (a first charge)")
    .option('--error-code <code>', 'for a failure: the unified error code (default processing_error)')
    .action((transactionId: string, options) => reviewResolve(transactionId, options, io));
  const ledger = program.command('ledger').description('The ledger database');
  ledger
    .command('copy')
    .description(
      "Copy the configuration's ledger (the embedded data directory, or DATABASE_URL with server.databaseSchema) into an empty " +
        'one: a PostgreSQL database, or another data directory. One transaction, verified before it commits: on any failure the target stays empty',
    )
    .requiredOption('--to <target>', 'a postgres:// (or postgresql://) URL, or a directory for an embedded database (relative to the current directory); any other URL is refused')
    .option('--schema <name>', 'with a postgres:// target: the schema for the tables (set the same server.databaseSchema afterwards)')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .addHelpText(
      'after',
      '\nStop `payhost serve` first: the embedded database opens in one process at a time (otherwise: data_dir_in_use).\n' +
        'The source is the database the configuration names: with DATABASE_URL in the environment, that PostgreSQL database;\n' +
        'without it, the data directory (e.g. npx payhost ledger copy --to postgres://user:pw@db/shop --schema payhost).\n' +
        'Prints the rows copied per table.',
    )
    .action((options) => ledgerCopy(options, io));
  ledger
    .command('migrate')
    .description(
      "Bring the configuration's ledger (the embedded data directory, or DATABASE_URL with server.databaseSchema) up to this payhost's " +
        'schema version, as `payhost serve` does when it starts, and print {"from": <version found>, "to": <version now>}',
    )
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .addHelpText(
      'after',
      '\nOnly `payhost serve` and this command migrate; `ledger copy` (its source), `review` and `pay` refuse a database at an older\n' +
        'schema version (invalid_configuration, reason schema_outdated) rather than upgrade it under the servers still running on it.\n' +
        'Upgrading: stop (or upgrade) the instances of the old version first: they refuse to start on the newer schema.\n' +
        'When the servers run as a role with least privilege (no ownership of the tables), run this as the role that owns the schema\n' +
        '(DATABASE_URL naming it) before starting the new version; as another role it exits 1 with\n' +
        'invalid_configuration (migration_failed), naming the versions and the role, and changes nothing.\n' +
        'Stop `payhost serve` first on the embedded database (data_dir_in_use otherwise). Exit codes: 0 migrated (or nothing to do); 1 with `error <code>: <message>`.\n' +
        'On PostgreSQL without server.databaseSchema, a one-line notice on stderr names the schema the tables are in (the connection\'s default, usually public).',
    )
    .action((options) => ledgerMigrate(options, io));
  const config = program.command('config').description('Configuration tools');
  config
    .command('check')
    .description('Validate a configuration file and print it with secrets masked; --saved: with the changes saved through the admin API')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .option('--saved', "also read the plugin configuration changes saved through the admin API (the server's database, not migrated) and print the settings in force with them")
    .addHelpText(
      'after',
      '\nWithout --saved the file alone is read: no database is opened (it runs beside a running server).\n' +
        'With --saved, savedChanges lists each saved change in force (revision, savedAt, the settings in force, secrets masked),\n' +
        'or says that none is saved (also when the database does not exist yet). The embedded database opens in one process at a time:\n' +
        'while `payhost serve` runs on it, --saved exits 1 with data_dir_in_use: use GET /admin/channels/<channel>/plugins/<plugin>\n' +
        '(or /admin/global/plugins/<plugin>) on the server instead, or stop it. With DATABASE_URL it reads PostgreSQL beside running servers.\n' +
        'Exit codes: 0 valid (and, with --saved, the saved changes read); 1 with `error <code>: <message>` (or `error <code> (<reason>): <message>`)\n' +
        'on stderr and nothing on stdout:\n' +
        'invalid_configuration (the file, or a database schema newer than this payhost), data_dir_in_use, store_unavailable.\n' +
        'Every ${NAME} the plugins reference that is not set here is listed at once (invalid_configuration, reason unset_variables):\n' +
        'serve would refuse to start. Where the secrets are not set (CI), give placeholder values or write ${NAME:-placeholder}.\n' +
        'A saved change this configuration cannot apply (secrets under a key it lacks included) is listed with inForce false, its reason\n' +
        '(settings_key_missing, settings_key_mismatch, unknown_channel, ...) and the error message; it is not also logged as an error.',
    )
    .action((options) => configCheck(options, io));
  return program;
}

/** The code of an operating-system error (EADDRINUSE, EACCES, ENOENT, ...): a stable word to match on. */
function systemErrorCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

/** A payhost error's `details.reason`, the finer word the docs tell users to match on, or null. */
function reasonOf(details: Record<string, unknown> | undefined): string | null {
  const reason = details?.['reason'];
  return typeof reason === 'string' && reason !== '' ? reason : null;
}

/**
 * Commander ends with a CommanderError: 0 for --help and --version; a usage error otherwise (already printed
 * as `error invalid_usage: …`, or the help on stderr when a command is missing), exit 2.
 */
function commanderExit(err: CommanderError, io: CliIo): number {
  if (err.exitCode === 0) return 0;
  // Commander printed the help on stderr for a missing command, with no error line: say what is wrong as every error does.
  if (err.code === 'commander.help') io.err(usageError('missing command: give one of the commands listed above'));
  return USAGE_EXIT_CODE;
}

/**
 * Runs the CLI; resolves to the exit code: 0, 1 for an error (`error <code>: <message>`, or
 * `error <code> (<reason>): <message>` when the error has a details.reason), 2 for a usage error
 * (`error invalid_usage: …`). Never a stack trace.
 */
export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, io);
    if (isPayhostError(err)) {
      const reason = reasonOf(err.details);
      io.err(`error ${err.code}${reason === null ? '' : ` (${reason})`}: ${err.message}`);
    } else {
      const code = systemErrorCode(err);
      io.err(`error${code ? ` ${code}` : ''}: ${(err as Error).message ?? String(err)}`);
    }
    return 1;
  }
}
