export * from './plugin-manager.js';
export { pluginSettingsIn, type PluginConfigurationUpdate } from './configuration-update.js';
export { PLUGIN_SCOPE_REASONS } from './plugin-lookup.js';
export type { PreparedPluginChange } from './prepared-change.js';
export * from './plugin-failure.js';
export * from './responses.js';
export type { GatewayEntry, ChannelRuntime } from './channel-runtime.js';
export type { PluginEntry, Fallback } from './hook-pipeline.js';
export type { ListedGateway } from './gateway-listings.js';
