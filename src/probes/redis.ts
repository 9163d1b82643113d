// What one Redis node says about itself (INFO replication).
import { type Credentials, parseInfo, withConnection, type Endpoint } from './connect.js';

export interface ReplicaEntry {
  host: string;
  port: number;
  state: string;
  offset: number;
  lagSeconds: number;
}

export interface NodeState {
  reachable: boolean;
  error?: string;
  role?: 'master' | 'slave';
  /** For a replica: its master, as "host:port". */
  master?: string;
  linkUp?: boolean;
  /** Master: master_repl_offset. Replica: slave_repl_offset. */
  offset?: number;
  connectedReplicas?: number;
  replicas?: ReplicaEntry[];
  /** Seconds since the replica last heard from its master. */
  lastIoSecondsAgo?: number;
}

export function parseReplicationInfo(text: string): Omit<NodeState, 'reachable'> {
  const info = parseInfo(text);
  const role = info.role === 'master' ? 'master' : 'slave';
  const replicas: ReplicaEntry[] = [];
  for (const [key, value] of Object.entries(info)) {
    if (!/^slave\d+$/.test(key)) continue;
    const fields = Object.fromEntries(value.split(',').map((kv) => kv.split('=') as [string, string]));
    replicas.push({
      host: fields.ip ?? '',
      port: Number(fields.port),
      state: fields.state ?? '',
      offset: Number(fields.offset),
      lagSeconds: Number(fields.lag),
    });
  }
  if (role === 'master') {
    return {
      role,
      offset: Number(info.master_repl_offset),
      connectedReplicas: Number(info.connected_slaves ?? 0),
      replicas,
    };
  }
  return {
    role,
    master: `${info.master_host}:${info.master_port}`,
    linkUp: info.master_link_status === 'up',
    offset: Number(info.slave_repl_offset ?? 0),
    lastIoSecondsAgo: info.master_last_io_seconds_ago !== undefined ? Number(info.master_last_io_seconds_ago) : undefined,
  };
}

export async function probeNode(endpoint: Endpoint, auth: Credentials): Promise<NodeState> {
  try {
    const text = await withConnection(endpoint, auth, (r) => r.info('replication'));
    return { reachable: true, ...parseReplicationInfo(text) };
  } catch (err) {
    return { reachable: false, error: (err as Error).message };
  }
}
