// Mocha root hooks (see .mocharc.json "require"): no test reaches the internet.
// Every test runs with nock's guard on: only loopback addresses may be reached
// (the fake processor servers, the server under test, PostgreSQL is not HTTP).
// Re-applied before each test because some suites lift nock's guard in their
// own `after` hooks.
import nock from 'nock';

const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

function guard() {
  nock.disableNetConnect();
  nock.enableNetConnect(LOOPBACK);
}

export const mochaHooks = {
  beforeAll: guard,
  beforeEach: guard,
};
