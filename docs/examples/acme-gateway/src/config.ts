import type { ConfigStructure, ConfigValues } from '@payhost/core';

/** The fields an operator fills in, per channel. Order is display order. */
export const ACME_CONFIG_STRUCTURE: ConfigStructure = {
  api_key: { type: 'Secret', label: 'Secret API key', helpText: 'From the Acme dashboard, "API keys". Masked on every read.' },
  public_key: { type: 'String', label: 'Publishable key', helpText: 'Given to the browser, which tokenizes cards with it.' },
  supported_currencies: { type: 'String', label: 'Supported currencies', helpText: 'Comma-separated ISO 4217 codes, e.g. "USD, EUR".' },
  webhook_secret: { type: 'Secret', label: 'Webhook signing secret', helpText: 'From the Acme dashboard, "Webhooks": Acme signs every delivery with it.' },
};

/** Defaults, back-filled for every field the configuration leaves out. */
export const ACME_DEFAULT_CONFIGURATION: ConfigValues = {
  api_key: null,
  public_key: null,
  supported_currencies: 'USD',
  webhook_secret: null,
};
