// The ioredis options redis-ha recommends for clients on the Docker host: ONE table of
// entries from which both the options the failover workload measures with and the code
// printed in the connection snippet are made, so users get exactly what was tested.
import { SentinelConnector, type Redis, type RedisOptions } from 'ioredis';
import { natMap, probeHost, sentinelNodes } from '../model/nodes.js';
import type { Topology } from '../model/schema.js';
import { type Credentials, serviceIdentityCheck } from './connect.js';

/**
 * ioredis opens connections of its own to every Sentinel to follow +switch-master (the
 * failover detector) and never listens for their errors: while a Sentinel is down each
 * reconnect prints "[ioredis] Unhandled error event: ... ECONNREFUSED" on stderr. This
 * connector listens; the detector reconnects by itself (sentinelReconnectStrategy).
 *
 * It also settles the SUBSCRIBE that ioredis (6.0.0) sends on its own after a reconnect and
 * never awaits: a detector closed while that reply is due (a failover, or the client
 * reconnecting, replaces the detector) rejects it with "Connection is closed." and Node ends
 * the process on the unhandled rejection (fixed upstream by ioredis PR #2187, unreleased).
 * `quiet()` does both for any subscriber connection to a Sentinel.
 */
export const QUIET_SENTINEL_CONNECTOR_SOURCE = `class QuietSentinelConnector extends SentinelConnector {
  static quiet(client) {
    client.on('error', () => {});
    for (const command of ['subscribe', 'psubscribe', 'ssubscribe']) {
      const send = client[command].bind(client);
      // The caller still gets the rejection; the copy ioredis drops is handled.
      Object.assign(client, { [command]: (...args) => { const reply = send(...args); reply.catch(() => {}); return reply; } });
    }
    return client;
  }

  connectToSentinel(endpoint, options) {
    return QuietSentinelConnector.quiet(super.connectToSentinel(endpoint, options));
  }
}`;

/**
 * The class itself, made from its source text: the client module deploy writes prints that text
 * (Function.prototype.toString of bundled code would print minified, renamed code), so the
 * class test-failover uses and the one users import are the same text.
 */
export const QuietSentinelConnector = new Function('SentinelConnector', `return ${QUIET_SENTINEL_CONNECTOR_SOURCE};`)(SentinelConnector) as QuietSentinelConnectorClass;

/** The class's shape: a SentinelConnector (ioredis keeps connectToSentinel private in its types). */
export interface QuietSentinelConnectorClass {
  new (options: ConstructorParameters<typeof SentinelConnector>[0]): { connectToSentinel(endpoint: unknown, options: unknown): Redis };
  quiet(client: Redis): Redis;
  readonly name: string;
}

/**
 * A function made from its source text: the client module prints the text and the program runs
 * the function made from it (the bundled program's own functions print minified and renamed).
 */
function code(source: string): (...args: never[]) => unknown {
  return new Function(`return ${source};`)() as (...args: never[]) => unknown;
}

/** One option: the value the program uses, and the comment printed beside its code. */
export interface OptionEntry {
  key: keyof RedisOptions & string;
  value: unknown;
  comment?: string;
  /** The code printed for the value when it is not the value itself (the CA: read from its file). */
  source?: string;
}

/** With TLS: the CA for the data connections and the Sentinel connections, both over TLS. */
function tlsEntries(auth: Credentials): OptionEntry[] {
  if (!auth.tls) return [];
  const names = auth.tls.serverNames;
  const readCa = `ca: readFileSync(${JSON.stringify(auth.tls.caFile)})`;
  // On swarm natMap leads to node addresses, which no certificate names: check the service name.
  const ca = { ca: auth.tls.ca, ...(names ? { checkServerIdentity: serviceIdentityCheck(names) } : {}) };
  const source = names
    ? `{ ${readCa}, checkServerIdentity: (host, cert) => (${JSON.stringify(names)}.some((n) => !checkServerIdentity(n, cert)) ? undefined : checkServerIdentity(host, cert)) }`
    : `{ ${readCa} }`;
  const comment = names
    ? "the nodes speak TLS only; natMap leads to node addresses, so the certificate must name one of the deployment's services (its CA signs nothing else)"
    : 'the nodes speak TLS only; their certificates name 127.0.0.1, the address natMap leads to';
  return [
    { key: 'tls', value: ca, source, comment },
    { key: 'sentinelTLS', value: ca, source, comment: 'the Sentinels too' },
    { key: 'enableTLSForSentinelMode', value: true, comment: 'without it ioredis connects to the master Sentinel names in plain text' },
  ];
}

/** `auth`: who the client logs in as, on the nodes and the Sentinels (the user app for applications).
 * `host`: one address for every service (compose), or the address of each service's node (swarm). */
export function sentinelClientEntries(t: Topology, auth: Credentials, host: string | ((service: string) => string) = probeHost(t)): OptionEntry[] {
  const hostOf = typeof host === 'string' ? () => host : host;
  return [
    { key: 'Connector', value: QuietSentinelConnector, comment: "ioredis's own connections to the Sentinels (failover detector) have no 'error' listener, and the SUBSCRIBE they resend after a reconnect has no handler: without this class they print 'Unhandled error event' while a Sentinel is down, and a failover at the wrong moment ends the process with an unhandled 'Connection is closed.'" },
    { key: 'sentinels', value: sentinelNodes(t).map((s) => ({ host: hostOf(s.name), port: s.hostPort })) },
    { key: 'name', value: t.sentinel.masterName },
    { key: 'username', value: auth.username },
    { key: 'password', value: auth.password },
    { key: 'sentinelUsername', value: auth.username },
    { key: 'sentinelPassword', value: auth.password },
    ...tlsEntries(auth),
    { key: 'natMap', value: natMap(t, host), comment: 'Sentinels announce in-network names (redis-2:6379); map them to the published ports' },
    { key: 'updateSentinels', value: false, comment: 'Sentinels found through others are announced by in-network name: unreachable here' },
    { key: 'failoverDetector', value: true, comment: 'subscribe to +switch-master on the Sentinels: reconnect to the new master at once' },
    { key: 'connectTimeout', value: 500 },
    {
      key: 'commandTimeout',
      value: 3500,
      // A switchover holds writes with CLIENT PAUSE until Sentinel has switched: 1.1 to 1.5 s
      // on a quiet host, up to 2.4 s seen on a loaded one; the pause is a 3 s lease at most.
      comment: 'longer than a planned switchover can hold writes (its 3 s pause lease): a write is delayed and resent, not timed out',
    },
    { key: 'maxRetriesPerRequest', value: 1 },
    {
      key: 'retryStrategy',
      value: code('(times) => Math.min(50 * times, 100)'),
      // Every retry asks the Sentinels again, which answer within ms on the host.
      comment: 'reconnect fast while a failover is in progress: the new master is found <= 100 ms after the Sentinels publish it',
    },
    { key: 'sentinelRetryStrategy', value: code('(times) => Math.min(100 * times, 1000)') },
    {
      key: 'sentinelReconnectStrategy',
      value: code('(times) => Math.min(500 * times, 5000)'),
      comment: 'the failover detector resubscribes to a Sentinel that came back within seconds (default: 1 minute)',
    },
    {
      key: 'reconnectOnError',
      value: code("(err) => (err.message.startsWith('READONLY') ? 2 : false)"),
      comment: 'a demoted master answers READONLY: reconnect (asking the Sentinels again) and resend',
    },
  ];
}

export function sentinelClientOptions(t: Topology, auth: Credentials, host: string | ((service: string) => string) = probeHost(t)): RedisOptions {
  return Object.fromEntries(sentinelClientEntries(t, auth, host).map((e) => [e.key, e.value])) as RedisOptions;
}

/**
 * ioredis (5 and 6) ends a Sentinel client for good when the failover detector fires while
 * the client is still reconnecting (the aborted connect attempt sets the status to "end"),
 * and every later command fails with "Connection is closed.". Connect again unless the
 * client was closed on purpose. Returns the function to call before closing it. Source text,
 * evaluated below and printed in the client module, as QuietSentinelConnector.
 */
export const KEEP_CONNECTED_SOURCE = `function keepConnected(redis, retryMs = 100) {
  let closing = false;
  redis.on('end', () => {
    if (!closing) setTimeout(() => !closing && redis.connect().catch(() => undefined), retryMs);
  });
  return () => {
    closing = true;
  };
}`;

export const keepConnected = new Function(`return ${KEEP_CONNECTED_SOURCE};`)() as (redis: Redis, retryMs?: number) => () => void;
