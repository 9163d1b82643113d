// A running deployment as probes, health checks and failover scenarios see it.
import type { Topology } from './model/schema.js';

export interface Deployment {
  topology: Topology;
  password: string;
  /** Address the published ports are reached at from this host. */
  host: string;
}
