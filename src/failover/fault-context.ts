// What a fault is injected with: the deployment, the engine, the heal stack, and how the
// whole-node faults are injected this run. Its own module so that the scenario table and the
// modules that inject faults (node-faults.ts, swarm-holds.ts) all depend on it and not on each other.
import type { Topology } from '../model/schema.js';
import type { HealStack } from '../operations/heal.js';
import type { Credentials } from '../probes/connect.js';
import type { ContainerInfo, Runtime } from '../runtime/runtime.js';

export interface FaultContext {
  topology: Topology;
  /** The engine the faults go through. */
  runtime: Runtime;
  heal: HealStack;
  /** The container of a service, as Docker sees it now. */
  container: (service: string) => Promise<ContainerInfo>;
  oldMaster: string;
  /** A replica of the old master (for restart-replica). */
  replica: string;
  /** Notes for the report (what was done). */
  note: (line: string) => void;
  /**
   * How the old master resynced, when the fault measures it itself (a switchover counts the
   * syncs the new master served while the old one attached). Otherwise the run counts every
   * node's syncs over the scenario, where a late sync of an earlier scenario's aftermath counts too.
   */
  resyncMeasured?: (kind: 'full' | 'partial' | 'none') => void;
  /** For planned operations that talk to Redis themselves (switchover). */
  auth: Credentials;
  /** HAProxy's stats login (a rolling restart waits for HAProxy to agree). */
  stats?: Credentials;
  host: string;
  /** On swarm: the address of each service's node. */
  hostOf?: (service: string) => string;
  /** How kill-node / partition-node inject (default: containers / network). */
  nodeFaults?: NodeFaultOptions;
  signal: AbortSignal;
}

export type NodeFaultMode = 'containers' | 'engine';
export type PartitionMode = 'network' | 'link';
export const NODE_FAULT_MODES: readonly NodeFaultMode[] = ['containers', 'engine'];
export const PARTITION_MODES: readonly PartitionMode[] = ['network', 'link'];

/** What the lab can do to a whole node (given by the command; only for lab nodes). */
export interface NodeFaultHooks {
  /** SIGKILL the node's engine, containerd, shims and containers at once. */
  killEngine(node: string): Promise<void>;
  /** Start the node's engine again; resolves once the swarm lists the node Ready. */
  restartEngine(node: string): Promise<void>;
  /** Take the node's network link down (false) or up (true). */
  setLink(node: string, up: boolean): Promise<void>;
}

/** How kill-node and partition-node inject their fault this run. */
export interface NodeFaultOptions {
  kill: NodeFaultMode;
  partition: PartitionMode;
  /** Required for `engine` and `link`. */
  hooks?: NodeFaultHooks;
}
