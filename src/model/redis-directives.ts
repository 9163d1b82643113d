// Redis directives that `redis.extraConfig` may not set, each with the reason. One table:
// the rules, their tests and docs/topology.md all read it. A directive is refused when redis-ha
// sets it itself (templates/redis.conf.hbs, redis-start.sh), when it decides who can
// connect or what a connection may do, or when it moves data or the process somewhere
// redis-ha does not look. Names as Redis 7 knows them, aliases included.

export interface RefusedDirective {
  reason: string;
  hint: string;
}

const REMOVE = 'remove this entry';

const listener: RefusedDirective = {
  reason: 'where Redis listens is set by redis-ha (port 6379 on the compose network, published on `bind`)',
  hint: 'use bind and portBase (or the per-service port fields) in the topology',
};
const tls: RefusedDirective = {
  reason:
    'redis-ha sets TLS up for every node, Sentinel, HAProxy and the exporter together (certificates in <out>/tls/); a tls-* line here would change one side only, and replication, Sentinel, HAProxy\'s checks or the exporter would stop reaching the node',
  hint: 'set tls.enabled: true in the topology (or pass --tls), and remove this entry',
};
const password: RefusedDirective = {
  reason:
    'the default user is off: every client logs in as one of redis-ha\'s ACL users (admin, app, replica, sentinel, exporter, health), each with its own secret in <out>/secrets/; requirepass would give the default user a password that no secret file holds',
  hint: 'applications log in as user app (<out>/secrets/app), operators as admin; auth.enabled in the topology turns users off',
};
const users: RefusedDirective = {
  reason:
    'redis-ha renders the ACL users (admin, app, replica, sentinel, exporter, health), each allowed only what it needs; a user defined here (or an aclfile) widens that or replaces them',
  hint: 'applications log in as user app (<out>/secrets/app), operators as admin (<out>/secrets/admin)',
};
const openCommands: RefusedDirective = {
  reason: 'opens commands to clients that run code in Redis or change what redis-ha protects',
  hint: REMOVE,
};
const role: RefusedDirective = {
  reason: 'the role of each node is decided by redis-ha and Sentinel; a master named here receives the data and the replication secret',
  hint: 'let Sentinel decide (redis-1 starts as master)',
};
const replicationAuth: RefusedDirective = {
  reason:
    'replicas log in to their master as the ACL user replica (PSYNC, REPLCONF, PING only), its secret added from /run/secrets/replica at every start; other credentials break replication or send a secret elsewhere',
  hint: REMOVE,
};
const announce: RefusedDirective = {
  reason: 'replicas announce their service name so that Sentinel finds them after a re-create; another address hides or misdirects them',
  hint: REMOVE,
};
const dataFiles: RefusedDirective = {
  reason: 'data lives in the node\'s volume (/data) under the names redis-ha keeps, copies and cleans up',
  hint: 'use redis.persistence in the topology',
};
const foreground: RefusedDirective = {
  reason: 'Redis must run in the foreground as the container\'s process, logging to its output (deploy and status read it)',
  hint: REMOVE,
};
const field = (name: string): RefusedDirective => ({
  reason: `redis-ha sets it from ${name}`,
  hint: `use ${name} in the topology`,
});

/** Exact directive names (lowercase, as Redis compares them). */
export const REFUSED_REDIS_DIRECTIVES: Readonly<Record<string, RefusedDirective>> = {
  // Who can connect, and what a connection may do.
  user: users,
  aclfile: users,
  'acl-pubsub-default': {
    reason: 'changes which Pub/Sub channels every ACL user may use; access is set by redis-ha',
    hint: REMOVE,
  },
  requirepass: password,
  'protected-mode': {
    reason: 'redis-ha decides reachability (compose network, published ports on `bind`) and sets it',
    hint: 'use bind and auth.enabled in the topology',
  },
  'rename-command': {
    reason: 'renames commands redis-ha\'s own checks and Sentinel use (a renamed command stays reachable under its new name)',
    hint: REMOVE,
  },
  'enable-debug-command': openCommands,
  'enable-module-command': openCommands,
  'enable-protected-configs': openCommands,
  loadmodule: { reason: 'loads native code into Redis', hint: REMOVE },
  include: {
    reason: 'reads another file, whose lines no check sees (and which does not exist in the container)',
    hint: 'put each setting in extraConfig itself',
  },
  // Where Redis listens.
  port: listener,
  bind: listener,
  'bind-source-addr': listener,
  unixsocket: listener,
  unixsocketperm: listener,
  // Replication and the topology.
  replicaof: role,
  slaveof: role,
  masterauth: replicationAuth,
  masteruser: replicationAuth,
  'replica-announce-ip': announce,
  'replica-announce-port': announce,
  'slave-announce-ip': announce,
  'slave-announce-port': announce,
  'replica-announced': announce,
  'replica-read-only': {
    reason: 'writes to a replica diverge from the master and are lost at its next sync or failover',
    hint: REMOVE,
  },
  'slave-read-only': {
    reason: 'writes to a replica diverge from the master and are lost at its next sync or failover',
    hint: REMOVE,
  },
  sentinel: {
    reason: 'Sentinel settings belong in the Sentinel configs redis-ha renders (Redis refuses them here)',
    hint: 'use the sentinel section of the topology',
  },
  // Settings with a topology field.
  appendonly: field('redis.persistence'),
  save: field('redis.persistence'),
  maxmemory: field('redis.maxmemory'),
  'maxmemory-policy': field('redis.maxmemoryPolicy'),
  'min-replicas-to-write': field('redis.minReplicasToWrite'),
  'min-slaves-to-write': field('redis.minReplicasToWrite'),
  'min-replicas-max-lag': field('redis.minReplicasMaxLag'),
  'min-slaves-max-lag': field('redis.minReplicasMaxLag'),
  // Where data and files go.
  dir: dataFiles,
  dbfilename: dataFiles,
  appendfilename: dataFiles,
  appenddirname: dataFiles,
  // The process.
  daemonize: foreground,
  supervised: foreground,
  logfile: foreground,
  pidfile: { reason: 'writes a file outside the node\'s volume; the container needs none', hint: REMOVE },
};

/** Directive families refused by prefix. */
export const REFUSED_REDIS_PREFIXES: Readonly<Record<string, RefusedDirective>> = {
  'tls-': tls,
  'cluster-': { reason: 'Redis Cluster is set up by redis-ha (the cluster preset: cluster.shards, cluster.replicasPerShard, cluster.nodeTimeoutMs)', hint: REMOVE },
};

/** The refusal for a (lowercase) directive, or undefined when extraConfig may set it. */
export function refusedRedisDirective(directive: string): RefusedDirective | undefined {
  if (Object.hasOwn(REFUSED_REDIS_DIRECTIVES, directive)) return REFUSED_REDIS_DIRECTIVES[directive];
  const prefix = Object.keys(REFUSED_REDIS_PREFIXES).find((p) => directive.startsWith(p));
  return prefix === undefined ? undefined : REFUSED_REDIS_PREFIXES[prefix];
}
