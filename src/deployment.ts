// A running deployment as probes, health checks and failover scenarios see it.
import type { Topology } from './model/schema.js';
import type { Credentials } from './credentials.js';

export interface Deployment {
  topology: Topology;
  /** Who redis-ha logs in as (the user admin), on the nodes and the Sentinels. */
  auth: Credentials;
  /** HAProxy's /stats and /metrics login (user stats). */
  stats?: Credentials;
  /** Address the published ports are reached at from this host. */
  host: string;
  /**
   * On swarm, the address of the node that publishes a service's ports (its task runs there, in
   * host mode); undefined on compose, where every port is on `host`.
   */
  hostOf?: (service: string) => string;
}

/** Where a service's published ports are reached: `redis-2`, `sentinel-1`, `haproxy`, `exporter`. */
export const addressOf = (d: Pick<Deployment, 'host' | 'hostOf'>, service: string): string => d.hostOf?.(service) ?? d.host;

/** The host argument of natMap() / the client options: one address, or one per service. */
export const hostsOf = (d: Pick<Deployment, 'host' | 'hostOf'>): string | ((service: string) => string) => d.hostOf ?? d.host;
