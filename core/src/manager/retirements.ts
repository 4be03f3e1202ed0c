import type { AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import type { HookPipeline } from './hook-pipeline.js';
import { disposeContainer, type Runtime } from './runtime-builder.js';

/**
 * Closes the plugin instances a configuration change replaced, once no call
 * is in flight on them. A replaced instance is only reachable through the
 * pipelines of the version it belonged to, and requests in flight finish on
 * the version they began on: so its container (a channel's scope, or the root
 * for global plugins) is disposed, closing its instances, when those
 * pipelines are idle. A call whose plugin timed out counts as finished.
 */
export class Retirements {
  private readonly pending = new Set<Promise<void>>();
  /** Pipelines replaced and not yet idle: they may still call a global plugin another retirement closes. */
  private readonly draining = new Set<HookPipeline>();

  constructor(private readonly logger: Logger) {}

  /** One channel was rebuilt: its old scope holds its per-channel instances, used by its old pipeline only. */
  retireChannel(previous: Runtime, slug: string): void {
    const channel = previous.channels.get(slug);
    const scope = previous.scopes.get(slug);
    if (channel && scope) this.retire([channel.pipeline], [], [scope]);
  }

  /**
   * A whole version was replaced (a global plugin's change, or the manager
   * closing): every instance it holds is closed once its pipelines, and the
   * earlier ones still draining (they share its global plugins), are idle.
   */
  retireRuntime(previous: Runtime): void {
    const pipelines = [previous.globalPipeline, ...[...previous.channels.values()].map((channel) => channel.pipeline)];
    this.retire(pipelines, [...this.draining], [...previous.scopes.values(), previous.root]);
  }

  /** Resolves once every retirement so far has closed its instances. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private retire(pipelines: readonly HookPipeline[], alsoWaitFor: readonly HookPipeline[], containers: readonly AwilixContainer[]): void {
    for (const pipeline of pipelines) this.draining.add(pipeline);
    const done = Promise.all([...pipelines, ...alsoWaitFor].map((pipeline) => pipeline.idle())).then(async () => {
      for (const pipeline of pipelines) this.draining.delete(pipeline);
      await Promise.all(containers.map((container) => disposeContainer(container, this.logger)));
    });
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }
}
