import { Command, CommanderError } from 'commander';
import { isPayhostError } from '@payhost/core';
import { configCheck } from './commands/config-check.js';
import { gateways } from './commands/gateways.js';
import { pay } from './commands/pay.js';
import { serve } from './commands/serve.js';
import { processIo, type CliIo } from './io.js';

const DEFAULT_CONFIG = 'payhost.config.json';

/** Builds the `payhost` command tree. */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('payhost')
    .description('payhost: payment-gateway plugin host — reference server and tools')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
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
    .option('--memory', 'do not record the payment in the configured database')
    .action((options) => pay(options, io));
  const config = program.command('config').description('Configuration tools');
  config
    .command('check')
    .description('Validate a configuration file and print it with secrets masked')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
    .action((options) => configCheck(options, io));
  return program;
}

/** Runs the CLI; resolves to the exit code. Errors print `code: message`, never a stack trace. */
export async function run(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isPayhostError(err)) io.err(`error ${err.code}: ${err.message}`);
    else io.err(`error: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}
