export { FakeStripe, type FakeStripeOptions, type FailOptions, type FaultMatch, type LoggedRequest } from './server.js';
export { MAGIC_CARDS, MAGIC_PAYMENT_METHODS, magicCard, type MagicCard, type CardDecline } from './cards.js';
export { signPayload, signedWebhook, testWebhookSecret, type SignOptions, type SignedWebhook } from './signing.js';
export { parseForm, type FormObject, type FormValue } from './form.js';
export type { Json } from './fixtures.js';
