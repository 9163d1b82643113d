// How redis-ha reaches each swarm node's engine: `--node-host NODE=DOCKER_HOST` (repeatable;
// unix://, ssh://, tcp://), else a Docker context named like the node. The manager (DOCKER_HOST
// or the current context) sees the services; only each node's own engine sees its containers
// and volumes, and only there can they be exec'd into, killed or disconnected. Deploy records
// the map in the deployment directory (nodes.json, files/node-hosts.ts), so later commands need
// not repeat it.
import { UsageError } from '../errors.js';

/** node hostname -> DOCKER_HOST of its engine. */
export type NodeHosts = Record<string, string>;

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;
const HOST = /^(unix:\/\/\/[^\s]+|ssh:\/\/[^\s/]+(:\d+)?|tcp:\/\/[^\s/]+:\d+)$/;

/** `--node-host` values into a map; every bad value named at once (UsageError). */
export function parseNodeHosts(values: readonly string[] | undefined): NodeHosts {
  const hosts: NodeHosts = {};
  const problems: string[] = [];
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    const node = at > 0 ? value.slice(0, at) : '';
    const host = at > 0 ? value.slice(at + 1) : '';
    if (!NODE_NAME.test(node)) problems.push(`${JSON.stringify(value)}: the node name before "=" must be its hostname as \`docker node ls\` shows it`);
    else if (!HOST.test(host)) problems.push(`${JSON.stringify(value)}: ${JSON.stringify(host)} is not unix:///path, ssh://[user@]host[:port] or tcp://host:port`);
    else if (hosts[node] !== undefined && hosts[node] !== host) problems.push(`${node} is given twice (${hosts[node]}, ${host})`);
    else hosts[node] = host;
  }
  if (problems.length) {
    throw new UsageError(`--node-host: ${problems.join('; ')}`, 'e.g. --node-host node2=unix:///run/redis-ha-lab/node2/docker.sock or --node-host db2=ssh://admin@db2');
  }
  return hosts;
}

/**
 * The environment of the docker CLI for one node: its --node-host as DOCKER_HOST, else the
 * Docker context named like the node (DOCKER_HOST unset, or it would win over the context).
 */
export function nodeEnv(base: Record<string, string | undefined>, hosts: NodeHosts, node: string): Record<string, string | undefined> {
  const host = hosts[node];
  if (host) return { ...base, DOCKER_HOST: host, DOCKER_CONTEXT: undefined };
  return { ...base, DOCKER_HOST: undefined, DOCKER_CONTEXT: node };
}
