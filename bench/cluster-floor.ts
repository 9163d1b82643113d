// The floor of the cluster preset's time to healthy: the same six Redis containers as
// `deploy cluster` (3 shards x 1 replica), from the least a tutorial would write (cluster-enabled,
// no users, no persistence settings, no healthchecks), then `redis-cli --cluster create` in one
// of them. Timed from spawning `docker-compose up` until every node says cluster_state:ok.
import { NO_AUTH, withConnection } from '../src/probes/connect.js';
import { ComposeRuntime } from '../src/runtime/compose.js';
import { sleep } from '../src/wait.js';
import { untilPing, upProject } from './compose-project.js';
import { IMAGE_FLAGS } from './images.js';
import { CLUSTER_FLOOR_PORT_BASE } from './settings.js';

/** 3 masters and 1 replica each, as the preset's default. */
export const CLUSTER_FLOOR_NODES = 6;

export const clusterFloorPorts = (portBase = CLUSTER_FLOOR_PORT_BASE, nodes = CLUSTER_FLOOR_NODES) => Array.from({ length: nodes }, (_, i) => portBase + 1 + i);

/** compose.yaml of the floor. Pure. */
export function clusterFloorFiles(portBase = CLUSTER_FLOOR_PORT_BASE, image = IMAGE_FLAGS[1]!, nodes = CLUSTER_FLOOR_NODES): Record<string, string> {
  const lines = ['services:'];
  for (let i = 1; i <= nodes; i++) {
    lines.push(
      `  redis-${i}:`,
      `    image: ${image}`,
      `    command: ["redis-server", "--port", "6379", "--protected-mode", "no", "--cluster-enabled", "yes"]`,
      `    ports: ["127.0.0.1:${portBase + i}:6379"]`,
    );
  }
  return { 'compose.yaml': `${lines.join('\n')}\n` };
}

/**
 * The create command, on the nodes' container addresses: in Redis 7.0 `CLUSTER MEET` takes an
 * IP address, not a name, which is why tutorials resolve the names first. Pure.
 */
export const clusterCreateArgv = (addresses: readonly string[]) => ['redis-cli', '--cluster', 'create', ...addresses.map((a) => `${a}:6379`), '--cluster-replicas', '1', '--cluster-yes'];

/** Whether the node on 127.0.0.1:`port` says cluster_state:ok now. */
const clusterStateOk = (port: number) =>
  withConnection({ host: '127.0.0.1', port }, NO_AUTH, (r) => r.call('CLUSTER', 'INFO') as Promise<string>, 500).then(
    (info) => /^cluster_state:ok\r?$/m.test(info),
    () => false,
  );

/** Polls every 50 ms until every port says cluster_state:ok; ms since `since`. */
async function untilClusterOk(ports: number[], since: number, limitMs = 120_000): Promise<number> {
  for (;;) {
    if ((await Promise.all(ports.map(clusterStateOk))).every(Boolean)) return performance.now() - since;
    if (performance.now() - since > limitMs) throw new Error(`the floor's nodes on ports ${ports.join(', ')} did not all say cluster_state:ok within ${limitMs / 1000} s`);
    await sleep(50);
  }
}

/** ms from spawning `compose up`: to every node answering PING, to `redis-cli --cluster create`'s exit, to cluster_state:ok everywhere (the floor). */
export interface ClusterFloorTimings {
  answeredMs: number;
  createdMs: number;
  totalMs: number;
}

/** One floor run. Always removes the project. */
export async function timeClusterFloor(project: string, portBase = CLUSTER_FLOOR_PORT_BASE): Promise<ClusterFloorTimings> {
  const ports = clusterFloorPorts(portBase);
  const p = await upProject(project, clusterFloorFiles(portBase));
  const runtime = new ComposeRuntime(process.env);
  try {
    // redis-cli --cluster create gives up on a node that does not answer yet.
    const answeredMs = await untilPing(ports, p.startedAt);
    const containers = await runtime.containers(project);
    const address = (service: string) => {
      const c = containers.find((x) => x.service === service);
      const ip = c && Object.values(c.addresses ?? {})[0];
      if (!ip) throw new Error(`the floor's ${service} has no container address (project ${project})`);
      return ip;
    };
    const services = ports.map((_, i) => `redis-${i + 1}`);
    const created = await runtime.exec(containers.find((c) => c.service === 'redis-1')!.id, clusterCreateArgv(services.map(address)), { timeoutMs: 120_000 });
    if (created.exitCode !== 0) throw new Error(`redis-cli --cluster create in the floor's redis-1 exited ${created.exitCode}: ${(created.stderr.trim() || created.stdout).slice(-800)}`);
    const createdMs = performance.now() - p.startedAt;
    return { answeredMs, createdMs, totalMs: await untilClusterOk(ports, p.startedAt) };
  } finally {
    runtime.killChildren();
    await p.down();
  }
}
