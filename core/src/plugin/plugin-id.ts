/**
 * The one rule for a plugin's static id, shared by the loader (which refuses a
 * class whose id breaks it) and the server (which checks ids in paths and
 * bodies against it). An id is one segment of the plugin's URLs
 * (/plugins/channel/<channel>/<id>/..., the admin API's) and a value in
 * request bodies (`"gateway": "<id>"`): letters, digits, "@", ".", "_" and "-"
 * need no encoding there, while ":", "+", "?", "#", "%", "/" or non-ASCII
 * letters do, or are read as something else; "." and ".." are dot-segments
 * that clients and proxies resolve away.
 */
export const PLUGIN_ID_MAX_LENGTH = 200;

/**
 * The rule as a regular expression source (a JSON schema `pattern`): the
 * characters [A-Za-z0-9@._-], and not "." or ".." as the whole id. Written
 * without lookahead, so every regular-expression engine a generated client
 * may use reads it: three or more characters, any of them; one, not "."; two,
 * not "..".
 */
export const PLUGIN_ID_PATTERN = '^(?:[A-Za-z0-9@._-]{3,}|[A-Za-z0-9@_-][A-Za-z0-9@._-]?|\\.[A-Za-z0-9@_-])$';

/** The rule in words, as refusals state it. */
export const PLUGIN_ID_RULE = `1 to ${PLUGIN_ID_MAX_LENGTH} characters, each an ASCII letter, a digit, "@", ".", "_" or "-", and not "." or ".." alone`;

const ID = new RegExp(PLUGIN_ID_PATTERN);

/** Whether `id` follows the plugin id rule (PLUGIN_ID_RULE). */
export function isPluginId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= PLUGIN_ID_MAX_LENGTH && ID.test(id);
}
