// The ioredis Cluster options redis-ha recommends for clients on the Docker host of a cluster
// deployment: ONE table, from which both the options the program (and its tests) connect with
// and the code printed in the connection snippet are made.
import type { ClusterOptions } from 'ioredis';
import { natMap, probeHost, redisNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import type { Credentials } from './connect.js';

/** One option: the value the program uses, and why it is set. */
export interface ClusterOptionEntry {
  key: keyof ClusterOptions & string;
  value: unknown;
  comment?: string;
}

/** Every node's published port: any one that answers is enough to learn the slot map. */
export function clusterStartupNodes(t: Topology, host: string | ((service: string) => string) = probeHost(t)): { host: string; port: number }[] {
  const hostOf = typeof host === 'string' ? () => host : host;
  return redisNodes(t).map((n) => ({ host: hostOf(n.name), port: n.hostPort }));
}

/** `auth`: who the client logs in as (the user app for applications), with TLS the CA. */
export function clusterClientEntries(t: Topology, auth: Credentials, host: string | ((service: string) => string) = probeHost(t)): ClusterOptionEntry[] {
  return [
    {
      key: 'natMap',
      value: natMap(t, host),
      comment: 'the nodes announce their service names (redis-1:6379) in CLUSTER SLOTS and MOVED replies: map them to the ports published on this host',
    },
    {
      key: 'redisOptions',
      value: { ...(auth.username !== undefined ? { username: auth.username, password: auth.password } : {}), ...(auth.tls ? { tls: { ca: auth.tls.ca } } : {}) },
      comment: 'the login of every node connection',
    },
    // A failed master is replaced after cluster-node-timeout plus an election: a command to its
    // slots is retried until the slot map names the promoted replica.
    // ioredis sends a command that got MOVED to a node named in the reply as Redis wrote it
    // (redis-5:6379), which its pool knows only by the natMap'd address: it picks a random node
    // instead (ioredis issue #1582), which answers MOVED again, until its slot map is refreshed.
    // After a failover or a reshard 16 such tries ran out for some commands ("Too many Cluster
    // redirections"); 64 make that vanishingly rare and cost nothing when nothing moves.
    { key: 'maxRedirections', value: 64, comment: 'ioredis follows a MOVED through natMap by trying nodes at random (ioredis #1582): give it room' },
    { key: 'retryDelayOnFailover', value: 200 },
    { key: 'retryDelayOnClusterDown', value: 200 },
    { key: 'slotsRefreshTimeout', value: 2000 },
    // ioredis asks for the slot map only on MOVED or a closed connection: a master that hangs
    // (paused, cut off) answers neither, and its slots' commands would wait on it after its
    // replica took over. Asked every 2 s, the client finds the new master.
    { key: 'slotsRefreshInterval', value: 2000, comment: 'find a new master even when the old one hangs instead of closing the connection' },
  ];
}

export function clusterClientOptions(t: Topology, auth: Credentials, host: string | ((service: string) => string) = probeHost(t)): ClusterOptions {
  return Object.fromEntries(clusterClientEntries(t, auth, host).map((e) => [e.key, e.value])) as ClusterOptions;
}
