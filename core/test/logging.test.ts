import { expect } from 'chai';
import { captureLogger } from './support/log-capture.js';

describe('logging', () => {
  it('redacts secrets, tokens, card data and configuration in every line', () => {
    const log = captureLogger();
    log.logger.info(
      {
        token: 'tok_visible?',
        payment: { token: 'tok_nested', cardNumber: '4242424242424242', cvv: '123' },
        plugin: { configuration: { secret_key: 'sk_live_abcdef' } },
        req: { headers: { authorization: 'Bearer admin-key' } },
        response: { clientSecret: 'pi_1_secret_2' },
        amount: '10.00',
      },
      'payment processed',
    );
    const text = log.text();
    for (const secret of ['tok_visible?', 'tok_nested', '4242424242424242', 'sk_live_abcdef', 'admin-key', 'pi_1_secret_2']) {
      expect(text).not.to.include(secret);
    }
    expect(text).to.include('[redacted]');
    // The cvv ('123') checked where it was, not as text: pino's time and pid may hold "123".
    expect(log.lines[0]?.['payment']).to.deep.equal({ token: '[redacted]', cardNumber: '[redacted]', cvv: '[redacted]' });
    expect(log.lines[0]?.['amount']).to.equal('10.00');
  });

  it('redacts the snake_case names processor settings go by (a plugin logging its own settings)', () => {
    const log = captureLogger();
    const settings = {
      api_key: 'key_snake_1',
      secret_key: 'sk_snake_2',
      webhook_secret: 'whsec_snake_3',
      private_key: 'pk_snake_4',
      access_token: 'at_snake_5',
      refresh_token: 'rt_snake_6',
      encryption_key: 'enc_snake_7',
    };
    log.logger.info(settings, 'top level');
    log.logger.warn({ settings, mode: 'live' }, 'nested');
    const text = log.text();
    for (const secret of Object.values(settings)) expect(text).not.to.include(secret);
    expect(log.lines[1]?.['mode']).to.equal('live');
  });

  it('drops the parameters a database driver attaches to a failed statement', () => {
    const log = captureLogger();
    const err = Object.assign(new Error('unsupported Unicode escape sequence'), { query: 'INSERT INTO payments ...', params: ['tok_secret_param', 'ann@example.com'] });
    log.logger.error({ err }, 'payment failed');
    log.logger.error({ error: { params: ['tok_other_param'] } }, 'payment failed');
    const text = log.text();
    expect(text).to.include('unsupported Unicode escape sequence');
    for (const secret of ['tok_secret_param', 'ann@example.com', 'tok_other_param']) expect(text).not.to.include(secret);
  });

  it('drops the request an HTTP client attaches to its error (the processor key in its Authorization header)', () => {
    const log = captureLogger();
    const request = { method: 'post', url: 'https://api.example/v3/charges', headers: { Authorization: 'Bearer FLWSECK_TEST-secretvalue-X' } };
    const err = Object.assign(new Error('Request failed with status code 500'), {
      config: request,
      request: { _header: 'POST /v3/charges\r\nAuthorization: Bearer FLWSECK_TEST-secretvalue-X' },
      response: { status: 500, config: request, headers: { 'set-cookie': 'session=cookie-secret' }, data: { message: 'down' } },
    });
    log.logger.error({ err }, 'gateway call failed');
    log.logger.warn({ call: { headers: { Authorization: 'Basic cnpwX3Rlc3Q6a2V5c2VjcmV0' } } }, 'retrying');
    const text = log.text();
    expect(text).to.include('Request failed with status code 500');
    for (const secret of ['FLWSECK_TEST-secretvalue-X', 'cookie-secret', 'cnpwX3Rlc3Q6a2V5c2VjcmV0']) expect(text).not.to.include(secret);
  });

  it('drops a raw gateway response, at the top level or inside a transaction, with the secrets it may hold', () => {
    const log = captureLogger();
    // Nested deeper than the client_secret paths reach: only dropping rawResponse itself hides them.
    const rawResponse = { object: 'payment_intent', latest: { intent: { client_secret: 'pi_top_secret_value', payment_method: 'pm_card_4242' } } };
    log.logger.warn({ rawResponse }, 'gateway answered');
    log.logger.warn({ transaction: { id: 'tx-1', rawResponse: { data: { intent: { client_secret: 'pi_nested_secret_value' } } } } }, 'transaction recorded');
    const text = log.text();
    for (const secret of ['pi_top_secret_value', 'pi_nested_secret_value', 'pm_card_4242', 'payment_intent']) expect(text).not.to.include(secret);
    expect(log.lines[0]?.['rawResponse']).to.equal('[redacted]');
    expect(log.lines[1]?.['transaction']).to.deep.equal({ id: 'tx-1', rawResponse: '[redacted]' });
  });
});
