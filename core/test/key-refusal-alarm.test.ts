import { expect } from 'chai';
import { KeyRefusalAlarm, LogRateLimiter, createLogger, isKeyRefusal, keyRefusalMessage } from '@payhost/core';

describe('key refusal alarm: one error line a minute at most, with the refusals held back', () => {
  it('LogRateLimiter lets one event through per interval and counts the others (injected clock)', () => {
    let now = 1_000;
    const limiter = new LogRateLimiter(60_000, () => now);
    expect(limiter.take()).to.equal(0);
    for (let i = 0; i < 4; i += 1) expect(limiter.take()).to.equal(null);
    now += 59_999;
    expect(limiter.take()).to.equal(null);
    now += 1;
    expect(limiter.take()).to.equal(5);
    expect(limiter.take()).to.equal(null);
    now += 120_000;
    expect(limiter.take()).to.equal(1);
  });

  it('KeyRefusalAlarm logs at error level: gateway, channel, operation, status, fields; the message names the fields', () => {
    let now = 0;
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const alarm = new KeyRefusalAlarm({ logger, processor: 'Acme', gateway: 'acme.pay', channel: null, configFields: ['key_id', 'key_secret'], now: () => now });
    expect(alarm.report({ operation: 'GET /v1/things/1', status: 403 })).to.equal(true);
    expect(alarm.report({ operation: 'GET /v1/things/2', status: 401 })).to.equal(false);
    now = 60_000;
    expect(alarm.report({ operation: 'POST /v1/things', status: 401, configFields: ['api_token'] })).to.equal(true);
    expect(lines).to.have.length(2);
    expect(lines[0]).to.deep.include({ level: 50, gateway: 'acme.pay', channel: null, operation: 'GET /v1/things/1', http_status: 403, config_fields: ['key_id', 'key_secret'], suppressed: 0 });
    expect(lines[0]?.['msg']).to.equal('Acme rejected the API key (HTTP 403): payments through this gateway fail or are held for review until key_id or key_secret is corrected');
    expect(lines[1]).to.deep.include({ http_status: 401, config_fields: ['api_token'], suppressed: 1 });
    expect(lines[1]?.['msg']).to.equal(keyRefusalMessage('Acme', 401, ['api_token'], 1));
    expect(lines[1]?.['msg']).to.match(/until api_token is corrected \(1 more refusal since the last such line\)$/);
  });

  it('names the channel once when the logger binds it already (the manager\'s child logger)', () => {
    const raw: string[] = [];
    const logger = createLogger({ level: 'info' }, { write: (line: string) => void raw.push(line) }).child({ plugin: 'acme.pay', channel: 'web' });
    new KeyRefusalAlarm({ logger, processor: 'Acme', gateway: 'acme.pay', channel: 'web', configFields: ['secret_key'] }).report({ operation: 'verify', status: 401 });
    expect(raw).to.have.length(1);
    expect(raw[0]?.match(/"channel":/g)).to.have.length(1);
    expect(JSON.parse(raw[0] ?? '{}')).to.deep.include({ channel: 'web', gateway: 'acme.pay', operation: 'verify', http_status: 401 });
  });

  it('isKeyRefusal: 401 and 403 only', () => {
    expect([400, 401, 402, 403, 404, 429, 500, undefined, '401'].map(isKeyRefusal)).to.deep.equal([false, true, false, true, false, false, false, false, false]);
  });
});
