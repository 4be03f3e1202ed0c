import pg from 'pg';

/**
 * The PostgreSQL server every PostgreSQL test suite uses: PAYHOST_TEST_DATABASE_URL or, unset,
 * DEFAULT_URL (what the README's machine setup and .ci/run provide). The suites always run and
 * FAIL, saying how to fix it, when the server is unreachable: a skipped suite is not allowed.
 */
export const URL_VARIABLE = 'PAYHOST_TEST_DATABASE_URL';
export const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

export function testDatabaseUrl(): string {
  return process.env[URL_VARIABLE] || DEFAULT_URL;
}

/** Where testDatabaseUrl() came from, for messages. */
export function testDatabaseUrlSource(): string {
  return process.env[URL_VARIABLE] ? URL_VARIABLE : `the default; ${URL_VARIABLE} is not set`;
}

/** The URL with its password replaced, for titles and messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** The error a suite fails with when its server cannot be reached: the address, where it came from, the fix. */
function unreachableError(url: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new Error(
    `PostgreSQL server unreachable at ${redact(url)} (${testDatabaseUrlSource()}): ${reason}. ` +
      `Start it (.ci/run does), or set ${URL_VARIABLE} to a server the tests may create schemas and roles on.`,
    { cause: error },
  );
}

/** Connects once and runs SELECT 1 (5 s at most to connect); throws unreachableError otherwise. For a before() hook. */
export async function checkReachable(url: string = testDatabaseUrl()): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw unreachableError(url, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}
