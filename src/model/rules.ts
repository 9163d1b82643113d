// Cross-field rules, run on the normalized topology. Each returns the problems it finds;
// all rules always run, so the user sees every problem in one round.
import { BlockList } from 'node:net';
import { IMAGE_REFERENCE_HINT, imageReferenceProblem } from './image-reference.js';
import { publishedPorts } from './nodes.js';
import { hostFailureImpact } from './placement.js';
import type { Problem } from './problems.js';
import { parseConfigLine } from './redis-config-line.js';
import { refusedRedisDirective } from './redis-directives.js';
import { DEFAULT_MAXMEMORY, redisMemoryLimit } from './memory.js';
import { topologyInputSchema, type Topology, type TopologyGiven } from './schema.js';

/**
 * `given`: the topology before normalize filled in defaults (absent when only the normalized one
 * is at hand); `written`: what the preset, the file and the flags wrote, before the schema's
 * defaults (absent likewise): whether a field was set at all, even to its default.
 */
type Rule = (t: Topology, given?: TopologyGiven, written?: Record<string, unknown>) => Problem[];

const error = (path: string, message: string, hint?: string): Problem => ({ severity: 'error', path, message, hint });
const warning = (path: string, message: string, hint?: string): Problem => ({
  severity: 'warning',
  path,
  message,
  hint,
});

const majority = (n: number) => Math.floor(n / 2) + 1;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
/** 127.0.0.0/8 or ::1 (any spelling, IPv4-mapped too): reachable from this host only. */
const isLoopback = (ip: string) => LOOPBACK.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');

const sentinelRules: Rule = (t) => {
  if (!t.sentinel.enabled) return [];
  const { count, quorum, downAfterMs, failoverTimeoutMs } = t.sentinel;
  const problems: Problem[] = [];
  if (quorum < 1 || quorum > count) {
    problems.push(
      error(
        'sentinel.quorum',
        `quorum ${quorum} is not between 1 and the sentinel count (${count})`,
        `set sentinel.quorum to ${majority(count)} (a majority of ${count})`,
      ),
    );
  } else if (quorum < majority(count)) {
    problems.push(
      warning(
        'sentinel.quorum',
        `quorum ${quorum} is less than a majority of ${count} Sentinels`,
        `a failover still needs a majority to authorize it, but fewer Sentinels can declare the master down; use ${majority(count)} unless you mean it`,
      ),
    );
  }
  if (count < 3) {
    problems.push(
      warning(
        'sentinel.count',
        `${count} Sentinel${count === 1 ? '' : 's'} cannot survive the loss of one and still elect a leader`,
        'use 3 or 5 Sentinels',
      ),
    );
  } else if (count % 2 === 0) {
    problems.push(
      warning(
        'sentinel.count',
        `${count} Sentinels (an even number) tolerate no more failures than ${count - 1}`,
        `use ${count - 1} or ${count + 1} Sentinels`,
      ),
    );
  }
  // A Sentinel that started a failover waits 2 x failover-timeout before it may try again, and
  // the failover itself needs the master to be seen down first: a timeout shorter than twice
  // down-after aborts failovers that are still converging.
  if (failoverTimeoutMs < 2 * downAfterMs) {
    problems.push(
      error(
        'sentinel.failoverTimeoutMs',
        `failover timeout ${failoverTimeoutMs} ms is too short for down-after ${downAfterMs} ms`,
        `set sentinel.failoverTimeoutMs to at least ${2 * downAfterMs} (twice sentinel.downAfterMs)`,
      ),
    );
  }
  if (t.replicas === 0) {
    problems.push(
      warning('replicas', 'Sentinel has no replica to promote when the master fails', 'set replicas to 1 or more'),
    );
  }
  return problems;
};

const replicationRules: Rule = (t) => {
  const problems: Problem[] = [];
  if (t.redis.minReplicasToWrite > t.replicas) {
    problems.push(
      error(
        'redis.minReplicasToWrite',
        `minReplicasToWrite ${t.redis.minReplicasToWrite} is more than the ${t.replicas} replica${t.replicas === 1 ? '' : 's'}: the master would refuse every write`,
        `set redis.minReplicasToWrite to at most ${t.replicas}, or add replicas`,
      ),
    );
  }
  if (t.sentinel.enabled && t.replicas > 0 && t.redis.minReplicasToWrite === 0) {
    problems.push(
      warning(
        'redis.minReplicasToWrite',
        'a master cut off from its replicas keeps accepting writes that the next failover discards',
        'set redis.minReplicasToWrite to 1',
      ),
    );
  }
  if (t.redis.persistence === 'none' && t.replicas > 0) {
    problems.push(
      warning(
        'redis.persistence',
        'without persistence a master that restarts comes back empty, and its replicas copy the empty dataset',
        'use aof (the default) or rdb; with none, redis-ha does not restart Redis containers automatically',
      ),
    );
  }
  return problems;
};

/**
 * Memory: without maxmemory a node may take all of the host's memory (and its container gets no
 * limit); when the topology sets none, normalize gives DEFAULT_MAXMEMORY, said here so that
 * nobody finds out from an OOM error at 256 MB.
 */
const memoryRules: Rule = (t, given) => {
  const { maxmemory, maxmemoryPolicy } = t.redis;
  if (given && given.redis.maxmemory === undefined) {
    return [
      warning(
        'redis.maxmemory',
        `no redis.maxmemory set: each node gets ${DEFAULT_MAXMEMORY} (container memory limit ${redisMemoryLimit(maxmemory)}); past it ${maxmemoryPolicy === 'noeviction' ? 'writes are refused' : `keys are evicted (${maxmemoryPolicy})`}`,
        'set redis.maxmemory to what the data needs (the container limit follows: twice it plus 64 MiB); 0 means no limit',
      ),
    ];
  }
  if (redisMemoryLimit(maxmemory) === undefined) {
    return [
      warning(
        'redis.maxmemory',
        'redis.maxmemory 0: no limit; Redis may take all of the host\'s memory, and its containers get no memory limit',
        'set redis.maxmemory, e.g. 256mb (the container limit follows: twice it plus 64 MiB)',
      ),
    ];
  }
  return [];
};

/**
 * `redis.extraConfig`: each entry is one line of redis.conf, read here as Redis reads it, so
 * that a quoted or escaped directive (`"replicaof"`) is seen for what it is.
 */
const extraConfigRules: Rule = (t) =>
  t.redis.extraConfig.flatMap((line, i): Problem[] => {
    const path = `redis.extraConfig.${i}`;
    if (/[\r\n]/.test(line)) {
      return [
        error(
          path,
          'holds a line break: an entry is one line of redis.conf, and a line break would add lines no check sees',
          'write each setting as its own entry; inside a double-quoted value write the escape \\n',
        ),
      ];
    }
    const control = /[\x00-\x08\x0b-\x1f\x7f]/.exec(line)?.[0];
    if (control !== undefined) {
      const code = `U+${control.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
      return [
        error(
          path,
          `holds a control character (${code})`,
          'remove it; inside a double-quoted value write it as a \\xHH escape',
        ),
      ];
    }
    const parsed = parseConfigLine(line);
    if (parsed.kind === 'invalid') {
      return [error(path, `Redis cannot read this line: ${parsed.reason}`, 'close every quote, or drop the quotes')];
    }
    if (parsed.kind === 'blank') return [];
    const refused = refusedRedisDirective(parsed.directive);
    return refused ? [error(path, `"${parsed.directive}" cannot be set in extraConfig: ${refused.reason}`, refused.hint)] : [];
  });

/** Image references land in the compose file: Docker's grammar, and nothing Compose would interpolate. */
const imageRules: Rule = (t) =>
  (
    [
      ['redis.image', t.redis.image],
      ['haproxy.image', t.haproxy.image],
      ['exporter.image', t.exporter.image],
      ['monitoring.prometheus.image', t.monitoring.prometheus.image],
      ['monitoring.alertmanager.image', t.monitoring.alertmanager.image],
      ['monitoring.grafana.image', t.monitoring.grafana.image],
    ] as const
  ).flatMap(([path, image]) => {
    const problem = imageReferenceProblem(image);
    return problem ? [error(path, `"${image}" is not a valid image reference: ${problem}`, IMAGE_REFERENCE_HINT)] : [];
  });

const componentRules: Rule = (t, given) => {
  // A cluster refuses these components with its own reasons (clusterRules).
  if (t.cluster.enabled) return [];
  const problems: Problem[] = [];
  if (t.haproxy.enabled && !t.sentinel.enabled) {
    problems.push(
      error(
        'haproxy.enabled',
        'HAProxy routes writes to the master the Sentinels name, so it needs Sentinel',
        'set sentinel.enabled: true, or use the full preset',
      ),
    );
  }
  if (t.haproxy.enabled && t.replicas < 1) {
    problems.push(
      error('replicas', 'the HAProxy read port needs at least 1 replica to send reads to', 'set replicas to 1 or more'),
    );
  }
  // redis_exporter has no login and dials whatever /scrape?target= names: it is published
  // nowhere, and only HAProxy's stats port (behind its login, passing only this deployment's
  // node and Sentinel names) reaches it. Without HAProxy nothing could read its metrics.
  if (t.exporter.enabled && !t.haproxy.enabled) {
    problems.push(
      error(
        'exporter.enabled',
        "the exporter is served only through HAProxy's stats port (behind its login, for this deployment's nodes and Sentinels only), so it needs HAProxy",
        'set haproxy.enabled: true (and sentinel.enabled: true), use the full preset, or set exporter.enabled: false',
      ),
    );
  }
  // Prometheus scrapes the nodes and Sentinels the way a Prometheus the user brings would:
  // through HAProxy's stats port, which passes /scrape to the exporter.
  if (t.monitoring.enabled && (!t.haproxy.enabled || !t.exporter.enabled)) {
    problems.push(
      error(
        'monitoring.enabled',
        `Prometheus scrapes every node and Sentinel through HAProxy's stats port and the exporter behind it; this topology has no ${[!t.haproxy.enabled && 'HAProxy', !t.exporter.enabled && 'exporter'].filter(Boolean).join(' and no ')}`,
        'use the full preset, or set haproxy.enabled: true and exporter.enabled: true (with sentinel.enabled: true), or set monitoring.enabled: false',
      ),
    );
  }
  // Alertmanager receives what the deployment's Prometheus fires: without that Prometheus it
  // would receive nothing.
  const monitoringAsked = given?.monitoring.enabled ?? t.monitoring.enabled;
  const alertmanagerAsked = given?.monitoring.alertmanager.enabled ?? t.monitoring.alertmanager.enabled;
  if (alertmanagerAsked && !monitoringAsked) {
    problems.push(
      error(
        'monitoring.alertmanager.enabled',
        "Alertmanager receives the alerts of the deployment's own Prometheus, and this topology has none (monitoring.enabled is false)",
        'set monitoring.enabled: true as well (--monitoring; it needs HAProxy and the exporter, as in the full preset), or set monitoring.alertmanager.enabled: false',
      ),
    );
  }
  // Grafana's datasource is the deployment's Prometheus, the same way.
  if ((given?.monitoring.grafana.enabled ?? t.monitoring.grafana.enabled) && !monitoringAsked) {
    problems.push(
      error(
        'monitoring.grafana.enabled',
        "Grafana shows the deployment's own Prometheus, and this topology has none (monitoring.enabled is false)",
        'set monitoring.enabled: true as well (--monitoring; it needs HAProxy and the exporter, as in the full preset), or set monitoring.grafana.enabled: false; for a Grafana of your own, import monitoring/dashboards/redis-ha.json',
      ),
    );
  }
  if (t.monitoring.alertmanager.receiver && !alertmanagerAsked) {
    problems.push(
      warning(
        'monitoring.alertmanager.receiver',
        'a receiver is set but Alertmanager is off: nothing sends to it',
        'set monitoring.alertmanager.enabled: true (--alertmanager), or remove the receiver',
      ),
    );
  }
  if (t.exporter.enabled && t.exporter.port !== undefined) {
    problems.push(
      warning(
        'exporter.port',
        `exporter.port ${t.exporter.port} is ignored: the exporter publishes no port any more; its metrics are at http://<bind>:<haproxy.statsPort>/scrape?target=<node> (login stats)`,
        'remove exporter.port',
      ),
    );
  }
  return problems;
};

const networkRules: Rule = (t) => {
  const problems: Problem[] = [];
  const seen = new Map<number, string>();
  for (const { port, service, path } of publishedPorts(t)) {
    if (port > 65535) {
      problems.push(
        error(path, `port ${port} for ${service} is out of range (1-65535)`, 'lower portBase or set the port explicitly'),
      );
    }
    const owner = seen.get(port);
    if (owner !== undefined) {
      problems.push(
        error(path, `port ${port} for ${service} is already used by ${owner}`, 'give each published port its own number'),
      );
    } else {
      seen.set(port, service);
    }
  }
  // On swarm, `bind` does not apply and swarmRules require auth.
  if (t.target === 'swarm') return problems;
  const loopback = isLoopback(t.bind);
  if (!t.auth.enabled && !loopback) {
    problems.push(
      error(
        'auth.enabled',
        `ports are published on ${t.bind} without a password: anyone who reaches them can read and write everything`,
        'enable auth, or bind to 127.0.0.1',
      ),
    );
  } else if (!t.auth.enabled) {
    problems.push(
      warning(
        'auth.enabled',
        `auth is disabled: anyone who reaches the ports on ${t.bind} (every local user, process and container) can read and write everything`,
        'enable auth unless this is a throwaway deployment on your own machine',
      ),
    );
  } else if (!loopback) {
    problems.push(
      warning('bind', `ports are published on ${t.bind}, reachable from other hosts`, 'bind to 127.0.0.1 unless you mean it'),
    );
  }
  return problems;
};

/** Swarm object names (configs, secrets) are `<name>_<file>-<hash>`, and Swarm caps them at 64 characters. */
export const SWARM_MAX_NAME = 32;

const swarmRules: Rule = (t) => {
  const problems: Problem[] = [];
  const { nodes, expectNodes } = t.swarm;
  if (t.target !== 'swarm') {
    if (nodes !== undefined || expectNodes !== undefined) {
      problems.push(warning('swarm', 'swarm settings are ignored with target compose', 'set target: swarm, or remove the swarm section'));
    }
    return problems;
  }
  // Swarm publishes in host mode without an address: the port opens on every address of the node.
  if (!t.auth.enabled) {
    problems.push(
      error(
        'auth.enabled',
        'on swarm the ports are published on every address of the node running each task, so they need a password',
        'set auth.enabled: true',
      ),
    );
  }
  const everyAddress = t.bind === '0.0.0.0' || t.bind === '::';
  if (!everyAddress) {
    problems.push(
      warning(
        'bind',
        `bind ${t.bind} does not apply on swarm: each port is published on every address of the node running the task`,
        'set bind: 0.0.0.0 to say so, and firewall the nodes',
      ),
    );
  }
  if (t.name.length > SWARM_MAX_NAME) {
    problems.push(
      error(
        'name',
        `name "${t.name}" is ${t.name.length} characters; on swarm it prefixes config and secret names, which Swarm caps at 64`,
        `use at most ${SWARM_MAX_NAME} characters`,
      ),
    );
  }
  nodes?.forEach((node, i) => {
    if (nodes.indexOf(node) !== i) {
      problems.push(
        error(`swarm.nodes.${i}`, `node "${node}" is listed twice`, 'name each node once; services are spread over the list in order'),
      );
    }
  });
  if (nodes && expectNodes !== undefined && expectNodes !== nodes.length) {
    problems.push(
      error(
        'swarm.expectNodes',
        `expectNodes ${expectNodes} differs from the ${nodes.length} nodes listed in swarm.nodes`,
        'remove swarm.expectNodes (the list gives the count)',
      ),
    );
  }
  const count = nodes ? new Set(nodes).size : expectNodes;
  if (count !== undefined) {
    problems.push(...hostFailureImpact(t, count, nodes ? [...new Set(nodes)] : undefined, nodes ? 'swarm.nodes' : 'swarm.expectNodes'));
  }
  return problems;
};

/**
 * The fields of a topology section that the topology sets: those written (when known), else those
 * that differ from the schema's defaults.
 */
function setFields(section: 'sentinel' | 'haproxy' | 'cluster', given: TopologyGiven, written?: Record<string, unknown>): string[] {
  if (written) {
    const part = written[section];
    return part && typeof part === 'object' ? Object.keys(part) : [];
  }
  const defaults: Record<string, unknown> = topologyInputSchema.shape[section].parse(undefined);
  const values: Record<string, unknown> = given[section];
  return Object.keys(values).filter((k) => values[k] !== undefined && values[k] !== defaults[k]);
}

/**
 * Redis Cluster: at least 3 shards, and nothing that only means something beside one master.
 * Sentinel and HAProxy settings are refused field by field (so each names its dot-path), from
 * what the topology sets; without `given`, from what is enabled.
 */
const clusterRules: Rule = (t, given, written) => {
  const problems: Problem[] = [];
  if (!t.cluster.enabled) {
    const set = given ? setFields('cluster', given, written).filter((f) => f !== 'enabled') : [];
    if (set.length) {
      problems.push(
        warning(`cluster.${set[0]}`, `cluster settings (${set.map((k) => `cluster.${k}`).join(', ')}) are ignored without cluster.enabled`, 'use the cluster preset, or remove the cluster section'),
      );
    }
    return problems;
  }
  const { shards, replicasPerShard } = t.cluster;
  if (shards < 3) {
    problems.push(
      error(
        'cluster.shards',
        `${shards} shard${shards === 1 ? '' : 's'}: Redis Cluster needs at least 3 masters, because a replica is promoted only when a majority of the masters agree its master failed`,
        'set cluster.shards to 3 or more (--shards 3)',
      ),
    );
  }
  if (replicasPerShard === 0) {
    problems.push(
      warning(
        'cluster.replicasPerShard',
        'no replicas: when any node is lost, its shard\'s slots are lost with it (their keys cannot be read or written until that node comes back, and are gone if its volume is)',
        'set cluster.replicasPerShard to 1 or more unless this cluster holds nothing you need',
      ),
    );
  }
  if (given?.replicas !== undefined) {
    problems.push(
      error(
        'replicas',
        `replicas ${given.replicas} means nothing in a cluster: each of its ${shards} masters has cluster.replicasPerShard replicas`,
        `remove replicas (--replicas) and set cluster.replicasPerShard (--replicas-per-shard) instead`,
      ),
    );
  }
  const sentinelReason = 'a cluster fails over by itself (its masters vote to promote a replica), so Sentinel has nothing to watch';
  const haproxyReason =
    "cluster clients talk to every node themselves (they follow the cluster's MOVED replies to the node that holds a key), so there is nothing for HAProxy to route";
  const refuse = (section: 'sentinel' | 'haproxy', reason: string, hint: string) => {
    // An image says which image to run when the component runs, nothing more: scripts pass
    // --haproxy-image to every preset, so it is left alone.
    const fields = given ? setFields(section, given, written).filter((f) => f !== 'image') : t[section].enabled ? ['enabled'] : [];
    for (const field of fields) problems.push(error(`${section}.${field}`, `${section} settings mean nothing in a cluster: ${reason}`, hint));
  };
  refuse('sentinel', sentinelReason, 'remove the sentinel section; cluster.nodeTimeoutMs sets how soon a failed master is replaced');
  refuse('haproxy', haproxyReason, 'remove the haproxy section; deploy prints the natMap that host-side cluster clients use');
  const monitoring = [
    ['exporter.enabled', t.exporter.enabled],
    ['monitoring.enabled', t.monitoring.enabled],
    ['monitoring.alertmanager.enabled', t.monitoring.alertmanager.enabled],
    ['monitoring.grafana.enabled', t.monitoring.grafana.enabled],
  ] as const;
  for (const [path, enabled] of monitoring) {
    if (enabled) {
      problems.push(
        error(path, "not available for a cluster yet: the exporter and Prometheus reach the nodes through HAProxy's stats port, which a cluster does not have", `set ${path}: false`),
      );
    }
  }
  return problems;
};


export const RULES: Rule[] = [
  clusterRules,
  sentinelRules,
  replicationRules,
  memoryRules,
  extraConfigRules,
  imageRules,
  componentRules,
  networkRules,
  swarmRules,
];

export function checkRules(t: Topology, given?: TopologyGiven, written?: Record<string, unknown>): Problem[] {
  return RULES.flatMap((rule) => rule(t, given, written));
}
