import type { FastifyInstance } from 'fastify';
import { REVIEW_OUTCOMES, REVIEW_PAGE_DEFAULT_LIMIT, REVIEW_PAGE_MAX_LIMIT, TRANSACTION_ERROR_CODES, type PaymentService, type ReviewResolution } from '@payhost/core';
import { amountString, errorsOf, nullMeansAbsent, uuidParam, uuidString } from '../schemas.js';
import { resultJson, resultSchema, reviewItemJson } from '../serialize.js';

const resolutionBody = {
  type: 'object',
  required: ['outcome', 'note'],
  additionalProperties: false,
  properties: {
    outcome: { type: 'string', enum: [...REVIEW_OUTCOMES] },
    note: { type: 'string', minLength: 1, maxLength: 2000 },
    kind: { type: 'string', enum: ['capture', 'auth', 'refund', 'void'] },
    amount: amountString,
    gatewayTransactionId: { type: 'string', minLength: 1, maxLength: 500 },
    pspReference: { type: 'string', minLength: 1, maxLength: 500 },
    errorCode: { type: 'string', enum: [...TRANSACTION_ERROR_CODES] },
  },
} as const;

/** `?limit=&after=`: the query is not coerced (app.ts), so limit is a string of 1 to 1000. */
const pageQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'string', pattern: '^(?:[1-9][0-9]{0,2}|1000)$', description: `At most this many items, 1 to ${REVIEW_PAGE_MAX_LIMIT} (default ${REVIEW_PAGE_DEFAULT_LIMIT})` },
    after: { type: 'string', minLength: 1, maxLength: 500, description: "A page's `nextCursor`: the items after that page's last one" },
  },
} as const;

/**
 * Transactions held for review, refunds still ongoing at the processor, and charges answered pending
 * that nothing settled (admin key): the list, and a person's resolution after checking the processor's
 * dashboard. See operating.md, "Transactions held for review", "Refunds still ongoing at the processor"
 * and "Charges still pending at the processor".
 */
export async function reviewRoutes(app: FastifyInstance, payments: PaymentService): Promise<void> {
  app.get<{ Querystring: { limit?: string; after?: string } }>(
    '/admin/review',
    {
      schema: {
        operationId: 'listReview',
        summary: 'Transactions held for review, refunds still ongoing at the processor, and charges still pending there, oldest first',
        description:
          'Transactions held for review (state `review`: the gateway could not tell what it did), and refunds the processor accepted but has not reported finished ' +
          '(kind `refund_ongoing`, state `applied`, no `refund` or `refund_failed` of the same `gatewayTransactionId` yet: their amount stays reserved). ' +
          "Reconciliation settles an ongoing refund once the gateway shows it finished; otherwise, once the processor's dashboard shows it final, " +
          'settle it with POST /admin/review/{transactionId}: `succeeded` records the `refund` (its amount, or a smaller `amount`), `failed` a `refund_failed` that releases the amount. ' +
          'Leave one still pending on the dashboard alone. See operating.md, "Refunds still ongoing at the processor". ' +
          'Also charges the processor answered pending (kind `pending`, state `applied`: a bank transfer, USSD, Stripe `processing`) that no successful authorization or capture of the same ' +
          '`gatewayTransactionId` settled for an hour, their payment still `pending` (a failure reported by the processor leaves it so). Once the dashboard shows the charge final, ' +
          'settle it with POST /admin/review/{transactionId}: `succeeded` records the authorization or capture its event would have carried, `failed` the charge\'s failure, which ends it ' +
          '(the payment leaves `pending`). See operating.md, "Charges still pending at the processor". ' +
          'Each item\'s `reason` says which of the three it is: `held_for_review`, `refund_ongoing` or `pending_charge`. ' +
          `A page at a time, oldest first (by createdAt, then id): at most \`limit\` items (default ${REVIEW_PAGE_DEFAULT_LIMIT}, at most ${REVIEW_PAGE_MAX_LIMIT}); ` +
          'while `nextCursor` is not null, ask again with `after` set to it for the items that follow (null: this page holds the last one).',
        querystring: pageQuery,
        response: {
          200: {
            description: 'A page of the transactions held for review, the refunds still ongoing and the charges still pending, each with its payment and why it is listed',
            type: 'object',
            required: ['items', 'nextCursor'],
            properties: {
              items: { type: 'array', items: { $ref: 'ReviewItem#' } },
              nextCursor: { type: ['string', 'null'], description: 'The `after` of the next page; null when this page holds the last item' },
            },
          },
          ...errorsOf([400, 401, 500, 503], {
            400: '`invalid_input`: a `limit` that is not a whole number from 1 to 1000, an unknown parameter, or an `after` the list did not give (`details.reason` `invalid_cursor`)',
          }),
        },
      },
    },
    async (request) => {
      const { limit, after } = request.query;
      const page = await payments.listReviewPage({ limit: limit === undefined ? undefined : Number(limit), after: after ?? null });
      return { items: page.items.map(reviewItemJson), nextCursor: page.nextCursor };
    },
  );
  app.post<{ Params: { transactionId: string }; Body: Omit<ReviewResolution, 'transactionId'> }>(
    '/admin/review/:transactionId',
    {
      schema: {
        operationId: 'resolveReview',
        summary: 'Record what the processor shows for a transaction held for review, or settle a refund still ongoing or a charge still pending',
        description:
          'A transaction held for review is resolved as its gateway answer would have been; a refund still ongoing gets its settling `refund` or `refund_failed`. ' +
          'A charge still pending (`reason` `pending_charge` in the list): `succeeded` records the `capture` or `auth` (`kind`: an authorize\'s is `auth`, a process or confirm must say) ' +
          'of its `gatewayTransactionId` through the webhook inbox, as the processor\'s event would have (for `amount`, or less when given); `failed` records a failed `capture` (an authorize\'s: `auth`) ' +
          'and ends the pending charge: the payment leaves `pending` for the status its amounts give (`not-charged` when nothing is captured). A success event of the processor arriving later is still counted.',
        // Transaction ids are UUIDs, as payment ids: anything else is malformed (400), not unknown (404).
        params: { type: 'object', required: ['transactionId'], properties: { transactionId: uuidString } },
        body: resolutionBody,
        response: {
          200: { ...resultSchema, description: 'The payment and the transaction as recorded' },
          ...errorsOf([400, 401, 404, 409, 413, 415, 500, 503], {
            400: '`invalid_input`: a malformed resolution, or one that does not fit the transaction (a kind its operation cannot have, more than it asked for, a refund or pending charge succeeded without the processor\'s `gatewayTransactionId` when the row has none)',
            404: '`transaction_not_found`',
            409: '`transaction_not_in_review`: it was resolved otherwise meanwhile (its event, reconciliation, another person), or is not in the list (a pending charge whose payment left `pending`)',
          }),
        },
      },
      preValidation: nullMeansAbsent(resolutionBody),
    },
    async (request) => resultJson(await payments.resolveReview({ ...request.body, transactionId: uuidParam(request.params.transactionId) })),
  );
}
