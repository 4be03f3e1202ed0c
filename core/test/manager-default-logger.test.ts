import { expect } from 'chai';
import sinon from 'sinon';
import { BasePlugin, PluginManager, type PluginInit } from '@payhost/core';

/** A plugin that logs at info and at warn when it starts, its key in a field pino redacts. */
class Chatty extends BasePlugin {
  static override id = 'test.chatty';
  constructor(init: PluginInit) {
    super(init);
    this.logger.info('chatty started');
    this.logger.warn({ api_key: 'sk_test_chatty_0123456789' }, 'chatty is misconfigured');
  }
}

/** What building a manager without a logger writes to stderr and stdout, with PAYHOST_LOG_LEVEL as given. */
function outputOfBuild(level: string | undefined): { stderr: string; stdout: string } {
  const saved = process.env['PAYHOST_LOG_LEVEL'];
  if (level === undefined) delete process.env['PAYHOST_LOG_LEVEL'];
  else process.env['PAYHOST_LOG_LEVEL'] = level;
  const stderr: string[] = [];
  const stdout: string[] = [];
  const err = sinon.stub(process.stderr, 'write').callsFake((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0);
  const out = sinon.stub(process.stdout, 'write').callsFake((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0);
  try {
    // `extra` is not a field of the plugin: dropped, with a warning of the manager's own.
    new PluginManager({ plugins: [Chatty], config: { channels: [{ slug: 'web', currencies: ['USD'], plugins: { 'test.chatty': { active: true, configuration: { extra: 'x' } } } }] } });
  } finally {
    err.restore();
    out.restore();
    if (saved === undefined) delete process.env['PAYHOST_LOG_LEVEL'];
    else process.env['PAYHOST_LOG_LEVEL'] = saved;
  }
  return { stderr: stderr.join(''), stdout: stdout.join('') };
}

describe('manager: the logger of a host that passes none', () => {
  it("writes warnings (the manager's and the plugins') to stderr as redacted JSON lines, nothing below warn, nothing on stdout", () => {
    const { stderr, stdout } = outputOfBuild(undefined);
    const lines = stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line['msg'])).to.have.members(['Unknown configuration field "extra" of plugin "test.chatty" dropped', 'chatty is misconfigured']);
    expect(lines.every((line) => line['level'] === 40 && line['name'] === 'payhost'), 'warn lines named payhost').to.equal(true);
    expect(lines.find((line) => line['msg'] === 'chatty is misconfigured')).to.include({ plugin: 'test.chatty', channel: 'web', api_key: '[redacted]' });
    expect(stdout).to.equal('');
  });

  it('logs at PAYHOST_LOG_LEVEL when it is set: info adds the info lines, silent writes nothing', () => {
    expect(outputOfBuild('info').stderr).to.include('chatty started');
    expect(outputOfBuild('silent').stderr).to.equal('');
  });

  it('keeps warn when PAYHOST_LOG_LEVEL is not a level (a typo must not silence it, nor break the host)', () => {
    expect(outputOfBuild('warning').stderr).to.include('chatty is misconfigured');
  });
});
