import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { checkNoCardNumber, ERROR_CODES, PayhostError, type OperationResult, type Payment, type PaymentService, type Transaction } from '@payhost/core';
import type { ServerContext } from '../context.js';
import { paymentJson, paymentWithTransactionsResponse, resultJson, resultSchema, transactionJson } from '../serialize.js';
import { amountString, currencyCode, errorsOf, IDEMPOTENCY_KEY_PATTERN, nullMeansAbsent, oneIdempotencyKey, optionalBody, pluginId, slug, uuidParam, uuidString, type ErrorStatus } from '../schemas.js';
import { CHECKOUT_KEY_MAX_LENGTH, checkoutKey, createdByCheckout } from './key-namespace.js';

/** The page's static files: index.html, style.css, app.js and the ES modules it imports (no build step). */
const PUBLIC_DIR = fileURLToPath(new URL('../../public/checkout/', import.meta.url));

/** The browser-safe tokenizer of the dummy gateway (`tokenizeCard`, no imports). */
const DUMMY_TOKENIZER = '@payhost/plugin-dummy/browser';

/** Metadata stamped on payments the checkout creates: the public API only shows and confirms those. */
const CHECKOUT_SOURCE = 'checkout';

/**
 * Where the dummy tokenizer lives: resolved from the server package (the
 * usual install), else from the config file's directory, where plugins are
 * imported from. Null when @payhost/plugin-dummy is not installed.
 */
export function resolveDummyTokenizer(baseDir?: string): string | null {
  try {
    return fileURLToPath(import.meta.resolve(DUMMY_TOKENIZER));
  } catch {
    // not next to the server: try where the plugins are
  }
  if (baseDir) {
    try {
      return createRequire(join(baseDir, 'package.json')).resolve(DUMMY_TOKENIZER);
    } catch {
      // not installed
    }
  }
  return null;
}

const idempotencyHeader = {
  type: 'object',
  required: ['idempotency-key'],
  properties: { 'idempotency-key': { type: 'string', minLength: 8, maxLength: CHECKOUT_KEY_MAX_LENGTH, pattern: IDEMPOTENCY_KEY_PATTERN } },
} as const;

const paymentParams = { type: 'object', required: ['id'], properties: { id: uuidString } } as const;

/** As the payment API's (a replay answers the first answer's snapshot), naming the checkout's read. */
const checkoutResult = {
  ...resultSchema,
  description:
    "The operation's transaction and its payment as they were when the operation was first answered: a retry with the same Idempotency-Key answers this same snapshot (GET /checkout/api/payments/{id} for the payment's current state)",
} as const;

const channelSchema = {
  type: 'object',
  required: ['slug', 'name', 'currencies'],
  properties: {
    slug: { type: 'string' },
    name: { type: 'string' },
    currencies: { type: 'array', items: { type: 'string' } },
    defaultGateways: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const payBody = {
  type: 'object',
  required: ['channel', 'amount', 'currency', 'token'],
  additionalProperties: false,
  properties: {
    channel: slug,
    gateway: pluginId,
    amount: amountString,
    currency: currencyCode,
    token: { type: 'string', minLength: 1, maxLength: 2000 },
    nameOnCard: { type: 'string', maxLength: 200 },
  },
} as const;

/**
 * What the public API can answer besides its result: the payment API's statuses less 401 (it takes no
 * key). A GET reads (no gateway call): no 409, 413, 415, 422, 502 or 504.
 */
const OPERATION_ERRORS: readonly ErrorStatus[] = [400, 402, 404, 409, 413, 415, 422, 500, 502, 503, 504];
const READ_ERRORS: readonly ErrorStatus[] = [400, 404, 500, 503];
/** Only the checkout's own payments: any other is not found here, as a payment that does not exist. */
const NOT_CHECKOUT_PAYMENT = '`payment_not_found`: no such payment, or one the checkout API did not create';
/** Its reads touch no database: 503 is only a server shutting down. */
const CONFIG_READ_503 = '`shutting_down` (retry on another instance)';

interface PayBody {
  channel: string;
  gateway?: string;
  amount: string;
  currency: string;
  token: string;
  nameOnCard?: string;
}

/** The request's Idempotency-Key, in the checkout's own namespace (see key-namespace.ts). */
function idempotencyKey(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') throw new PayhostError(ERROR_CODES.invalidInput, 'The Idempotency-Key header is required');
  return checkoutKey(key);
}

/**
 * The demo checkout page and its public API under /checkout (see the server
 * README, "Checkout page"). The API takes no API key: anyone who can reach the
 * server can create, confirm and cancel payments through it, which is what a
 * demo shop needs and a production shop must not expose as is (turn it off
 * with `server.checkout: false` and put your own auth in front of your
 * checkout). It only shows, confirms and cancels payments it created itself.
 */
export async function checkoutRoutes(app: FastifyInstance, ctx: ServerContext, payments: PaymentService): Promise<void> {
  // Its headers (CSP, nosniff, no-store on the API) come from addCheckoutHeaders (headers.ts), a hook of the
  // whole server: the 404 and 405 under /checkout are answered outside this scope.
  // The page: /checkout/ (index.html), /checkout/style.css, /checkout/app.js and its modules.
  await app.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/checkout/',
    wildcard: false,
    redirect: false,
    decorateReply: false,
    index: 'index.html',
  });
  // Relative URLs in the page need the trailing slash.
  app.get('/checkout', { schema: { hide: true } }, async (_request, reply) => reply.redirect('checkout/', 301));

  app.get('/checkout/vendor/dummy-tokens.js', { schema: { hide: true } }, async (_request, reply: FastifyReply) => {
    const path = resolveDummyTokenizer(ctx.config.baseDir);
    const source = path ? await readFile(path, 'utf8').catch(() => null) : null;
    if (source === null) {
      return reply.status(404).send({ code: 'route_not_found', message: 'The dummy card tokenizer is unavailable: @payhost/plugin-dummy is not installed' });
    }
    // The source map is not served: drop its reference so browsers do not ask for it.
    return reply.type('text/javascript; charset=utf-8').send(source.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'));
  });

  const tags = ['checkout'];

  app.get(
    '/checkout/api/channels',
    {
      schema: {
        tags,
        operationId: 'checkoutListChannels',
        summary: 'Channels the checkout can sell in (public)',
        response: {
          200: { description: 'The channels of the configuration, in order, with their currencies', type: 'object', required: ['channels'], properties: { channels: { type: 'array', items: channelSchema } } },
          ...errorsOf([500, 503], { 503: CONFIG_READ_503 }),
        },
      },
    },
    async () => ({
      channels: ctx.manager.config.channels.map((channel) => ({
        slug: channel.slug,
        name: channel.name,
        currencies: channel.currencies,
        defaultGateways: channel.defaultGateways,
      })),
    }),
  );

  app.get<{ Params: { channel: string }; Querystring: { currency?: string } }>(
    '/checkout/api/channels/:channel/gateways',
    {
      schema: {
        tags,
        operationId: 'checkoutListGateways',
        summary: 'Active gateways of a channel for a currency, with their public config (public)',
        params: { type: 'object', required: ['channel'], properties: { channel: slug } },
        querystring: { type: 'object', additionalProperties: false, properties: { currency: currencyCode } },
        response: {
          200: { description: "The channel's active gateways (that take the currency, when one is given), in order", type: 'object', required: ['gateways'], properties: { gateways: { type: 'array', items: { $ref: 'PaymentGateway#' } } } },
          // Plugins that fail to list themselves are left out (and logged), never an error.
          ...errorsOf([400, 404, 500, 503], { 400: '`invalid_input`: a malformed channel, currency or query field', 404: '`unknown_channel`', 503: CONFIG_READ_503 }),
        },
      },
    },
    async (request) => ({
      gateways: await ctx.manager.listPaymentGateways({ channel: request.params.channel, currency: request.query.currency ?? null }),
    }),
  );

  app.post<{ Body: PayBody }>(
    '/checkout/api/payments',
    {
      schema: {
        tags,
        operationId: 'checkoutCreatePayment',
        summary: 'Create a payment from a browser token and process it (public, Idempotency-Key)',
        headers: idempotencyHeader,
        body: payBody,
        response: { 201: checkoutResult, ...errorsOf(OPERATION_ERRORS, { 404: '`unknown_channel` or `unknown_gateway`' }) },
      },
      // One Idempotency-Key header; `gateway` or `nameOnCard` sent as null is absent, as on POST /payments.
      preValidation: [oneIdempotencyKey, nullMeansAbsent(payBody)],
    },
    async (request, reply) => {
      const key = idempotencyKey(request);
      const { amount, nameOnCard, ...rest } = request.body;
      const name = nameOnCard?.trim();
      // Checked here too, to name the field the page sends (the ledger would say data.nameOnCard).
      checkNoCardNumber('nameOnCard', name, "send the cardholder's name, never the card number");
      // Object.assign, not a spread followed by new properties (a new hidden class per request on Node 20).
      const outcome = await payments.pay(Object.assign(rest, { total: amount, metadata: { source: CHECKOUT_SOURCE }, data: name ? { nameOnCard: name } : null, idempotencyKey: key }));
      return reply.status(201).send(resultJson(outcome));
    },
  );

  /** A payment the checkout created, and its transactions; any other id is "not found" here. */
  const checkoutPayment = async (id: string): Promise<{ payment: Payment; transactions: Transaction[] }> => {
    const payment = await payments.getPayment(id);
    const transactions = await payments.listTransactions(payment.id);
    if (!createdByCheckout(transactions)) throw new PayhostError(ERROR_CODES.paymentNotFound, `Payment "${id}" does not exist`, { paymentId: id });
    return { payment, transactions };
  };

  /** A public follow-up of a payment the checkout created: Idempotency-Key in the checkout's namespace, no body or `{}`. */
  const followUp = (action: string, summary: string, run: (payment: Payment, key: string) => Promise<OperationResult>): void => {
    app.post<{ Params: { id: string } }>(
      `/checkout/api/payments/:id/${action}`,
      {
        schema: {
          tags,
          operationId: `checkout${action[0]!.toUpperCase()}${action.slice(1)}Payment`,
          summary,
          headers: idempotencyHeader,
          params: paymentParams,
          // No gateway data from a browser: the page acts with the payment's own state, and a key such as
          // Stripe's connectedAccountId or stripeCustomerId is for the host to set from its records, not a shopper.
          body: { type: 'object', additionalProperties: false, properties: {} },
          response: { 200: checkoutResult, ...errorsOf(OPERATION_ERRORS, { 404: NOT_CHECKOUT_PAYMENT }) },
        },
        // As POST /payments/:id/confirm: no body is the same as {}; one Idempotency-Key header. (The body has
        // no field a null could stand for: a null field is an unknown one.)
        preValidation: [optionalBody, oneIdempotencyKey],
      },
      async (request) => {
        const key = idempotencyKey(request);
        const { payment } = await checkoutPayment(uuidParam(request.params.id));
        return resultJson(await run(payment, key));
      },
    );
  };

  followUp('confirm', 'Confirm a payment after 3-D Secure (public, Idempotency-Key)', (payment, key) => payments.confirm({ paymentId: payment.id, idempotencyKey: key, data: null }));
  // Only a payment still waiting for the shopper (3-D Secure), checked by the ledger under the payment's
  // lock: an uncaptured authorization (a confirm that landed first) is the shop's to release, not an
  // anonymous caller's. A repeated key replays its void before any check.
  followUp('cancel', 'Cancel (void) a payment waiting for 3-D Secure (public, Idempotency-Key)', (payment, key) =>
    payments.void({ paymentId: payment.id, idempotencyKey: key, onlyWhileAwaitingAction: true }),
  );

  app.get<{ Params: { id: string } }>(
    '/checkout/api/payments/:id',
    {
      schema: {
        tags,
        operationId: 'checkoutGetPayment',
        summary: 'A checkout payment and its transactions (public)',
        params: paymentParams,
        // The shape GET /payments/:id answers, deliberately: a payment the checkout created has no customer
        // and only `source` in its metadata, and no answer serializes its token or raw responses.
        response: { 200: paymentWithTransactionsResponse, ...errorsOf(READ_ERRORS, { 404: NOT_CHECKOUT_PAYMENT }) },
      },
    },
    async (request) => {
      const { payment, transactions } = await checkoutPayment(uuidParam(request.params.id));
      return { payment: paymentJson(payment), transactions: transactions.map(transactionJson) };
    },
  );
}
