// The Swarm stack file (`docker stack deploy -c stack.yaml <name>`), derived from the compose
// object: whatever a compose service gains (users, secrets, hardening) flows into the stack.
// What changes for Swarm, and why (docs/swarm.md):
// - a rendered file cannot be bind-mounted on another node: each becomes a Swarm config, its
//   name suffixed with a hash of its content (configs are immutable; a changed file is a new
//   config, and only the services that read it are updated);
// - secrets become Swarm secrets the same way; named volumes stay node-local (driver local),
//   so every service with a volume is pinned to one node (model/placement.ts);
// - no service VIPs and no ingress mesh (they mislead Sentinel, and need IPVS): `endpoint_mode:
//   dnsrr`, ONE attachable overlay network, ports published in host mode on the task's node.
//   Compose's back (internal) and front networks collapse into it: an internal overlay would
//   take the published ports and the egress of every task on it, and a second overlay per task
//   was not tested on a swarm. The exporter still publishes no port and is reached only through
//   HAProxy's stats port with its exact target list; it keeps the overlay's egress (docs/swarm.md);
// - what `docker stack deploy` ignores (restart, depends_on, container_name) is converted or dropped;
// - the hardening of the compose services carries over where Swarm has it (user, read_only,
//   cap_drop, init, logging, the memory limit under deploy.resources); `tmpfs` becomes a tmpfs
//   mount; `security_opt` (no-new-privileges) and `pids_limit` have no stack-file form (v3.8)
//   and are dropped: set "no-new-privileges": true in each node's daemon.json instead;
// - secrets are mounted 0400 and owned by the uid the service runs as (compose file secrets
//   are bind mounts that keep the host file's owner and mode; Swarm secrets are not).
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { pinnedServices, placementConstraint } from '../model/placement.js';
import type { Topology } from '../model/schema.js';
import { LABEL_MANAGED, LABEL_PRESET } from '../labels.js';
import type { ComposeFile } from './compose.js';

/** Stack files carry a version: docker CLIs before 23 read a file without one as version 1. 3.8: max_replicas_per_node. */
export const STACK_VERSION = '3.8';
/** Swarm rejects config and secret names longer than this. */
const SWARM_NAME_MAX = 64;
const CONFIG_MODE = 0o444;
const SCRIPT_MODE = 0o555;
const SECRET_MODE = 0o400;

export interface StackPort {
  target: number;
  published: number;
  protocol: 'tcp';
  mode: 'host';
}

export interface StackFileObject {
  name: string;
  file: string;
  labels: Record<string, string>;
}

export interface StackDeploy {
  mode: 'replicated';
  replicas: number;
  endpoint_mode: 'dnsrr';
  placement?: { constraints?: string[]; max_replicas_per_node?: number };
  restart_policy: { condition: 'any' | 'none' | 'on-failure' };
  resources?: { limits?: Record<string, string>; reservations?: Record<string, string> };
  labels: Record<string, string>;
}

/** A tmpfs mount, the stack-file form of compose's `tmpfs: [/tmp:size=16m,...]`. */
export interface StackTmpfs {
  type: 'tmpfs';
  target: string;
  tmpfs?: { size: number };
}

export interface StackSecretRef {
  source: string;
  target: string;
  uid?: string;
  gid?: string;
  mode: number;
}

export type StackService = Record<string, unknown> & {
  image: string;
  hostname: string;
  volumes?: (string | StackTmpfs)[];
  secrets?: StackSecretRef[];
  configs?: { source: string; target: string; mode: number }[];
  ports?: StackPort[];
  deploy: StackDeploy;
};

export interface StackFile {
  version: string;
  services: Record<string, StackService>;
  networks: Record<string, Record<string, unknown> & { driver: 'overlay'; attachable: true }>;
  volumes: Record<string, Record<string, unknown> & { driver: 'local' }>;
  configs?: Record<string, StackFileObject>;
  secrets?: Record<string, StackFileObject>;
}

/** Compose service keys `docker stack deploy` ignores: the stack expresses them under `deploy:` or not at all. */
const DROPPED = ['container_name', 'restart', 'depends_on', 'links', 'security_opt', 'pids_limit'];
/** Compose resource keys (not in the stack format) -> deploy.resources. */
const RESOURCES: Record<string, ['limits' | 'reservations', string]> = {
  mem_limit: ['limits', 'memory'],
  cpus: ['limits', 'cpus'],
  mem_reservation: ['reservations', 'memory'],
};

const contentHash = (content: string) => createHash('sha256').update(content).digest('hex').slice(0, 10);

export class StackError extends Error {}

/** `./a/b` -> `a/b`; anything that is not a path inside the output directory -> undefined. */
function relativeSource(source: string): string | undefined {
  if (!source.startsWith('./')) return undefined;
  const path = posix.normalize(source.slice(2));
  return path.startsWith('../') || path === '..' ? undefined : path.replace(/\/$/, '');
}

/** `/tmp:size=16m,mode=1777` -> a tmpfs mount (Swarm's tmpfs mode is 1777 already; only the size carries over). */
function toTmpfsMount(service: string, spec: string): StackTmpfs {
  const [target = '', options = ''] = spec.split(':');
  const size = /(?:^|,)size=(\d+)([kmg]?)(?:,|$)/i.exec(options);
  if (!target.startsWith('/')) throw new StackError(`stack: service ${service}: tmpfs ${JSON.stringify(spec)} names no absolute path`);
  if (!size) return { type: 'tmpfs', target };
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[size[2]!.toLowerCase() as ''];
  return { type: 'tmpfs', target, tmpfs: { size: Number(size[1]) * unit } };
}

/** The numeric owner of a service's secrets: its `user` (uid[:gid]). Swarm needs numbers, not names. */
function secretOwner(service: string, user: unknown): { uid?: string; gid?: string } {
  if (user === undefined) return {};
  const m = /^(\d+)(?::(\d+))?$/.exec(String(user));
  if (!m) throw new StackError(`stack: service ${service} runs as user ${JSON.stringify(user)}; its Swarm secrets need a numeric uid[:gid]`);
  return m[2] ? { uid: m[1], gid: m[2] } : { uid: m[1] };
}

/** Restart policy: compose's `no` stays no (Redis without persistence must not come back empty); else any. */
function restartCondition(restart: unknown): StackDeploy['restart_policy']['condition'] {
  if (restart === 'no') return 'none';
  if (restart === 'on-failure') return 'on-failure';
  return 'any';
}

function toStackPort(service: string, port: unknown): StackPort {
  if (typeof port === 'string') {
    // [address:]published:target[/tcp]; the address cannot be kept: host mode binds every address.
    const m = /^(?:.*:)?(\d+):(\d+)(?:\/tcp)?$/.exec(port);
    if (m) return { target: Number(m[2]), published: Number(m[1]), protocol: 'tcp', mode: 'host' };
  } else if (port && typeof port === 'object') {
    const p = port as { target?: number; published?: number | string; protocol?: string };
    if (p.target && p.published && (p.protocol ?? 'tcp') === 'tcp') {
      return { target: p.target, published: Number(p.published), protocol: 'tcp', mode: 'host' };
    }
  }
  throw new StackError(`stack: service ${service}: port ${JSON.stringify(port)} is not a published TCP port this stack file can carry`);
}

/**
 * The stack of topology `t` from its compose object. `files` is synthesize()'s output (path
 * relative to the output directory -> content): every bind-mounted file or directory must be
 * in it, because it becomes a Swarm config read from that file.
 */
export function buildStack(t: Topology, compose: ComposeFile, files: ReadonlyMap<string, string>): StackFile {
  const configs: Record<string, StackFileObject> = {};
  const secrets: Record<string, StackFileObject> = {};
  const pinned = new Set(pinnedServices(t));
  const volumeNames = new Set(Object.keys(compose.volumes));
  const objectLabels = { [LABEL_MANAGED]: 'true', [LABEL_PRESET]: t.preset };

  // One Swarm object per file, shared by every service that mounts it. The key is the file's
  // name, its Swarm name `<deployment>_<file>-<hash>`.
  const fileObject = (store: Record<string, StackFileObject>, key: string, path: string) => {
    const content = files.get(path);
    if (content === undefined) throw new StackError(`stack: ${path} is mounted but was not rendered, so no Swarm config or secret can carry it`);
    const existing = store[key];
    if (existing && existing.file !== `./${path}`) throw new StackError(`stack: ${existing.file} and ./${path} would share the Swarm name "${key}"`);
    const name = `${t.name}_${key}-${contentHash(content)}`;
    if (name.length > SWARM_NAME_MAX) throw new StackError(`stack: Swarm object name "${name}" is longer than ${SWARM_NAME_MAX} characters; use a shorter deployment name`);
    store[key] = { name, file: `./${path}`, labels: objectLabels };
    return key;
  };

  // A config's key is its file's name; where two rendered files share one (prometheus/web.yml and
  // alertmanager/web.yml, Grafana's two provisioning redis-ha.yml), its directory's name before it.
  const basenames = new Map<string, number>();
  for (const path of files.keys()) basenames.set(posix.basename(path), (basenames.get(posix.basename(path)) ?? 0) + 1);
  const configKey = (file: string) =>
    (basenames.get(posix.basename(file)) ?? 0) > 1 ? `${posix.basename(posix.dirname(file))}-${posix.basename(file)}` : posix.basename(file);

  const services: Record<string, StackService> = {};
  for (const [name, composeService] of Object.entries(compose.services)) {
    const { volumes = [], ports = [], labels = {}, tmpfs = [], ...rest } = composeService as typeof composeService & Record<string, unknown>;
    const service: Record<string, unknown> = {};
    const resources: NonNullable<StackDeploy['resources']> = {};
    // A compose `deploy:` (resources, say) is kept; the keys below decide the rest.
    const { deploy: composeDeploy = {}, ...keys } = rest as { deploy?: Partial<StackDeploy> };
    Object.assign(resources, composeDeploy.resources);
    for (const [key, value] of Object.entries(keys)) {
      if (DROPPED.includes(key)) continue;
      const resource = RESOURCES[key];
      if (resource) resources[resource[0]] = { ...resources[resource[0]], [resource[1]]: String(value) };
      else service[key] = value;
    }

    // No container healthchecks on Swarm: a task enters the service's DNS only once its
    // healthcheck has passed, the engine runs the first check one full interval (a minute) after the
    // start, and the stack file format (3.8) has no start_interval. With them every (re)started
    // task stayed unresolvable that long, Sentinels could not reach it. A task whose process exits
    // is still replaced; redis-ha's probes decide health, as on compose.
    if (service.healthcheck) service.healthcheck = { disable: true };

    const namedVolumes: string[] = [];
    const serviceConfigs: NonNullable<StackService['configs']> = [];
    for (const volume of volumes) {
      const [source = '', target = ''] = volume.split(':');
      if (volumeNames.has(source)) {
        namedVolumes.push(volume);
        continue;
      }
      const path = relativeSource(source);
      if (path === undefined) {
        throw new StackError(`stack: service ${name} mounts host path ${source}, which does not exist on the other nodes of a swarm`);
      }
      // A file, or a directory: then every rendered file under it.
      const inside = files.has(path) ? [path] : [...files.keys()].filter((f) => f.startsWith(`${path}/`));
      if (inside.length === 0) throw new StackError(`stack: service ${name} mounts ./${path}, which was not rendered`);
      for (const file of inside) {
        const key = fileObject(configs, configKey(file), file);
        const mountPoint = file === path ? target : posix.join(target, file.slice(path.length + 1));
        serviceConfigs.push({ source: key, target: mountPoint, mode: file.endsWith('.sh') ? SCRIPT_MODE : CONFIG_MODE });
      }
    }
    if (namedVolumes.length > 0 && !pinned.has(name)) {
      throw new StackError(`stack: service ${name} keeps data in a node-local volume but has no node to be pinned to (model/placement.ts)`);
    }

    const deploy: StackDeploy = {
      ...composeDeploy,
      mode: 'replicated',
      replicas: name === 'haproxy' ? t.swarm.haproxyReplicas : 1,
      endpoint_mode: 'dnsrr',
      restart_policy: { condition: restartCondition(rest.restart) },
      // Service labels (what `docker service ls --filter label=` sees), as the containers have.
      labels: { ...labels },
    };
    if (pinned.has(name)) deploy.placement = { constraints: [placementConstraint(t, name)] };
    else if (deploy.replicas > 1) deploy.placement = { max_replicas_per_node: 1 };
    if (Object.keys(resources).length > 0) deploy.resources = resources;

    services[name] = {
      ...service,
      // One overlay (see the top of this file).
      ...(service.networks ? { networks: [t.network] } : {}),
      image: String(rest.image),
      // One task per service (or identical ones, HAProxy): the name Sentinel and replicas announce.
      hostname: typeof rest.hostname === 'string' ? rest.hostname : name,
      ...(namedVolumes.length || tmpfs.length ? { volumes: [...namedVolumes, ...tmpfs.map((spec) => toTmpfsMount(name, spec))] } : {}),
      ...(serviceConfigs.length ? { configs: serviceConfigs } : {}),
      ...(ports.length ? { ports: ports.map((p) => toStackPort(name, p)) } : {}),
      labels,
      deploy,
    } as StackService;
  }

  // Secrets: the compose file's file-based secrets, as Swarm secrets from the same files.
  const composeSecrets = (compose as { secrets?: Record<string, { file?: string }> }).secrets ?? {};
  const secretNames: Record<string, string> = {};
  for (const [key, secret] of Object.entries(composeSecrets)) {
    const path = secret.file ? relativeSource(secret.file) : undefined;
    if (path === undefined) throw new StackError(`stack: secret ${key} is not a rendered file (file: ./...)`);
    secretNames[key] = fileObject(secrets, key, path);
  }
  for (const [name, service] of Object.entries(services)) {
    const refs = service.secrets as (string | { source: string; target?: string; mode?: number })[] | undefined;
    if (!refs) continue;
    // Long syntax so owner and mode are explicit: readable by the service's own user only, at
    // /run/secrets/<name> as on compose.
    const owner = secretOwner(name, service.user);
    service.secrets = refs.map((ref) => {
      const r = typeof ref === 'string' ? { source: ref } : ref;
      if (!(r.source in secretNames)) throw new StackError(`stack: service ${name} uses secret ${r.source}, which is not defined`);
      return { source: r.source, target: r.target ?? r.source, ...owner, mode: r.mode ?? SECRET_MODE };
    });
  }

  const stack: StackFile = {
    version: STACK_VERSION,
    services,
    networks: { [t.network]: { labels: compose.networks[t.network]?.labels ?? objectLabels, driver: 'overlay', attachable: true } },
    volumes: Object.fromEntries(Object.entries(compose.volumes).map(([key, volume]) => [key, { ...volume, driver: 'local' }])),
  };
  if (Object.keys(configs).length > 0) stack.configs = configs;
  if (Object.keys(secrets).length > 0) stack.secrets = secrets;
  return stack;
}

/** The comment at the top of stack.yaml: what an operator must know before deploying it. */
export function stackHeader(t: Topology): string {
  return [
    `# redis-ha: deployment "${t.name}" (preset ${t.preset}) for Docker Swarm. Generated by redis-ha; do not edit here.`,
    `# Deploy from this directory: docker stack deploy -c stack.yaml ${t.name}`,
    '# Ports are published in host mode on the node running each task, on EVERY address of that',
    '# node (Swarm has no per-address publishing): auth is required, firewall the nodes.',
    '# Config and secret modes are decimal: 292 = 0444, 365 = 0555 (scripts), 256 = 0400.',
    '# Stack files (v3.8) cannot carry no-new-privileges or a pids limit: set "no-new-privileges": true',
    "# in each node's /etc/docker/daemon.json. Secrets are owned by the uid of the service that reads them.",
    t.swarm.nodes
      ? '# Redis and Sentinel services are pinned to the nodes named in the topology (swarm.nodes).'
      : `# Redis and Sentinel services are pinned by node labels io.redis-ha.${t.name}.<service>=true (set by redis-ha deploy).`,
    '',
  ].join('\n');
}
