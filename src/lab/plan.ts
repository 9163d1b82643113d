// The lab's address and path plan: every name, address and directory of a lab of N nodes,
// computed from N alone (pure). Everything else in src/lab reads it from here.
//
//   host ns: bridge rha-lab0 10.77.0.1/24 ── veth rha-vethI ── ns rha-labI: eth0 10.77.0.1I/24
//   node I engine: docker0 10.77.I.1/24, local networks from 10.78.(16*I).0/20,
//   swarm overlays from 10.79.0.0/16: no range overlaps the host engine's (172.17+/16) or
//   another node's, so a leaked route can never make two networks look like one.
import { UsageError } from '../errors.js';

export const LAB_MIN_NODES = 1;
export const LAB_MAX_NODES = 7;
export const LAB_DEFAULT_NODES = 3;

export const LAB_BRIDGE = 'rha-lab0';
export const LAB_SUBNET = '10.77.0.0/24';
export const LAB_HOST_ADDRESS = '10.77.0.1';
export const LAB_PREFIX_LENGTH = 24;
/** Swarm overlay networks (`swarm init --default-addr-pool`). */
export const LAB_SWARM_POOL = '10.79.0.0/16';
export const LAB_SWARM_POOL_MASK = 24;

export const LAB_DATA_ROOT = '/var/lib/redis-ha-lab';
export const LAB_RUN_ROOT = '/run/redis-ha-lab';
export const LAB_STATE_FILE = `${LAB_RUN_ROOT}/state.json`;
/** Cgroup parent of every container of node I is /redis-ha-lab-nodeI (cgroupfs driver). */
export const LAB_CGROUP_PREFIX = 'redis-ha-lab-node';

export const NETNS_PATTERN = /^rha-lab([1-9])$/;
export const VETH_PATTERN = /^rha-veth([1-9])$/;

export interface LabNodePlan {
  /** node1, node2, ...: also the engine's hostname, hence the swarm node's name. */
  name: string;
  index: number;
  netns: string;
  /** Host side of the node's veth pair (the other end is eth0 in the namespace). */
  veth: string;
  address: string;
  /** unix:///run/redis-ha-lab/nodeI/docker.sock */
  dockerHost: string;
  socket: string;
  dataRoot: string;
  runRoot: string;
  execRoot: string;
  dockerDataRoot: string;
  /** Replaces /etc/docker for this engine only (its own key.json and daemon.json). */
  etcDir: string;
  configFile: string;
  pidFile: string;
  containerdPidFile: string;
  logFile: string;
  bip: string;
  addressPool: string;
  cgroupParent: string;
}

export function checkNodeCount(nodes: number): number {
  if (!Number.isInteger(nodes) || nodes < LAB_MIN_NODES || nodes > LAB_MAX_NODES) {
    throw new UsageError(
      `--nodes must be a whole number from ${LAB_MIN_NODES} to ${LAB_MAX_NODES} (got ${nodes})`,
      `e.g. \`redis-ha lab up --nodes ${LAB_DEFAULT_NODES}\``,
    );
  }
  return nodes;
}

export function nodePlan(index: number): LabNodePlan {
  checkNodeCount(index);
  const name = `node${index}`;
  const dataRoot = `${LAB_DATA_ROOT}/${name}`;
  const runRoot = `${LAB_RUN_ROOT}/${name}`;
  const socket = `${runRoot}/docker.sock`;
  const execRoot = `${runRoot}/exec`;
  return {
    name,
    index,
    netns: `rha-lab${index}`,
    veth: `rha-veth${index}`,
    address: `10.77.0.${10 + index}`,
    dockerHost: `unix://${socket}`,
    socket,
    dataRoot,
    runRoot,
    execRoot,
    dockerDataRoot: `${dataRoot}/docker`,
    etcDir: `${dataRoot}/etc-docker`,
    configFile: `${dataRoot}/etc-docker/daemon.json`,
    pidFile: `${runRoot}/docker.pid`,
    containerdPidFile: `${execRoot}/containerd/containerd.pid`,
    logFile: `${runRoot}/dockerd.log`,
    bip: `10.77.${index}.1/24`,
    addressPool: `base=10.78.${16 * index}.0/20,size=24`,
    cgroupParent: `/${LAB_CGROUP_PREFIX}${index}`,
  };
}

export function labPlan(nodes: number): LabNodePlan[] {
  checkNodeCount(nodes);
  return Array.from({ length: nodes }, (_, i) => nodePlan(i + 1));
}

/** `node2` -> 2; undefined for anything that is not a lab node name. */
export function nodeIndex(name: string): number | undefined {
  const m = /^node([1-9])$/.exec(name);
  const index = m ? Number(m[1]) : undefined;
  return index !== undefined && index <= LAB_MAX_NODES ? index : undefined;
}

/** `--node-host` values for later commands: node1=unix:///run/redis-ha-lab/node1/docker.sock ... */
export function nodeHostFlags(nodes: LabNodePlan[]): string[] {
  return nodes.map((n) => `${n.name}=${n.dockerHost}`);
}
