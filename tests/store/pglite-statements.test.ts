import { PGlite } from '@electric-sql/pglite';
import { expect } from 'chai';
import { PgliteStatements } from '../../packages/store-postgres/dist/pglite-statements.js';

// The PGlite store runs its statements through PgliteStatements (prepared once, one protocol
// exchange per run) instead of PGlite's query(). It must answer exactly what query() answers,
// fail the same way, and keep working after a failure.

describe('PGlite statements (prepared, one exchange per run)', function () {
  this.timeout(60_000);
  let db: PGlite;
  let statements: PgliteStatements;

  before(async () => {
    db = await PGlite.create();
    await db.exec(`CREATE TABLE t (
      id text PRIMARY KEY, amount numeric(20, 8), data jsonb, at timestamptz, ok boolean, n bigint, note text
    )`);
    statements = new PgliteStatements(db);
  });
  after(() => db.close());

  const INSERT = 'INSERT INTO t (id, amount, data, at, ok, n, note) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7) RETURNING *';

  it("returns the rows PGlite's own query() returns, for every column type the ledger stores", async () => {
    const at = new Date('2026-12-06T10:11:12.345Z');
    const params = ['a', '10.10', JSON.stringify({ nested: [1, 'x', null] }), at, true, 42n, null];
    const ours = await statements.query(INSERT, params);
    const theirs = await db.query('SELECT * FROM t WHERE id = $1', ['a']);
    expect(ours).to.deep.equal(theirs.rows);
    expect(ours[0]).to.deep.include({ amount: '10.10000000', data: { nested: [1, 'x', null] }, ok: true, note: null });
    expect((ours[0] as { at: Date }).at.getTime()).to.equal(at.getTime());
    // Again through the prepared statement, with other values.
    const again = await statements.query('SELECT * FROM t WHERE id = $1', ['a']);
    expect(again).to.deep.equal(theirs.rows);
    expect(await statements.query('SELECT * FROM t WHERE id = $1', ['missing'])).to.deep.equal([]);
  });

  it('answers an UPDATE without RETURNING with no rows, and applies it', async () => {
    expect(await statements.query('UPDATE t SET note = $2 WHERE id = $1', ['a', 'changed'])).to.deep.equal([]);
    expect((await db.query<{ note: string }>('SELECT note FROM t WHERE id = $1', ['a'])).rows[0]?.note).to.equal('changed');
  });

  it("fails with Postgres's error code and the statement's text, never its parameters, and the next statement runs", async () => {
    await statements.query(INSERT, ['dup', '1', '{}', new Date(), false, 1, 'secret-looking value']);
    let caught: unknown;
    try {
      await statements.query(INSERT, ['dup', '1', '{}', new Date(), false, 1, 'secret-looking value']);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(Error);
    expect(caught).to.include({ code: '23505' });
    expect((caught as { query?: string }).query).to.equal(INSERT);
    expect(caught).not.to.have.property('params');
    expect(JSON.stringify(caught)).not.to.contain('secret-looking value');
    // The failed exchange ended with Sync: the connection is ready for the next statement.
    expect(await statements.query('SELECT count(*)::int AS c FROM t WHERE id = $1', ['dup'])).to.deep.equal([{ c: 1 }]);
  });

  it('reports a statement that does not parse, and the next statement runs', async () => {
    let caught: unknown;
    try {
      await statements.query('SELEC nothing FROM t WHERE id = $1', ['a']);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.include({ code: '42601' });
    expect(await statements.query('SELECT id FROM t WHERE id = $1', ['a'])).to.deep.equal([{ id: 'a' }]);
  });

  it('runs BEGIN ... ROLLBACK through exec, and a failed exec leaves the connection usable', async () => {
    await statements.exec('BEGIN');
    await statements.query('UPDATE t SET note = $2 WHERE id = $1', ['a', 'rolled back']);
    await statements.exec('ROLLBACK');
    expect(await statements.query('SELECT note FROM t WHERE id = $1', ['a'])).to.deep.equal([{ note: 'changed' }]);
    let caught: unknown;
    try {
      await statements.exec('CREATE TABLE t (id text)');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.include({ code: '42P07', query: 'CREATE TABLE t (id text)' });
    expect(await statements.query('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
  });

  it('a statement whose table changed shape since it was prepared fails once, then is prepared anew', async () => {
    await db.exec('CREATE TABLE shape (id int PRIMARY KEY)');
    await db.exec('INSERT INTO shape VALUES (1)');
    const select = 'SELECT * FROM shape WHERE id = $1';
    expect(await statements.query(select, [1])).to.deep.equal([{ id: 1 }]);
    await db.exec("ALTER TABLE shape ADD COLUMN note text DEFAULT 'x'");
    let caught: unknown;
    try {
      await statements.query(select, [1]);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.include({ code: '0A000', query: select });
    expect(await statements.query(select, [1])).to.deep.equal([{ id: 1, note: 'x' }]);
  });

  it('still runs statements once the cache of prepared statements is full', async () => {
    for (let i = 0; i < 300; i++) {
      expect(await statements.query(`SELECT $1::int + ${i} AS v`, [1])).to.deep.equal([{ v: i + 1 }]);
    }
    // Beyond the cache: run through PGlite's query() each time, with the same answers.
    expect(await statements.query('SELECT $1::int + 299 AS v', [2])).to.deep.equal([{ v: 301 }]);
    // Its errors lose PGlite's `params` (ledger data), keep the statement's text.
    let caught: unknown;
    try {
      await statements.query('SELECT $1::int / 0 AS v', [7]);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.include({ code: '22012', query: 'SELECT $1::int / 0 AS v' });
    expect(caught).not.to.have.property('params');
  });
});
