// A formed 3 x 1 cluster as its nodes describe it (probes/cluster.ts shapes), for unit tests of
// what is judged or planned from it.
import { CLUSTER_SLOTS } from '../../src/model/cluster.js';
import type { ClusterNodeState, ClusterPeer } from '../../src/probes/cluster.js';

/** A cluster's nodes as each sees the others: `layout` is the truth, `view` may change what a node sees. */
export interface Member {
  service: string;
  id: string;
  ip: string;
  master?: string;
  slots?: [number, number][];
}

export function states(layout: Member[], view: (viewer: Member, peer: ClusterPeer) => ClusterPeer | undefined = (_v, p) => p, info: Partial<ClusterNodeState['info']> = {}): ClusterNodeState[] {
  return layout.map((me, i) => {
    const peers = layout.flatMap((m) => {
      const peer: ClusterPeer = {
        id: m.id,
        ip: m.ip,
        port: 6379,
        hostname: m.service,
        flags: [...(m === me ? ['myself'] : []), m.master ? 'slave' : 'master'],
        ...(m.master ? { masterId: layout.find((x) => x.service === m.master)!.id } : {}),
        configEpoch: 1,
        connected: true,
        slots: m.slots ?? [],
      };
      const seen = m === me ? peer : view(me, peer);
      return seen ? [seen] : [];
    });
    const masterOffset = 1000;
    return {
      service: me.service,
      hostPort: 23001 + i,
      reachable: true,
      myid: me.id,
      info: { state: 'ok', slotsAssigned: CLUSTER_SLOTS, slotsOk: CLUSTER_SLOTS, knownNodes: peers.length, size: 3, currentEpoch: 6, ...info },
      peers,
      replication: me.master ? { role: 'slave', master: '172.22.0.9:6379', linkUp: true, offset: masterOffset } : { role: 'master', offset: masterOffset, connectedReplicas: 1, replicas: [] },
    };
  });
}

export const FORMED: Member[] = [
  { service: 'redis-1', id: 'id1', ip: '10.0.0.1', slots: [[0, 5460]] },
  { service: 'redis-2', id: 'id2', ip: '10.0.0.2', slots: [[5461, 10922]] },
  { service: 'redis-3', id: 'id3', ip: '10.0.0.3', slots: [[10923, 16383]] },
  { service: 'redis-4', id: 'id4', ip: '10.0.0.4', master: 'redis-1' },
  { service: 'redis-5', id: 'id5', ip: '10.0.0.5', master: 'redis-2' },
  { service: 'redis-6', id: 'id6', ip: '10.0.0.6', master: 'redis-3' },
];
