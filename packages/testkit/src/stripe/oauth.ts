import { FakeOAuthError } from './errors.js';
import type { Json } from './fixtures.js';
import { str } from './form.js';
import type { HandlerContext } from './state.js';

/** connect.stripe.com's token and deauthorize endpoints (the SDK sends them to the same host). */
export function handleOAuth(ctx: HandlerContext, path: string, clientId: string | undefined): Json {
  if (path === '/oauth/token') {
    if (str(ctx.form, 'grant_type') !== 'authorization_code') throw new FakeOAuthError(400, 'unsupported_grant_type', 'Only authorization_code is supported by the fake.');
    const code = str(ctx.form, 'code') ?? '';
    const account = ctx.state.oauthCodes.get(code);
    if (!account) throw new FakeOAuthError(400, 'invalid_grant', `Authorization code does not exist: ${code}`);
    ctx.state.oauthCodes.delete(code);
    return {
      access_token: `sk_test_${account.slice(5)}`,
      livemode: false,
      refresh_token: `rt_${account.slice(5)}`,
      scope: 'read_write',
      stripe_publishable_key: `pk_test_${account.slice(5)}`,
      stripe_user_id: account,
      token_type: 'bearer',
    };
  }
  if (path === '/oauth/deauthorize') {
    if (!clientId) throw new FakeOAuthError(400, 'invalid_request', 'client_id is required');
    return { stripe_user_id: str(ctx.form, 'stripe_user_id') ?? null };
  }
  throw new FakeOAuthError(404, 'invalid_request', `Unknown OAuth path ${path}`);
}
