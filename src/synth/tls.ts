// TLS, the pure part: which certificates a topology needs (and the names each must carry),
// where they live in <out>/tls/ and in the containers. Issuing and reusing them is
// files/certificates.ts's job; nothing here touches the disk or draws a random number.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { redisNodes, sentinelNodes } from '../model/nodes.js';
import { nodeSlot } from '../model/placement.js';
import type { Topology } from '../model/schema.js';
import { containerSecret } from './secrets.js';

export const TLS_DIR = 'tls';
/** What clients need: the private CA's certificate. */
export const CA_CERT_FILE = `${TLS_DIR}/ca.crt`;
/** The CA's key: signs the service certificates at render time; never mounted anywhere. */
export const CA_KEY_FILE = `${TLS_DIR}/ca.key`;
export const certFile = (service: string) => `${TLS_DIR}/${service}.crt`;
export const keyFile = (service: string) => `${TLS_DIR}/${service}.key`;

/** Files under tls/ that are secret (keys). Certificates are public, but share the directory. */
export const isTlsKeyFile = (path: string) => path.startsWith(`${TLS_DIR}/`) && path.endsWith('.key');

/**
 * The compose / Swarm secret names the TLS files are mounted by, at /run/secrets/<name>:
 * `tls-ca.crt`, `tls-<service>.crt`, `tls-<service>.key`. Mounted like the password secrets
 * (never a bind mount of the directory), so each container gets only its own key.
 */
export const TLS_CA_SECRET = 'tls-ca.crt';
export const tlsCertSecret = (service: string) => `tls-${service}.crt`;
export const tlsKeySecret = (service: string) => `tls-${service}.key`;
/** Secret name -> rendered file, for every TLS secret. */
export function tlsSecretFile(secret: string): string | undefined {
  if (secret === TLS_CA_SECRET) return CA_CERT_FILE;
  const m = /^tls-(.+)\.(crt|key)$/.exec(secret);
  return m ? `${TLS_DIR}/${m[1]}.${m[2]}` : undefined;
}

/** Paths inside a container. */
export const CONTAINER_CA = containerSecret(TLS_CA_SECRET);
export const containerCert = (service: string) => containerSecret(tlsCertSecret(service));
export const containerKey = (service: string) => containerSecret(tlsKeySecret(service));

/**
 * Validity. The CA lives 10 years: replacing it means every client must be handed a new
 * ca.crt. Service certificates live 825 days (the longest validity macOS / iOS accept for a
 * TLS server certificate, and what the CA/Browser Forum allowed until 2020); a render within
 * 30 days of a certificate's end issues a new one (status warns from then on), so a
 * deployment that is rendered now and then never runs on an expired one.
 */
export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 825;
export const RENEW_BEFORE_DAYS = 30;

export interface CertificateRequest {
  /** The service (redis-1, sentinel-2, haproxy): file names and the certificate's CN. */
  service: string;
  dnsNames: string[];
  ipAddresses: string[];
}

/**
 * Every certificate the topology needs, each with the names clients reach it by:
 * - its service name: in the network (replication, Sentinel, HAProxy's checks, the exporter,
 *   the start scripts) and in the Sentinels' announcements;
 * - 127.0.0.1 and localhost: the healthchecks inside the container, and clients on the Docker
 *   host, which reach every published port on 127.0.0.1 (the natMap's targets);
 * - `bind` when it is one specific other address: clients on other hosts dial it;
 * - `hostAddress` (compose): the engine's host, where clients on this machine dial the ports;
 * - on swarm with `swarm.nodes`, the hostname of the node the service is pinned to (HAProxy:
 *   every node, it floats). Node IP addresses are not known at render time: a client that
 *   dials one verifies against the service name instead (ioredis `tls.servername`, Python
 *   `server_hostname`).
 * The exporter gets none: it only connects out (Redis does not ask clients for certificates).
 */
export function certificateRequests(t: Topology): CertificateRequest[] {
  if (!t.tls.enabled) return [];
  const ips = ['127.0.0.1'];
  if (t.target === 'compose' && !['0.0.0.0', '::', '127.0.0.1'].includes(t.bind)) ips.push(t.bind);
  // hostAddress: the address clients on this machine dial (a remote engine's host).
  const hostAddress = t.target === 'compose' && t.hostAddress && t.hostAddress !== '127.0.0.1' ? t.hostAddress : undefined;
  if (hostAddress && isIP(hostAddress) && !ips.includes(hostAddress)) ips.push(hostAddress);
  const hostName = hostAddress && !isIP(hostAddress) ? [hostAddress] : [];
  const swarmNodes = t.target === 'swarm' ? (t.swarm.nodes ?? []) : [];
  const pinnedTo = (service: string) => (swarmNodes.length ? [swarmNodes[nodeSlot(service, swarmNodes.length, t)]!] : []);
  const unique = (names: string[]) => [...new Set(names)];
  const requests: CertificateRequest[] = [...redisNodes(t), ...sentinelNodes(t)].map((n) => ({
    service: n.name,
    dnsNames: unique([n.name, 'localhost', ...hostName, ...pinnedTo(n.name)]),
    ipAddresses: ips,
  }));
  if (t.haproxy.enabled) requests.push({ service: 'haproxy', dnsNames: unique(['haproxy', 'localhost', ...hostName, ...swarmNodes]), ipAddresses: ips });
  return requests;
}

/**
 * On swarm, the names host-side clients check certificates against (TlsTrust.serverNames):
 * every service with a certificate. Undefined on compose, where every certificate names
 * 127.0.0.1, the address clients dial.
 */
export function swarmServerNames(t: Topology): string[] | undefined {
  return t.tls.enabled && t.target === 'swarm' ? certificateRequests(t).map((r) => r.service) : undefined;
}

/** The rendered TLS files: path under <out> -> PEM text. */
export type TlsFiles = Map<string, string>;

/** When a certificate of the deployment ends. */
export interface CertificateEnd {
  file: string;
  notAfter: Date;
}

/** When each certificate in `tls` ends (the CA's included), earliest first. */
export function certificateEnds(tls: TlsFiles): CertificateEnd[] {
  return [...tls]
    .filter(([path]) => path.endsWith('.crt'))
    .map(([file, pem]) => ({ file, notAfter: new Date(new X509Certificate(pem).validTo) }))
    .sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime() || a.file.localeCompare(b.file));
}
