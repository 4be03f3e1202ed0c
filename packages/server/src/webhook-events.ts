import { ERROR_CODES, isPayhostError, type GatewayEvent, type Logger, type PaymentService } from '@payhost/core';
import type { ApplyEvents } from './routes/webhooks.js';

export interface UnmatchedEventPolicy {
  /** How long after the processor created it an event matching no payment by reference is refused. */
  retryMs: number;
  /** Source of "now"; default `Date.now`. */
  now?: () => number;
}

/**
 * Applies a plugin's verified webhook events to the ledger, in order, through
 * the payment service's inbox, scoped to the channel whose endpoint received
 * them: an event for another channel's payment changes nothing here and is
 * acknowledged (with a processor account shared by several channels, each
 * channel's endpoint gets every event; the payment's own channel applies it).
 *
 * An event that names a payment (by payhost id) the ledger does not have is
 * acknowledged and logged, not refused: payhost records a payment before any
 * processor call or client token can carry its id, so the event comes from
 * another deployment or system sharing the processor account, and a processor
 * retries a refused delivery for days and may disable the endpoint. So is, at
 * warn, an event naming another gateway's payment and a refund event the
 * ledger holds for review (its retry would change nothing; a person settles it).
 *
 * An event that only carries the processor's reference, which no payment has
 * yet, is refused (404 `payment_not_found`) while it is younger than
 * `policy.retryMs`: it may have overtaken the call that records the reference
 * (a customer paying on the processor's page before the host processes the
 * payment), and the processor's retry then finds it. Once older (by the
 * plugin's `occurredAt`, the processor's signed creation time), it is
 * acknowledged and logged: it is about a payment payhost never made (payment
 * links, another system on the account), and a payment payhost did make but
 * whose call never recorded the reference is recovered by reconciliation (its
 * pending transaction); one it never processed (paid through a client token,
 * then abandoned) is not, and the warning is what shows it. An
 * event without `occurredAt` is refused as before. Any other failure (the
 * store is down, ...) is refused. Events applied before a failure are not
 * applied twice (the inbox records each once).
 */
export function applyVerifiedEvents(payments: PaymentService, logger: Logger, policy: UnmatchedEventPolicy): ApplyEvents {
  const now = policy.now ?? Date.now;
  return async (gateway, events, channel) => {
    for (const event of events) {
      try {
        const applied = await payments.applyGatewayEvent({ ...event, gateway, channel });
        const fields = { gateway, channel, eventId: event.eventId, status: applied.status, payment: applied.payment.id };
        if (applied.status === 'other_channel') logger.info(fields, "webhook event for another channel's payment: acknowledged, not applied here");
        else if (applied.status === 'other_reference') {
          logger.warn({ ...fields, pspReference: event.pspReference ?? null }, 'webhook event for another processor payment than the one this payment was charged with: acknowledged, not applied');
        } else if (applied.status === 'other_gateway') {
          // Another deployment's ids, or a payment made through another processor: nothing here can apply it.
          // Info: the ledger's own line for it is the warning (one alert per event, not two).
          logger.info({ ...fields, type: event.type, paymentGateway: applied.payment.gateway }, "webhook event for another gateway's payment: acknowledged, not applied");
        } else if (applied.status === 'held') {
          // Acknowledged: the processor's retry would change nothing; a person settles it, and the payment's operations wait.
          logger.warn(
            { ...fields, type: event.type, transaction: applied.transaction?.id ?? null },
            'webhook refund event held for review: acknowledged, nothing counted until a person resolves it (/admin/review)',
          );
        } else logger.info(fields, 'webhook event');
      } catch (err) {
        if (!isPayhostError(err, ERROR_CODES.paymentNotFound)) throw err;
        const fields = { gateway, channel, eventId: event.eventId, type: event.type, paymentId: event.paymentId ?? null, pspReference: event.pspReference ?? null };
        const named = typeof event.paymentId === 'string' && event.paymentId !== '';
        if (named) {
          logger.warn(fields, 'webhook event for an unknown payment: acknowledged, not applied');
          continue;
        }
        const age = ageMs(event, now());
        if (age === null || age <= policy.retryMs) throw err;
        logger.warn({ ...fields, ageMs: age, retryMs: policy.retryMs }, 'webhook event for a processor payment no payment holds, past the retry window: acknowledged, not applied');
      }
    }
  };
}

/** How long ago the processor created the event; null when the plugin did not say (or said something that is not a date). */
function ageMs(event: GatewayEvent, now: number): number | null {
  const at = event.occurredAt;
  if (!(at instanceof Date)) return null;
  const time = at.getTime();
  return Number.isNaN(time) ? null : now - time;
}
