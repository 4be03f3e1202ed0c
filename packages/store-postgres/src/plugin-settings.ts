import { ERROR_CODES, PayhostError, savedSinceError, type PluginSettings, type PluginSettingsSave, type SavedPluginSettings } from '@payhost/core';
import { inTransaction, type Row, type SqlConnection } from './driver.js';
import { jsonParam, timeParam, toDate } from './rows.js';

/**
 * Plugin settings saved by the admin API, in table `plugin_settings` (migration 4): one row per
 * plugin and channel, replaced by each save. A global plugin's row has the channel '' (channel
 * slugs are never empty), so (plugin, channel) is a primary key.
 */
const GLOBAL_CHANNEL = '';

/**
 * Saves one after another across every process on the schema: each save waits for the one before
 * to commit, then takes the next revision. So saves commit in revision order, and a reader that has
 * seen revision N never later finds a new one of N or less. Keyed by the schema, as the migrations' lock is.
 */
const LOCK_SAVES = "SELECT pg_advisory_xact_lock(hashtext('payhost_plugin_settings:' || coalesce(current_schema(), ''))::bigint)";

/** After LOCK_SAVES, in the same transaction: a fresh snapshot (READ COMMITTED) sees the last committed revision. */
const UPSERT = `
  INSERT INTO plugin_settings (plugin, channel, settings, revision, saved_at)
  SELECT $1::text, $2::text, $3::jsonb, coalesce(max(revision), 0) + 1, $4::timestamptz FROM plugin_settings
  ON CONFLICT (plugin, channel) DO UPDATE SET settings = EXCLUDED.settings, revision = EXCLUDED.revision, saved_at = EXCLUDED.saved_at
  RETURNING revision::text AS revision`;

/** After LOCK_SAVES: the revision of the plugin and channel's latest save, for a save made over one (ifRevision). */
const LATEST = 'SELECT revision::text AS revision FROM plugin_settings WHERE plugin = $1::text AND channel = $2::text';

const LIST = `
  SELECT plugin, channel, settings, revision::text AS revision, saved_at FROM plugin_settings
  WHERE revision > $1::bigint ORDER BY revision`;


export async function savePluginSettings(connection: SqlConnection, save: PluginSettingsSave): Promise<number> {
  if (save.channel === GLOBAL_CHANNEL) {
    throw new PayhostError(ERROR_CODES.invalidInput, `plugin settings of ${save.plugin}: a channel is a non-empty slug (null for a global plugin)`, { plugin: save.plugin });
  }
  // Only the two fields: what the table holds is what listPluginSettings answers.
  const settings = save.settings && { active: save.settings.active, configuration: save.settings.configuration };
  const channel = save.channel ?? GLOBAL_CHANNEL;
  return inTransaction(connection, async (tx) => {
    await tx.query(LOCK_SAVES);
    if (save.ifRevision !== undefined) {
      // Under the lock no other save commits before this one: the check holds until the upsert.
      const [current] = await tx.query<{ revision: string }>(LATEST, [save.plugin, channel]);
      const latest = current ? Number(current.revision) : 0;
      if (latest !== save.ifRevision) throw savedSinceError(save, save.ifRevision, latest);
    }
    const [row] = await tx.query<{ revision: string }>(UPSERT, [save.plugin, channel, jsonParam(settings), timeParam(save.now)]);
    return Number(row!.revision);
  });
}

export async function listPluginSettings(connection: SqlConnection, afterRevision: number): Promise<SavedPluginSettings[]> {
  if (typeof afterRevision !== 'number' || Number.isNaN(afterRevision)) {
    throw new PayhostError(ERROR_CODES.invalidInput, `listPluginSettings: afterRevision must be a number, not ${String(afterRevision)}`);
  }
  // Revisions are whole numbers from 1: "above 2.5" is "above 2", "above -Infinity" is "above -1".
  const after = Math.max(-1, Math.min(Math.floor(afterRevision), Number.MAX_SAFE_INTEGER));
  const rows = await connection.query(LIST, [String(after)]);
  return rows.map(rowToSaved);
}

function rowToSaved(row: Row): SavedPluginSettings {
  const channel = String(row.channel);
  return {
    plugin: String(row.plugin),
    channel: channel === GLOBAL_CHANNEL ? null : channel,
    settings: row.settings === null || row.settings === undefined ? null : toSettings(row.settings),
    revision: Number(row.revision),
    savedAt: toDate(row.saved_at),
  };
}

/** Both drivers parse jsonb already. */
function toSettings(value: unknown): PluginSettings {
  const { active, configuration } = value as PluginSettings;
  return { active, configuration: { ...configuration } };
}

/**
 * Rewrites `plugin_settings` (VACUUM FULL: a new file holding only the current saves) so a replaced save,
 * and the secrets it held in plain text or under an old key, is no longer in the table's files; an UPDATE
 * leaves the old row version on disk until then. Runs outside a transaction (VACUUM cannot run in one), and
 * holds the table's exclusive lock for as long as a rewrite of a few rows takes.
 * Embedded (PGlite, this process is the server): also moves the write-ahead log to a new segment and removes
 * the older ones (no recycling, which would keep their bytes), so the data directory no longer holds them.
 * A PostgreSQL server's WAL is its own: CHECKPOINT and pg_switch_wal need privileges payhost does not ask for.
 */
export async function purgeReplacedPluginSettings(connection: SqlConnection, embedded: boolean): Promise<void> {
  // VACUUM FULL by a role that may not vacuum the table (not its owner) only sends a WARNING and succeeds,
  // the table untouched: a rewrite always gives it a new file, so the same file afterwards is a failure.
  const before = await fileOfTable(connection);
  await connection.exec('VACUUM FULL plugin_settings');
  if ((await fileOfTable(connection)) === before) throw await notRewritten(connection);
  if (!embedded) return;
  // A checkpoint removes the segments before its redo point: switch first, so the old one is before it.
  await connection.exec('SET wal_recycle = off');
  try {
    await connection.query('SELECT pg_switch_wal()');
    await connection.exec('CHECKPOINT');
  } finally {
    await connection.exec('RESET wal_recycle');
  }
}

const FILE_OF_TABLE = "SELECT pg_relation_filenode('plugin_settings')::text AS file";

async function fileOfTable(connection: SqlConnection): Promise<string | null> {
  const [row] = await connection.query<{ file: string | null }>(FILE_OF_TABLE);
  return row?.file ?? null;
}

const OWNER_OF_TABLE = "SELECT pg_get_userbyid(relowner) AS owner, current_user::text AS role FROM pg_class WHERE oid = 'plugin_settings'::regclass";

/** Why the table was not rewritten: almost always a role that does not own it (PostgreSQL skips it, warning). */
async function notRewritten(connection: SqlConnection): Promise<PayhostError> {
  const [row] = await connection.query<{ owner: string; role: string }>(OWNER_OF_TABLE);
  const { owner = '?', role = '?' } = row ?? {};
  const why =
    owner === role
      ? `VACUUM FULL left it in the same file`
      : `the database role "${role}" does not own it (its owner is "${owner}"), so PostgreSQL skipped VACUUM FULL with only a warning: run the server as "${owner}", or make "${role}" the owner (ALTER TABLE plugin_settings OWNER TO "${role}")`;
  return new PayhostError(ERROR_CODES.invalidConfiguration, `Table plugin_settings was not rewritten: ${why}`, { reason: 'plugin_settings_not_rewritten', role, owner });
}
