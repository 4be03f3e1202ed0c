import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ADDRESS_FIELDS, MAX_ADDRESS_FIELD_LENGTH, MAX_IP_ADDRESS_LENGTH, PayhostError, type AddressData, type OperationResult, type PaymentService } from '@payhost/core';
import { paymentJson, paymentWithTransactionsResponse, resultJson, resultSchema, transactionJson } from '../serialize.js';
import { amountString, currencyCode, errorsOf, IDEMPOTENCY_KEY_PATTERN, identifier, nullMeansAbsent, oneIdempotencyKey, optionalBody, pluginId, slug, uuidParam, uuidString } from '../schemas.js';
import { refuseCheckoutKey } from '../checkout/key-namespace.js';

const idempotencyHeader = {
  type: 'object',
  required: ['idempotency-key'],
  properties: { 'idempotency-key': { type: 'string', minLength: 8, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN } },
} as const;

const paymentParams = { type: 'object', required: ['id'], properties: { id: uuidString } } as const;

interface CreateBody {
  channel: string;
  gateway?: string;
  amount: string;
  currency: string;
  token?: string;
  customerId?: string;
  customerEmail?: string;
  storePaymentMethod?: boolean;
  metadata?: Record<string, unknown>;
  /** "process" (default: charge, or authorize when the gateway does not auto-capture) or "authorize". */
  action?: 'process' | 'authorize';
  /** Gateway-specific extras (PaymentData.data): Stripe's returnUrl, Flutterwave's txRef, ... */
  data?: Record<string, unknown>;
  billing?: Partial<AddressData>;
  shipping?: Partial<AddressData>;
  customerIpAddress?: string;
}

/** AddressData (PaymentData.billing and .shipping): its fields only, each optional text ('' when left out). */
const addressSchema = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(ADDRESS_FIELDS.map((name) => [name, { type: 'string', maxLength: MAX_ADDRESS_FIELD_LENGTH }])),
} as const;

/** What an operation on a payment can answer besides its result. */
const OPERATION_ERRORS = [400, 401, 402, 404, 409, 413, 415, 422, 500, 502, 503, 504] as const;
const operationErrors = errorsOf(OPERATION_ERRORS, { 404: '`unknown_channel` or `unknown_gateway`' });
/** A follow-up's only 404 is its payment's: the channel and gateway were checked when it was made. */
const followUpErrors = errorsOf(OPERATION_ERRORS, { 404: '`payment_not_found`' });

function keyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') throw new PayhostError('invalid_input', 'The Idempotency-Key header is required');
  refuseCheckoutKey(key);
  return key;
}

const createBody = {
  type: 'object',
  required: ['channel', 'amount', 'currency'],
  additionalProperties: false,
  properties: {
    channel: slug,
    gateway: pluginId,
    amount: amountString,
    currency: currencyCode,
    token: { type: 'string', minLength: 1, maxLength: 2000 },
    customerId: identifier,
    customerEmail: { type: 'string', format: 'email', maxLength: 320 },
    storePaymentMethod: { type: 'boolean' },
    metadata: { type: 'object', maxProperties: 50 },
    action: { type: 'string', enum: ['process', 'authorize'] },
    data: { type: 'object', maxProperties: 50 },
    billing: { ...addressSchema, description: 'The billing address, sent to the gateway in PaymentData.billing (address verification); kept with the payment, never in an answer' },
    shipping: { ...addressSchema, description: 'The shipping address, sent to the gateway in PaymentData.shipping; kept with the payment, never in an answer' },
    customerIpAddress: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_IP_ADDRESS_LENGTH,
      description: "The customer's IPv4 or IPv6 address (the shopper's, not the caller's), sent to the gateway in PaymentData.customerIpAddress (risk checks); kept with the payment, never in an answer",
    },
  },
} as const;

/** The payment API: every mutating route takes an Idempotency-Key header. */
export async function paymentRoutes(app: FastifyInstance, payments: PaymentService): Promise<void> {
  app.post<{ Body: CreateBody }>(
    '/payments',
    {
      schema: {
        operationId: 'createPayment',
        summary: 'Create a payment and charge it (process) or authorize it',
        headers: idempotencyHeader,
        body: createBody,
        response: { 201: resultSchema, ...operationErrors },
      },
      preValidation: [oneIdempotencyKey, nullMeansAbsent(createBody)],
    },
    async (request, reply) => {
      const key = keyOf(request);
      const { amount, ...rest } = request.body;
      // Object.assign, not `{ ...rest, total }`: on Node 20's V8 a spread followed by new properties
      // builds a new hidden class per request (about 2 us).
      const outcome = await payments.pay(Object.assign(rest, { total: amount, idempotencyKey: key }));
      return reply.status(201).send(resultJson(outcome));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/payments/:id',
    {
      schema: {
        operationId: 'getPayment',
        summary: 'A payment and its transactions',
        params: paymentParams,
        response: { 200: paymentWithTransactionsResponse, ...errorsOf([400, 401, 404, 500, 503], { 404: '`payment_not_found`' }) },
      },
    },
    async (request) => {
      const payment = await payments.getPayment(uuidParam(request.params.id));
      const transactions = await payments.listTransactions(payment.id);
      return { payment: paymentJson(payment), transactions: transactions.map(transactionJson) };
    },
  );

  const amountBody = { type: 'object', additionalProperties: false, properties: { amount: amountString } } as const;
  const dataBody = { type: 'object', additionalProperties: false, properties: { data: { type: 'object', maxProperties: 50 } } } as const;
  const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;

  const operation = (path: string, summary: string, body: { properties: Record<string, unknown> }, run: (id: string, key: string, body: Record<string, unknown>) => Promise<OperationResult>) => {
    app.post<{ Params: { id: string }; Body: Record<string, unknown> | undefined }>(
      `/payments/:id/${path}`,
      {
        schema: { operationId: `${path}Payment`, summary, headers: idempotencyHeader, params: paymentParams, body, response: { 200: resultSchema, ...followUpErrors } },
        // A POST without a body means "no options" (e.g. capture everything); so does a null field.
        preValidation: [optionalBody, oneIdempotencyKey, nullMeansAbsent(body)],
      },
      async (request) => resultJson(await run(uuidParam(request.params.id), keyOf(request), request.body ?? {})),
    );
  };
  operation('capture', 'Capture (all that is authorized, or `amount`)', amountBody, (paymentId, idempotencyKey, body) =>
    payments.capture({ paymentId, idempotencyKey, amount: (body['amount'] as string | undefined) ?? null }),
  );
  operation('refund', 'Refund (all that is captured, or `amount`)', amountBody, (paymentId, idempotencyKey, body) =>
    payments.refund({ paymentId, idempotencyKey, amount: (body['amount'] as string | undefined) ?? null }),
  );
  operation('void', 'Void an uncaptured authorization', emptyBody, (paymentId, idempotencyKey) => payments.void({ paymentId, idempotencyKey }));
  operation('confirm', 'Confirm after customer action (3-D Secure)', dataBody, (paymentId, idempotencyKey, body) =>
    payments.confirm({ paymentId, idempotencyKey, data: (body['data'] as Record<string, unknown> | undefined) ?? null }),
  );
}

