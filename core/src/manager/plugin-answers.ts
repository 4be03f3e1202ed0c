import type { Logger } from 'pino';
import type { ConfigWarn } from '../config/types.js';
import type { GatewayResponse, WebhookResponse } from '../contracts/gateway.js';
import { ERROR_CODES } from '../errors/index.js';
import type { GatewayEntry } from './channel-runtime.js';
import type { PluginEntry } from './hook-pipeline.js';
import { INVALID_ANSWER, amountProblem, invalidAnswer, warnMissingTransactionId, withDecimalAmount } from './responses.js';
import { scrubResponse, scrubWebhookAnswer, secretInIdentifier } from './answer-scrub.js';
import { pluginSecrets } from './secret-scrub.js';

// What the manager makes of a plugin's answer before the host sees it: read, checked, its secrets scrubbed.

/** A plugin's answer read: the GatewayResponse the host gets, or what is wrong with it (already logged). */
export type ReadAnswer = { response: GatewayResponse } | { problem: string };

/** What the host answers for a webhook its plugin failed to handle (a fresh object each time: the caller may change it). */
export function webhookFailedResponse(): WebhookResponse {
  return { status: 500, body: { code: 'processing_error', message: 'The plugin failed to handle the webhook' } };
}

/** Reads plugins' answers for one manager, logging through its logger (made once: nothing is allocated for it per call). */
export class PluginAnswers {
  constructor(
    private readonly logger: Logger,
    private readonly warn: ConfigWarn,
  ) {}

  /**
   * A plugin's answer to an operation or a status request as the host gets
   * it: the plugin's secrets scrubbed out of its free text (an SDK's error may
   * quote its key, and the ledger stores and answers the error and raw
   * response), never out of its ids (transactionId, pspReference, customerId:
   * follow-up operations send them back; one holding a secret is kept and
   * logged at warn, and its quotes in the free text are kept too), its amount a Decimal. An answer that is not a GatewayResponse
   * (not an object, isSuccess not a boolean, an amount that is a number or a
   * string but no plain decimal) is a plugin bug: logged, and
   * returned as the problem, for the caller to decide what it means.
   */
  read(gateway: GatewayEntry, channel: string, hook: string, answer: unknown, meaning: string): ReadAnswer {
    const where = { plugin: gateway.id, hook };
    let scrubbed: unknown;
    let problem: string | null;
    try {
      scrubbed = scrubResponse(answer, pluginSecrets(gateway.instance), (field) => this.identifierHoldsSecret(gateway.id, channel, hook, field));
      // An amount read as no amount is no GatewayResponse either: as for a processor event, never guessed.
      problem = invalidAnswer(scrubbed) ?? amountProblem(scrubbed as GatewayResponse);
    } catch {
      // A getter that throws (a Proxy, a lazy SDK object): nothing of the answer can be trusted.
      problem = 'an answer whose fields cannot be read';
    }
    if (problem !== null) {
      this.logger.error({ ...where, channel, code: ERROR_CODES.pluginFailed, reason: INVALID_ANSWER, problem }, `Plugin "${gateway.id}" answered ${hook} with ${problem}: a plugin bug; ${meaning}`);
      return { problem };
    }
    const response = withDecimalAmount(scrubbed as GatewayResponse, this.warn, where);
    warnMissingTransactionId(response, this.warn, where);
    return { response };
  }

  /**
   * A plugin's webhook answer with its secrets scrubbed out: its body goes back
   * to whoever called the URL, and its events into the ledger (their ids, and
   * their responses' ids, kept as for an operation's answer). One that cannot
   * be read is a plugin bug: logged, and answered as a failed webhook.
   */
  webhook(answer: WebhookResponse, plugin: PluginEntry, channel: string | null): WebhookResponse {
    try {
      return scrubWebhookAnswer(answer, pluginSecrets(plugin.instance), (field) => this.identifierHoldsSecret(plugin.id, channel, 'webhook', field)) as WebhookResponse;
    } catch {
      this.logger.error({ plugin: plugin.id, channel, hook: 'webhook', code: ERROR_CODES.pluginFailed, reason: INVALID_ANSWER }, `Plugin "${plugin.id}" answered webhook with an answer whose fields cannot be read: a plugin bug`);
      return webhookFailedResponse();
    }
  }

  /** An id holding a secret value is kept (rewritten, it would name nothing at the processor): said, without the value. */
  private identifierHoldsSecret(plugin: string, channel: string | null, hook: string, field: string): void {
    this.warn(secretInIdentifier(plugin, hook, field), {
      plugin,
      channel,
      hook,
      field,
      code: 'secret_in_identifier',
    });
  }
}
