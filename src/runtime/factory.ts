// Which Runtime a command gets: Compose for `target: compose`, Swarm for `target: swarm`, and the
// runner of the programs that are not an engine's (the lab's). The CLI builds one factory and
// hands it down; every runtime and runner it made is ended with it (killChildren).
import type { TargetName } from '../model/schema.js';
import { ComposeRuntime } from './compose.js';
import { CommandRunner } from './exec.js';
import type { NodeHosts } from './node-hosts.js';
import type { Runtime } from './runtime.js';
import { SwarmRuntime } from './swarm.js';

export type RuntimeFor = (target: TargetName, nodeHosts?: NodeHosts) => Runtime;

export class RuntimeFactory {
  private readonly made: (ComposeRuntime | SwarmRuntime)[] = [];
  private compose?: ComposeRuntime;
  private programs?: CommandRunner;

  constructor(private readonly env: Record<string, string | undefined>) {}

  /** The compose runtime (one per process). */
  get default(): ComposeRuntime {
    if (!this.compose) {
      this.compose = new ComposeRuntime(this.env);
      this.made.push(this.compose);
    }
    return this.compose;
  }

  /** The runner of programs besides the engines (the lab's ip, iptables, nsenter, dockerd). */
  get runner(): CommandRunner {
    this.programs ??= new CommandRunner(this.env);
    return this.programs;
  }

  readonly runtimeFor: RuntimeFor = (target, nodeHosts = {}) => {
    if (target === 'compose') return this.default;
    const swarm = new SwarmRuntime(this.env, nodeHosts);
    this.made.push(swarm);
    return swarm;
  };

  killChildren(): number {
    return this.made.reduce((n, r) => n + r.killChildren(), this.programs?.killAll() ?? 0);
  }
}
