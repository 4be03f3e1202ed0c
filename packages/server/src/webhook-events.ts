import { ERROR_CODES, isPayhostError, type Logger, type PaymentService } from '@payhost/core';
import type { ApplyEvents } from './routes/webhooks.js';

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
 * retries a refused delivery for days and may disable the endpoint.
 *
 * An event that only carries the processor's reference, which no payment has
 * yet, is refused (404 `payment_not_found`), as is any other failure (the
 * store is down, ...): it may have overtaken the call that records the
 * reference (a customer paying on the processor's page before the host
 * processes the payment), and the processor's retry then finds it. Events
 * applied before a failure are not applied twice (the inbox records each once).
 */
export function applyVerifiedEvents(payments: PaymentService, logger: Logger): ApplyEvents {
  return async (gateway, events, channel) => {
    for (const event of events) {
      try {
        const applied = await payments.applyGatewayEvent({ ...event, gateway, channel });
        const fields = { gateway, channel, eventId: event.eventId, status: applied.status, payment: applied.payment.id };
        if (applied.status === 'other_channel') logger.info(fields, "webhook event for another channel's payment: acknowledged, not applied here");
        else if (applied.status === 'other_reference') {
          logger.warn({ ...fields, pspReference: event.pspReference ?? null }, 'webhook event for another processor payment than the one this payment was charged with: acknowledged, not applied');
        }
        else logger.info(fields, 'webhook event');
      } catch (err) {
        const named = typeof event.paymentId === 'string' && event.paymentId !== '';
        if (!named || !isPayhostError(err, ERROR_CODES.paymentNotFound)) throw err;
        const fields = { gateway, channel, eventId: event.eventId, type: event.type, paymentId: event.paymentId, pspReference: event.pspReference ?? null };
        logger.warn(fields, 'webhook event for an unknown payment: acknowledged, not applied');
      }
    }
  };
}
