import { expect } from 'chai';
import { createLogger, isPayhostError, type PayhostError } from '@payhost/core';
import { openStore, parseServerConfig } from '@payhost/server';
import { fixturesDir, testConfigDocument } from './support/harness.js';

/**
 * A DATABASE_URL that is not a URL pg reads as written never reaches a message or a log line. pg reads
 * anything: a key=value string or a word became the database name of `postgres://base` (the whole
 * string, password and all, printed as "at base:5432/<string>"), a `/` in a password cut the authority
 * short (the rest printed as the database). Such a string is invalid_configuration, before anything is
 * opened; nothing here reaches a server (port 1 on the loopback answers at once).
 */
describe('server: a DATABASE_URL payhost does not read is refused without quoting it', () => {
  /** What openStore throws for this DATABASE_URL, and the log line a command writes for it. */
  async function open(databaseUrl: string): Promise<{ error: PayhostError; logged: string }> {
    const config = parseServerConfig(testConfigDocument(), fixturesDir, { DATABASE_URL: databaseUrl });
    const error = await openStore(config).then(
      async (opened) => {
        await opened.store.close();
        throw new Error('the store opened');
      },
      (err: unknown) => err,
    );
    expect(isPayhostError(error), String(error)).to.equal(true);
    const lines: string[] = [];
    createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) }).error({ err: error }, 'the store could not be opened');
    return { error: error as PayhostError, logged: lines.join('\n') };
  }

  const refused: Array<[string, string, string[], string]> = [
    ['a key=value string', 'host=127.0.0.1 port=1 user=postgres password=S3cretPW dbname=revops', ['S3cretPW', 'dbname', 'revops'], 'not_a_url'],
    ['a / and an @ in the password, as written', 'postgres://postgres:p@ss/w0rd@127.0.0.1:1/revops', ['w0rd', 'ss:5432'], 'unencoded_slash'],
    ['not a URL at all', 'not a url S3cretPW', ['S3cretPW', 'not a url'], 'not_a_url'],
    ['a % not encoded in the password beside a %2F pg then leaves encoded', 'postgres://postgres:50%off%2FS3cret@127.0.0.1:1/revops', ['50%', 'S3cret'], 'unencoded_percent'],
    ['a ? in the password, the host then the user name and the port its first digits', 'postgres://postgres:4242?S3cret@127.0.0.1:1/revops', ['4242', 'S3cret'], 'unencoded_question_mark'],
    ['a socket directory and database as pg reads them, with a password after', '/var/run/postgresql S3cretPW', ['S3cretPW', '/var/run'], 'not_a_url'],
  ];
  for (const [what, databaseUrl, fragments, reason] of refused) {
    it(`${what}: invalid_configuration naming DATABASE_URL (reason ${reason}), in no message, detail or log line`, async () => {
      const { error, logged } = await open(databaseUrl);
      expect(error.code, error.message).to.equal('invalid_configuration');
      expect(error.message).to.match(/^DATABASE_URL is not a valid connection URL: write postgres:\/\/user:password@host:5432\/database/);
      expect(error.details).to.deep.equal({ field: 'DATABASE_URL', reason });
      const shown = [error.message, JSON.stringify(error.details), JSON.stringify((error.cause as PayhostError).details), logged].join('\n');
      for (const fragment of fragments) expect(shown, fragment).not.to.include(fragment);
      expect(logged).to.include('invalid_configuration');
    });
  }

  it('says what is wrong: a key=value string is not read', async () => {
    const { error } = await open('host=127.0.0.1 port=1 user=postgres password=S3cretPW dbname=revops');
    expect(error.message).to.match(/Found: not a postgres:\/\/, postgresql:\/\/ or socket: URL \(key=value strings are not read\)$/);
  });

  it('takes a URL whose password is percent-encoded, and names where it connected without the password', async () => {
    const { error, logged } = await open('postgres://postgres:p%40ss%2Fw0rd%3F%23%25@127.0.0.1:1/revops');
    expect(error.code, error.message).to.equal('store_unavailable');
    expect(error.message).to.match(/^Cannot connect to the PostgreSQL database at 127\.0\.0\.1:1\/revops \(DATABASE_URL\): connect ECONNREFUSED/);
    expect(error.message + logged).not.to.include('w0rd');
  });

  it('takes an Azure user@server user name and a lone % in the password, as pg reads them: it connects, the password nowhere', async () => {
    // Azure Database for PostgreSQL Single Server names users user@server; pg splits at the last @.
    for (const databaseUrl of ['postgres://myuser@myserver:pw@127.0.0.1:1/db?sslmode=disable', 'postgres://u:pa%ss@127.0.0.1:1/db']) {
      const { error, logged } = await open(databaseUrl);
      expect(error.code, `${databaseUrl}: ${error.message}`).to.equal('store_unavailable');
      expect(error.message).to.match(/^Cannot connect to the PostgreSQL database at 127\.0\.0\.1:1\/db \(DATABASE_URL\): connect ECONNREFUSED/);
      expect(error.message + logged).not.to.match(/pw|pa%ss/);
    }
  });

  it('a missing sslrootcert file is said so, not as an invalid URL, and the URL is not quoted', async () => {
    const { error, logged } = await open('postgres://u:S3cretPW@127.0.0.1:1/db?sslrootcert=/nonexistent-payhost/ca.pem');
    expect(error.code, error.message).to.equal('invalid_configuration');
    expect(error.message).to.include('a file the connection string names cannot be read (sslrootcert: ENOENT').and.not.to.include('not a valid');
    expect(error.details).to.include({ option: 'sslrootcert', reason: 'unreadable_file' });
    expect(error.message + logged).not.to.include('S3cretPW');
  });

  it('names a database only by a plain name: one with other characters is left out, the host and port said', async () => {
    const { error } = await open('postgres://postgres@127.0.0.1:1/odd%20name%3Bx');
    expect(error.code, error.message).to.equal('store_unavailable');
    expect(error.message).to.match(/^Cannot connect to the PostgreSQL database at 127\.0\.0\.1:1 \(DATABASE_URL\): connect ECONNREFUSED/);
  });

  it('takes the forms it documents: ?host= and ?port=, a socket: URL, a password with an @ given as a parameter', async () => {
    const taken = ['postgres:///revops?host=127.0.0.1&port=1', 'socket:/nonexistent-payhost-socket-dir?db=revops', 'postgresql://postgres@127.0.0.1:1/revops?password=p@ss/w0rd&sslmode=disable'];
    for (const databaseUrl of taken) {
      const { error, logged } = await open(databaseUrl);
      expect(error.code, `${databaseUrl}: ${error.message}`).to.equal('store_unavailable');
      expect(error.message + logged).not.to.include('w0rd');
    }
  });
});
