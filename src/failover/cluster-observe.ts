// The observer of a cluster scenario: every node's CLUSTER INFO and CLUSTER NODES every 200 ms
// through its published port, kept as what the figures need (cluster_state, which node serves
// each shard's slots, which nodes it flags failed). What they say, no verdict: cluster-metrics.ts.
import type { Redis } from 'ioredis';
import { parseClusterInfo, parseClusterNodes } from '../probes/cluster.js';
import type { Credentials } from '../probes/connect.js';
import { every, pollConnection, type ObservedTarget } from './observe.js';

export const CLUSTER_POLL_MS = 200;

/** One node's answer (or its silence) at one moment. */
export interface ClusterSample {
  t: number;
  node: string;
  /** cluster_state; undefined: the node did not answer. */
  state?: string;
  /** Per shard (in slot order, by the first slot of its range): the node that serves it, as this node sees it. */
  owners?: (string | undefined)[];
  /** The nodes this node flags `fail`. */
  failed?: string[];
}

export interface ClusterObserverSetup {
  nodes: ObservedTarget[];
  auth: Credentials;
  /** The first slot of each shard, in shard order. */
  shardFirstSlots: number[];
  /** Node id -> service name (ids do not change; read before the fault). */
  serviceOf: (id: string) => string;
  now: () => number;
}

export class ClusterObserver {
  readonly samples: ClusterSample[] = [];
  private readonly connections: Redis[] = [];
  private stopper?: () => Promise<void>;

  constructor(private readonly s: ClusterObserverSetup) {}

  start(): void {
    const targets = this.s.nodes.map((n) => ({ name: n.name, redis: pollConnection(n, this.s.auth) }));
    this.connections.push(...targets.map((x) => x.redis));
    this.stopper = every(CLUSTER_POLL_MS, async () => {
      await Promise.all(targets.map(async ({ name, redis }) => this.samples.push(await this.sample(name, redis))));
    });
  }

  private async sample(node: string, redis: Redis): Promise<ClusterSample> {
    const t = this.s.now();
    try {
      const [info, nodes] = await Promise.all([redis.call('CLUSTER', 'INFO') as Promise<string>, redis.call('CLUSTER', 'NODES') as Promise<string>]);
      const peers = parseClusterNodes(nodes);
      const owners = this.s.shardFirstSlots.map((slot) => {
        const owner = peers.find((p) => p.flags.includes('master') && p.slots.some(([a, b]) => a <= slot && slot <= b));
        return owner ? this.s.serviceOf(owner.id) : undefined;
      });
      const failed = peers.filter((p) => p.flags.includes('fail')).map((p) => this.s.serviceOf(p.id));
      return { t, node, state: parseClusterInfo(info).state, owners, failed };
    } catch {
      return { t, node };
    }
  }

  /** The latest sample of each node, for the live line. */
  latest(): Map<string, ClusterSample> {
    const m = new Map<string, ClusterSample>();
    for (const s of this.samples) m.set(s.node, s);
    return m;
  }

  async stop(): Promise<void> {
    await this.stopper?.();
    this.stopper = undefined;
    for (const r of this.connections) r.disconnect();
    this.connections.length = 0;
  }
}
