import type { FastifyInstance } from 'fastify';
import type { PaymentService } from '@payhost/core';
import type { ServerContext } from '../context.js';

/** The demo checkout page and its public API under /checkout (see the server README). */
export async function checkoutRoutes(_app: FastifyInstance, _ctx: ServerContext, _payments: PaymentService): Promise<void> {
  // Filled in by the checkout page work.
}
