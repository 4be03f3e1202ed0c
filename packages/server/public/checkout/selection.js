// The order's choices: channel, currency and gateway, loaded from the checkout API.
import { api } from './api.js';
import { amountHint, parseAmount } from './money.js';
import { clearMessage, el, showMessage, state } from './page.js';
import { retryStripe } from './stripe-card.js';

/** Redraws the form once the choices change (app.js's updateForm). */
let onChoice = () => {};

export function selectedChannel() {
  return state.channels.find((c) => c.slug === el.channel.value) ?? null;
}

export function selectedGateway() {
  const checked = el.gateways.querySelector('input[name="gateway"]:checked');
  return checked ? (state.gateways.find((g) => g.id === checked.value) ?? null) : null;
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function renderChannels() {
  el.channel.replaceChildren(...state.channels.map((c) => option(c.slug, c.name && c.name !== c.slug ? `${c.name} (${c.slug})` : c.slug)));
  onChannelChange();
}

function onChannelChange() {
  const channel = selectedChannel();
  el.currency.replaceChildren(...(channel?.currencies ?? []).map((code) => option(code, code)));
  onCurrencyChange();
}

function onCurrencyChange() {
  clearMessage();
  el.amountHint.textContent = amountHint(el.currency.value);
  // The amount in the new currency's decimals when it has them ("25.00" USD is "25" JPY); else Pay says what to fix.
  const { amount } = parseAmount(el.amount.value, el.currency.value);
  if (amount) el.amount.value = amount;
  void loadGateways();
}

async function loadGateways() {
  const channel = selectedChannel();
  const currency = el.currency.value;
  const request = ++state.gatewayRequest;
  state.gateways = [];
  el.gateways.replaceChildren();
  el.gatewaysEmpty.hidden = true;
  el.gatewaysRetry.hidden = true;
  retryStripe();
  onChoice();
  if (!channel || !currency) return;
  try {
    const { gateways } = await api('GET', `channels/${encodeURIComponent(channel.slug)}/gateways?currency=${encodeURIComponent(currency)}`);
    if (request !== state.gatewayRequest) return; // the choice changed meanwhile
    state.gateways = gateways;
    renderGateways(channel.defaultGateways?.[currency]);
  } catch (err) {
    if (request !== state.gatewayRequest) return;
    showMessage(`Could not load the gateways: ${err.message}`);
    el.gatewaysRetry.hidden = false; // not a dead end: Retry, or another channel or currency
  }
}

async function retryGateways() {
  clearMessage();
  await loadGateways();
  (el.gateways.querySelector('input:checked') ?? (el.gatewaysRetry.hidden ? el.channel : el.gatewaysRetry)).focus();
}

function renderGateways(preferred) {
  const choice = state.gateways.find((g) => g.id === preferred) ?? state.gateways[0];
  el.gateways.replaceChildren(
    ...state.gateways.map((gateway) => {
      const label = document.createElement('label');
      label.className = 'gateway';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'gateway';
      input.value = gateway.id;
      input.checked = gateway === choice;
      input.addEventListener('change', () => {
        clearMessage();
        retryStripe(); // choosing Stripe again retries a failed load of Stripe.js
        onChoice();
      });
      const name = document.createElement('span');
      name.textContent = gateway.name;
      const id = document.createElement('span');
      id.className = 'gateway-id';
      id.textContent = gateway.id;
      label.append(input, name, id);
      return label;
    }),
  );
  if (state.gateways.length === 0) {
    el.gatewaysEmpty.textContent = `No active gateway takes ${el.currency.value} in this channel.`;
    el.gatewaysEmpty.hidden = false;
  }
  onChoice();
}

export async function loadChannels() {
  el.loading.hidden = false;
  el.channelsRetry.hidden = true;
  try {
    const { channels } = await api('GET', 'channels');
    state.channels = channels;
    el.loading.hidden = true;
    if (channels.length === 0) {
      showMessage('The server has no channels configured.');
      return;
    }
    renderChannels();
  } catch (err) {
    el.loading.hidden = true;
    showMessage(`Could not load the checkout: ${err.message}`);
    el.channelsRetry.hidden = false; // not a dead end
  }
}

async function retryChannels() {
  clearMessage();
  await loadChannels();
  (el.channelsRetry.hidden ? el.channel : el.channelsRetry).focus();
}

/** Wires the channel, currency and gateway choices; `update` redraws the form after each. */
export function initSelection(update) {
  onChoice = update;
  el.channel.addEventListener('change', onChannelChange);
  el.currency.addEventListener('change', onCurrencyChange);
  el.gatewaysRetry.addEventListener('click', () => void retryGateways());
  el.channelsRetry.addEventListener('click', () => void retryChannels());
}
