// Reading back a rendered deployment (for status, cleanup, test-failover).
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Topology } from '../model/schema.js';
import { defaultOutDir } from '../paths.js';
import { type Credentials, NO_AUTH, type TlsTrust } from '../credentials.js';
import { oldSecretPath, type SecretName, secretPath, STATS_USER } from '../synth/secrets.js';
import { COMPOSE_FILE, TOPOLOGY_FILE } from '../synth/synthesize.js';
import { CA_CERT_FILE, swarmServerNames } from '../synth/tls.js';

export interface DeploymentFiles {
  dir: string;
  composeFile: string;
  topology: Topology;
  /** What redis-ha itself logs in as (the user admin), on the nodes and the Sentinels. */
  admin: Credentials;
  /** What client applications log in as (the user app): printed snippets, `status --json`. */
  app: Credentials;
  /** HAProxy's /stats and /metrics login. */
  stats: Credentials;
  /** With TLS, the CA clients trust (also inside admin and app). */
  tls?: TlsTrust;
}

/** The CA of a TLS deployment (<dir>/tls/ca.crt); undefined without TLS. */
export async function readTlsTrust(dir: string, topology: Topology): Promise<TlsTrust | undefined> {
  if (!topology.tls?.enabled) return undefined;
  const caFile = join(dir, CA_CERT_FILE);
  const ca = await readFile(caFile, 'utf8').catch(() => '');
  if (!ca.includes('BEGIN CERTIFICATE')) {
    throw new UsageError(`the deployment speaks TLS, but its CA certificate is missing (${caFile})`, 'render the deployment again (`redis-ha render` or `deploy`): it keeps the CA key and writes ca.crt');
  }
  const serverNames = swarmServerNames(topology);
  return { ca, caFile, ...(serverNames ? { serverNames } : {}) };
}

/** The credentials of one user of a rendered deployment; none when auth is disabled. */
export async function readCredentials(dir: string, topology: Topology, user: string, secret = user): Promise<Credentials> {
  if (!topology.auth.enabled) return NO_AUTH;
  const path = join(dir, secretPath(secret));
  const password = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (!password) {
    throw new UsageError(`the secret of user ${user} is missing (${path})`, 'render the deployment again (`redis-ha render` or `deploy`) to restore it');
  }
  return { username: user, password };
}

/** A switched rotation's old password (secrets/<name>.old), for the HTTP logins that may still run with it. */
async function previousSecret(dir: string, name: SecretName): Promise<Pick<Credentials, 'previousPassword'>> {
  const old = (await readFile(join(dir, oldSecretPath(name)), 'utf8').catch(() => '')).trim();
  return old ? { previousPassword: old } : {};
}

/** The deployment name to use when --name is not given: the only one rendered here, else redis-ha. */
export function defaultDeploymentName(cwd: string): string {
  const root = join(cwd, '.redis-ha');
  if (!existsSync(root)) return 'redis-ha';
  const names = readdirSync(root).filter((n) => existsSync(join(root, n, TOPOLOGY_FILE)));
  return names.length === 1 ? names[0]! : 'redis-ha';
}

/** Where the deployment's files are expected under `cwd`: --dir, else ./.redis-ha/<name>. */
export function deploymentDir(options: { name?: string; dir?: string }, cwd: string): string {
  return options.dir ? resolve(cwd, options.dir) : defaultOutDir(deploymentName(options, cwd), cwd);
}

export const deploymentName = (options: { name?: string }, cwd: string) => options.name ?? defaultDeploymentName(cwd);

/** True when `dir` holds a rendered deployment. */
export const hasDeployment = (dir: string) => existsSync(join(dir, TOPOLOGY_FILE));

export async function readDeployment(dir: string): Promise<DeploymentFiles> {
  let topologyText: string;
  try {
    topologyText = await readFile(join(dir, TOPOLOGY_FILE), 'utf8');
  } catch {
    throw new UsageError(
      `no rendered deployment in ${dir} (${TOPOLOGY_FILE} not found)`,
      'deploy it first (`redis-ha deploy <preset>`), or point at it with --name / --dir',
    );
  }
  const topology = JSON.parse(topologyText) as Topology;
  // Rendered before TLS existed: no TLS.
  topology.tls ??= { enabled: false };
  // Rendered before Alertmanager existed: none (nothing reads its other fields then).
  if (topology.monitoring) topology.monitoring.alertmanager ??= { enabled: false } as Topology['monitoring']['alertmanager'];
  if (topology.monitoring) topology.monitoring.grafana ??= { enabled: false } as Topology['monitoring']['grafana'];
  // Rendered before the cluster preset existed: no cluster.
  topology.cluster ??= { enabled: false } as Topology['cluster'];
  const tls = await readTlsTrust(dir, topology);
  const withTls = (c: Credentials): Credentials => (tls ? { ...c, tls } : c);
  return {
    dir,
    composeFile: join(dir, COMPOSE_FILE),
    topology,
    admin: withTls(await readCredentials(dir, topology, 'admin')),
    app: withTls(await readCredentials(dir, topology, 'app')),
    stats: { ...(await readCredentials(dir, topology, STATS_USER, 'haproxy-stats')), ...(await previousSecret(dir, 'haproxy-stats')) },
    ...(tls ? { tls } : {}),
  };
}
