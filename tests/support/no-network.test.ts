import { expect } from 'chai';

describe('test network guard', () => {
  it('refuses connections outside loopback (no test reaches the internet)', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed; the guard must refuse before any packet.
    const error = await fetch('http://192.0.2.1/').then(
      () => null,
      (err: unknown) => err as Error & { cause?: { code?: string } },
    );
    expect(error, 'the request must be refused').to.not.equal(null);
    expect(String(error?.cause?.code ?? error?.message)).to.match(/NetConnectNotAllowed|Nock/i);
  });
});
