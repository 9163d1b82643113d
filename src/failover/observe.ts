// Observers of a failover scenario, all from the host through published ports: every
// node's ROLE and every Sentinel's named master every 100 ms, the Sentinels' events, and
// which node a new connection to the HAProxy write port reaches.
import { Redis } from 'ioredis';
import { sleep } from '../wait.js';
import { type Credentials, DISCONNECT_TIMEOUT_MS, tlsOption, withConnection, type Endpoint } from '../probes/connect.js';
import { QuietSentinelConnector } from '../probes/sentinel-client.js';
import type { HaproxyRouteSample, RoleSample, SentinelEvent, SentinelViewSample } from './recording.js';

export const POLL_MS = 100;
/** How long start() waits for each Sentinel subscription. */
const SUBSCRIBE_WAIT_MS = 2000;
export const SENTINEL_CHANNELS = ['+sdown', '-sdown', '+odown', '-odown', '+switch-master', '+convert-to-slave', '+tilt', '-tilt', '+failover-end'];

export interface ObservedTarget extends Endpoint {
  name: string;
}

export interface ObserverSetup {
  nodes: ObservedTarget[];
  sentinels: ObservedTarget[];
  haproxyWrite?: Endpoint;
  auth: Credentials;
  masterName: string;
  now: () => number;
}

/** A long-lived connection for polling: short timeouts, reconnects by itself, never queues. */
export function pollConnection(e: Endpoint, auth: Credentials): Redis {
  const r = new Redis({
    host: e.host,
    port: e.port,
    username: auth.username,
    password: auth.password,
    ...tlsOption(auth),
    connectTimeout: 300,
    commandTimeout: 300,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => 100,
    reconnectOnError: () => false,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  });
  r.on('error', () => undefined);
  return r;
}

/** Runs `tick` every `ms`, skipping a tick while the previous one is still running. */
export function every(ms: number, tick: () => Promise<void>): () => Promise<void> {
  let busy: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (busy) return;
    busy = tick()
      .catch(() => undefined)
      .finally(() => (busy = undefined));
  }, ms);
  return async () => {
    clearInterval(timer);
    await busy;
  };
}

export class Observer {
  readonly roles: RoleSample[] = [];
  readonly sentinelViews: SentinelViewSample[] = [];
  readonly events: SentinelEvent[] = [];
  readonly haproxyRoutes: HaproxyRouteSample[] = [];
  private readonly connections: Redis[] = [];
  private readonly stoppers: (() => Promise<void>)[] = [];

  constructor(private readonly s: ObserverSetup) {}

  /** The latest role of each node, for the live line. */
  currentRoles(): Map<string, string> {
    const m = new Map<string, string>();
    for (const r of this.roles) m.set(r.node, r.role);
    return m;
  }

  async start(): Promise<void> {
    const { now, auth } = this.s;
    for (const node of this.s.nodes) {
      const r = pollConnection(node, auth);
      this.connections.push(r);
      this.stoppers.push(
        every(POLL_MS, async () => {
          const t = now();
          try {
            const reply = (await r.call('ROLE')) as unknown[];
            this.roles.push({ t, node: node.name, role: reply[0] === 'master' ? 'master' : 'slave' });
          } catch {
            this.roles.push({ t, node: node.name, role: 'down' });
          }
        }),
      );
    }
    for (const sentinel of this.s.sentinels) {
      const r = pollConnection(sentinel, auth);
      this.connections.push(r);
      this.stoppers.push(
        every(POLL_MS, async () => {
          const t = now();
          try {
            const reply = (await r.call('SENTINEL', 'get-master-addr-by-name', this.s.masterName)) as string[] | null;
            this.sentinelViews.push({ t, sentinel: sentinel.name, master: reply?.[0] });
          } catch {
            this.sentinelViews.push({ t, sentinel: sentinel.name });
          }
        }),
      );
      // quiet(): errors listened for, and the SUBSCRIBE ioredis resends after a reconnect
      // settled, so that stop() while it is due does not end the process.
      const sub = QuietSentinelConnector.quiet(
        new Redis({
          host: sentinel.host,
          port: sentinel.port,
          username: auth.username,
          password: auth.password,
          ...tlsOption(auth),
          connectTimeout: 500,
          retryStrategy: () => 200,
          maxRetriesPerRequest: null,
          disconnectTimeout: DISCONNECT_TIMEOUT_MS,
        }),
      );
      sub.on('message', (channel: string, message: string) => {
        this.events.push({ t: now(), sentinel: sentinel.name, type: channel, detail: message });
      });
      this.connections.push(sub);
      // Bounded: a Sentinel that is down must not hold up the scenario (ioredis subscribes
      // once it connects, and again after every reconnect).
      await Promise.race([sub.subscribe(...SENTINEL_CHANNELS).catch(() => undefined), sleep(SUBSCRIBE_WAIT_MS, { ref: false })]);
    }
    const haproxy = this.s.haproxyWrite;
    if (haproxy) {
      this.stoppers.push(
        every(POLL_MS, async () => {
          const t = now();
          try {
            const reply = (await withConnection(haproxy, auth, (r) => r.config('GET', 'replica-announce-ip'), 500)) as string[];
            this.haproxyRoutes.push({ t, node: reply[1] });
          } catch (err) {
            this.haproxyRoutes.push({ t, error: (err as Error).message });
          }
        }),
      );
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.stoppers.map((s) => s()));
    this.stoppers.length = 0;
    for (const c of this.connections) c.disconnect();
    this.connections.length = 0;
  }
}
