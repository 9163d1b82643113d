// The floor of time to healthy: the same containers as a preset (same images, as many Redis,
// Sentinels, HAProxy, exporters and Prometheus), started by a plain `compose up` with the least a tutorial
// would write: no healthchecks, no start order, no persistence settings, no users. Timed from
// spawning `docker-compose up` until every Redis and Sentinel answers PING.
import { IMAGE_FLAGS } from './images.js';
import { untilPing, upProject } from './compose-project.js';
import { COMPOSE_PORT_BASE } from './settings.js';

export interface FloorShape {
  replicas: number;
  sentinels: number;
  haproxy: boolean;
  exporter: boolean;
  prometheus: boolean;
}

export const PRESET_SHAPES: Record<string, FloorShape> = {
  basic: { replicas: 2, sentinels: 0, haproxy: false, exporter: false, prometheus: false },
  sentinel: { replicas: 2, sentinels: 3, haproxy: false, exporter: false, prometheus: false },
  full: { replicas: 2, sentinels: 3, haproxy: true, exporter: true, prometheus: true },
};

const images = { redis: IMAGE_FLAGS[1]!, haproxy: IMAGE_FLAGS[3]!, exporter: IMAGE_FLAGS[5]!, prometheus: IMAGE_FLAGS[7]! };

export const floorPorts = (s: FloorShape, portBase = COMPOSE_PORT_BASE) => [
  ...Array.from({ length: s.replicas + 1 }, (_, i) => portBase + 1 + i),
  ...Array.from({ length: s.sentinels }, (_, i) => portBase + 101 + i),
];

// HAProxy forwards to the first node; DNS at run time, as containers start in any order.
const HAPROXY_CFG = `global
  log stdout format raw local0
defaults
  mode tcp
  timeout connect 1s
  timeout client 1h
  timeout server 1h
resolvers docker
  nameserver dns 127.0.0.11:53
listen redis-write
  bind :6379
  server redis-1 redis-1:6379 init-addr none resolvers docker
`;

/** compose.yaml (and haproxy.cfg) for a shape. Pure. */
export function floorFiles(s: FloorShape, portBase = COMPOSE_PORT_BASE): Record<string, string> {
  const lines = ['services:'];
  for (let i = 1; i <= s.replicas + 1; i++) {
    const replicaof = i > 1 ? ', "--replicaof", "redis-1", "6379"' : '';
    lines.push(`  redis-${i}:`, `    image: ${images.redis}`, `    command: ["redis-server", "--port", "6379", "--protected-mode", "no"${replicaof}]`, `    ports: ["127.0.0.1:${portBase + i}:6379"]`);
  }
  const conf = ['port 26379', 'sentinel resolve-hostnames yes', 'sentinel monitor mymaster redis-1 6379 2'].join('\\n');
  for (let i = 1; i <= s.sentinels; i++) {
    lines.push(
      `  sentinel-${i}:`,
      `    image: ${images.redis}`,
      `    entrypoint: ["sh", "-c", "printf '${conf}\\\\n' > /data/sentinel.conf && exec redis-server /data/sentinel.conf --sentinel"]`,
      `    ports: ["127.0.0.1:${portBase + 100 + i}:26379"]`,
    );
  }
  if (s.haproxy) lines.push('  haproxy:', `    image: ${images.haproxy}`, '    volumes: ["./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro"]');
  if (s.exporter) lines.push('  exporter:', `    image: ${images.exporter}`, '    command: ["--redis.addr", "redis://redis-1:6379"]');
  // The image's own config (it scrapes itself).
  if (s.prometheus) lines.push('  prometheus:', `    image: ${images.prometheus}`);
  return { 'compose.yaml': `${lines.join('\n')}\n`, ...(s.haproxy ? { 'haproxy.cfg': HAPROXY_CFG } : {}) };
}

/** One plain `compose up` of `shape`: ms from spawning it until every Redis and Sentinel answers PING. */
export async function timeFloor(project: string, shape: FloorShape): Promise<number> {
  const p = await upProject(project, floorFiles(shape));
  try {
    return await untilPing(floorPorts(shape), p.startedAt);
  } finally {
    await p.down();
  }
}
