// What each node of a Redis Cluster says about the cluster: its id, CLUSTER INFO, its view of
// every node (CLUSTER NODES) and its replication link. What they say, no verdict: health/cluster.ts
// judges, operations/cluster-create.ts plans from it.
import { addressOf, type Deployment } from '../deployment.js';
import { redisNodes } from '../model/nodes.js';
import { type Credentials, type Endpoint, parseInfo, withConnection } from './connect.js';
import { parseReplicationInfo, type NodeState } from './redis.js';

/** One line of CLUSTER NODES: a node as the asking node sees it. */
export interface ClusterPeer {
  id: string;
  /** The address the asking node dials it at (empty before it is known). */
  ip: string;
  port: number;
  /** cluster-announce-hostname, when the node announced one. */
  hostname?: string;
  /** myself, master, slave, fail?, fail, handshake, noaddr, nofailover. */
  flags: string[];
  /** For a replica, its master's id. */
  masterId?: string;
  configEpoch: number;
  connected: boolean;
  /** Slot ranges it serves, inclusive ([[0, 5460]]); migrating / importing entries left out. */
  slots: [number, number][];
  /** Those entries as listed ("[5461->-<id>]", "[5461-<-<id>]"), when a slot is being moved. */
  openSlots?: string[];
}

export interface ClusterInfo {
  state: string;
  slotsAssigned: number;
  slotsOk: number;
  knownNodes: number;
  /** Masters serving at least one slot. */
  size: number;
  currentEpoch: number;
}

export interface ClusterNodeState {
  service: string;
  hostPort: number;
  reachable: boolean;
  error?: string;
  myid?: string;
  info?: ClusterInfo;
  peers?: ClusterPeer[];
  replication?: Omit<NodeState, 'reachable'>;
}

/** CLUSTER NODES as a list. `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...` */
export function parseClusterNodes(text: string): ClusterPeer[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , epoch = '0', link = '', ...slots] = line.split(' ');
      const open = slots.filter((s) => s.startsWith('['));
      const [endpoint = '', hostname] = address.split(',');
      const [hostPort = ''] = endpoint.split('@');
      const colon = hostPort.lastIndexOf(':');
      return {
        id,
        ip: hostPort.slice(0, colon),
        port: Number(hostPort.slice(colon + 1)),
        ...(hostname ? { hostname } : {}),
        flags: flags.split(','),
        ...(master !== '-' ? { masterId: master } : {}),
        configEpoch: Number(epoch),
        connected: link === 'connected',
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [first, last = first] = s.split('-').map(Number);
            return [first!, last!] as [number, number];
          }),
        ...(open.length ? { openSlots: open } : {}),
      };
    });
}

export function parseClusterInfo(text: string): ClusterInfo {
  const info = parseInfo(text);
  const n = (key: string) => Number(info[key] ?? 0);
  return {
    state: info.cluster_state ?? '?',
    slotsAssigned: n('cluster_slots_assigned'),
    slotsOk: n('cluster_slots_ok'),
    knownNodes: n('cluster_known_nodes'),
    size: n('cluster_size'),
    currentEpoch: n('cluster_current_epoch'),
  };
}

export async function probeClusterNode(endpoint: Endpoint, auth: Credentials): Promise<Omit<ClusterNodeState, 'service' | 'hostPort'>> {
  try {
    return await withConnection(endpoint, auth, async (r) => {
      const [myid, info, nodes, replication] = await Promise.all([
        r.call('CLUSTER', 'MYID') as Promise<string>,
        r.call('CLUSTER', 'INFO') as Promise<string>,
        r.call('CLUSTER', 'NODES') as Promise<string>,
        r.info('replication'),
      ]);
      return { reachable: true, myid, info: parseClusterInfo(info), peers: parseClusterNodes(nodes), replication: parseReplicationInfo(replication) };
    });
  } catch (err) {
    return { reachable: false, error: (err as Error).message };
  }
}

/** Every node of the deployment (or the ones named: a cluster being scaled runs others), through its published port. */
export function probeCluster(d: Deployment, nodes: { name: string; hostPort: number }[] = redisNodes(d.topology)): Promise<ClusterNodeState[]> {
  return Promise.all(
    nodes.map(async (n) => ({
      service: n.name,
      hostPort: n.hostPort,
      ...(await probeClusterNode({ host: addressOf(d, n.name), port: n.hostPort }, d.auth)),
    })),
  );
}

/** Runs one command on a node (cluster creation: ADDSLOTSRANGE, MEET, REPLICATE ...); the reply, or throws the error reply. */
export function clusterCommand(endpoint: Endpoint, auth: Credentials, args: (string | number)[]): Promise<unknown> {
  return withConnection(endpoint, auth, (r) => r.call(String(args[0]), ...args.slice(1).map(String)), 5000);
}
