// A running deployment as probes, health checks and failover scenarios see it.
import type { Topology } from './model/schema.js';
import type { Credentials } from './probes/connect.js';

export interface Deployment {
  topology: Topology;
  /** Who redis-ha logs in as (the user admin), on the nodes and the Sentinels. */
  auth: Credentials;
  /** HAProxy's /stats and /metrics login (user stats). */
  stats?: Credentials;
  /** Address the published ports are reached at from this host. */
  host: string;
}
