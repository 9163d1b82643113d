// One-shot ioredis connections for probes: fail fast, never retry on their own.
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { Redis } from 'ioredis';

export interface Endpoint {
  host: string;
  port: number;
}

import type { Credentials } from '../credentials.js';

export { NO_AUTH, type Credentials, type TlsTrust } from '../credentials.js';

/**
 * Node's host check, widened to the deployment's service names when it has them (swarm: see
 * TlsTrust.serverNames): the certificate must name the host dialled or one of those services.
 */
export function serviceIdentityCheck(serverNames: readonly string[]): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => (serverNames.some((n) => checkServerIdentity(n, cert) === undefined) ? undefined : checkServerIdentity(host, cert));
}

/** ioredis's `tls` option for these credentials (none without TLS). */
export const tlsOption = (auth: Credentials): { tls?: ConnectionOptions } =>
  auth.tls ? { tls: { ca: auth.tls.ca, ...(auth.tls.serverNames ? { checkServerIdentity: serviceIdentityCheck(auth.tls.serverNames) } : {}) } } : {};

/**
 * How long ioredis waits for a closed connection's socket to close before destroying it
 * (default 2000 ms). Its timer is not cleared when the socket had already closed (a refused
 * connect), so each failed probe kept the CLI alive 2 s after its work was done.
 */
export const DISCONNECT_TIMEOUT_MS = 100;

export function probeConnection(endpoint: Endpoint, auth: Credentials, timeoutMs = 1000): Redis {
  return new Redis({
    host: endpoint.host,
    port: endpoint.port,
    username: auth.username,
    password: auth.password,
    ...tlsOption(auth),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  });
}

/** Runs `fn` on a fresh connection and always closes it. */
export async function withConnection<T>(
  endpoint: Endpoint,
  auth: Credentials,
  fn: (redis: Redis) => Promise<T>,
  timeoutMs = 1000,
): Promise<T> {
  const redis = probeConnection(endpoint, auth, timeoutMs);
  // ioredis rejects a failed connect with "Connection is closed." whatever happened; the
  // socket's own error (ECONNREFUSED, ETIMEDOUT, a TLS error) is what tells a user why.
  let socketError: Error | undefined;
  redis.on('error', (err: Error) => {
    socketError ??= err;
  });
  try {
    try {
      await redis.connect();
    } catch (err) {
      throw socketError ?? err;
    }
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** `key:value` lines of INFO into a record. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Flat [k1, v1, k2, v2] replies (SENTINEL MASTER etc.) into a record. */
export function pairsToRecord(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
