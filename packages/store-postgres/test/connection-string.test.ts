import { expect } from 'chai';
import { isPayhostError, type PayhostError } from '@payhost/core';
import { connectionTarget, createPostgresStore } from '@payhost/store-postgres';

/**
 * Which connection strings the postgres store takes: every one pg reads as written, none it misreads.
 * Port 1 on the loopback refuses at once: a string that is taken fails store_unavailable, never
 * invalid_configuration, and nothing here reaches a server.
 */
describe('postgres store: the connection strings it takes and refuses', () => {
  /** What createPostgresStore throws for this connection string (it never opens: nothing listens). */
  async function openError(connectionString: string): Promise<PayhostError> {
    const error = await createPostgresStore({ connectionString }).then(
      async (store) => {
        await store.close();
        throw new Error('the store opened');
      },
      (err: unknown) => err,
    );
    expect(isPayhostError(error), String(error)).to.equal(true);
    return error as PayhostError;
  }

  /** Everything an operator or a log line could see of this error. */
  const shown = (error: PayhostError): string => [error.message, JSON.stringify(error.details), String((error.cause as Error | undefined)?.message)].join('\n');

  const taken: Array<[string, string, { host: string; port: number; database: string }]> = [
    // Azure Database for PostgreSQL Single Server: the user name is user@server, written as is.
    ['an Azure user@server user name, @ not encoded', 'postgres://myuser@myserver:S3cretPW@127.0.0.1:1/db?sslmode=disable', { host: '127.0.0.1', port: 1, database: 'db' }],
    ['@ and : in the password, not encoded', 'postgres://u:p@ss:S3cretPW@127.0.0.1:1/db', { host: '127.0.0.1', port: 1, database: 'db' }],
    ['several @ before an [IPv6] host', 'postgres://u@x:S3cretPW@[::1]:1/db', { host: '::1', port: 1, database: 'db' }],
    // pg re-encodes the string and reads a lone % as itself when nothing else in it is percent-encoded.
    ['a % not followed by two hex digits in the password', 'postgres://u:pa%ssS3cretPW@127.0.0.1:1/db', { host: '127.0.0.1', port: 1, database: 'db' }],
  ];
  for (const [what, connectionString, target] of taken) {
    it(`takes ${what}: it connects (store_unavailable) and says where, never the password`, async () => {
      expect(connectionTarget(connectionString)).to.deep.equal(target);
      const error = await openError(connectionString);
      expect(error.code, error.message).to.equal('store_unavailable');
      expect(shown(error)).not.to.include('S3cretPW');
    });
  }

  const refused: Array<[string, string, string]> = [
    ['a / in the password: pg reads a host cut short and an @ in the database', 'postgres://u:p@ss/S3cretPW@127.0.0.1:1/db', 'unencoded_slash'],
    ['a ? in the password: pg reads the rest as a query', 'postgres://u:42?S3cretPW@127.0.0.1:1/db', 'unencoded_question_mark'],
    ['a # in the password', 'postgres://u:p#S3cretPW@127.0.0.1:1/db', 'unencoded_hash'],
    ['several @ and no host[:port] after the last', 'postgres://u:p@ss@S3cretPW:1:2/db', 'unencoded_at'],
    ['a lone % beside a %2F pg then leaves encoded', 'postgres://u:50%off%2FS3cretPW@127.0.0.1:1/db', 'unencoded_percent'],
    ['a lone % beside an [IPv6] host pg then cannot read', 'postgres://u:50%offS3cretPW@[::1]:1/db', 'unencoded_percent'],
    ['a key=value string', 'host=127.0.0.1 port=1 password=S3cretPW', 'not_a_url'],
  ];
  for (const [what, connectionString, reason] of refused) {
    it(`refuses ${what}: invalid_configuration, reason ${reason}, never quoting it`, async () => {
      expect(connectionTarget(connectionString)).to.equal(null);
      const error = await openError(connectionString);
      expect(error.code, error.message).to.equal('invalid_configuration');
      expect(error.message).to.match(/^postgres store: the connection string is not a valid URL/);
      expect(error.details).to.include({ option: 'connectionString', reason });
      expect(shown(error)).not.to.include('S3cretPW');
    });
  }

  it('a file a parameter names that cannot be read is said so (option sslrootcert, reason unreadable_file), not "not a valid URL"', async () => {
    const error = await openError('postgres://u:S3cretPW@127.0.0.1:1/db?sslrootcert=/nonexistent-payhost/ca.pem');
    expect(error.code, error.message).to.equal('invalid_configuration');
    expect(error.message).to.equal(
      "postgres store: a file the connection string names cannot be read (sslrootcert: ENOENT: no such file or directory, open '/nonexistent-payhost/ca.pem')",
    );
    expect(error.details).to.include({ option: 'sslrootcert', reason: 'unreadable_file' });
    expect(shown(error)).not.to.include('S3cretPW');
  });
});
