// Which Runtime a command gets: Compose for `target: compose`, Swarm for `target: swarm`. The CLI
// builds one factory and hands it down; every runtime it made is ended with it (killChildren).
import type { TargetName } from '../model/schema.js';
import { ComposeRuntime } from './compose.js';
import type { NodeHosts } from './node-hosts.js';
import type { Runtime } from './runtime.js';
import { SwarmRuntime } from './swarm.js';

export type RuntimeFor = (target: TargetName, nodeHosts?: NodeHosts) => Runtime;

export class RuntimeFactory {
  private readonly made: (ComposeRuntime | SwarmRuntime)[] = [];
  private compose?: ComposeRuntime;

  constructor(private readonly env: Record<string, string | undefined>) {}

  /** The compose runtime (one per process). */
  get default(): ComposeRuntime {
    if (!this.compose) {
      this.compose = new ComposeRuntime(this.env);
      this.made.push(this.compose);
    }
    return this.compose;
  }

  readonly runtimeFor: RuntimeFor = (target, nodeHosts = {}) => {
    if (target === 'compose') return this.default;
    const swarm = new SwarmRuntime(this.env, nodeHosts);
    this.made.push(swarm);
    return swarm;
  };

  killChildren(): number {
    return this.made.reduce((n, r) => n + r.killChildren(), 0);
  }
}
