// The comparison point for time-to-healthy: a hand-written compose file of the kind found in
// most tutorials (1 master, 2 replicas, 3 Sentinels, Redis's default replication settings,
// no healthchecks, Sentinels discovering peers and replicas by themselves), timed with the
// same probes until replicas are linked and every Sentinel agrees.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { NO_AUTH } from '../src/probes/connect.js';
import { probeNode } from '../src/probes/redis.js';
import { probeSentinel } from '../src/probes/sentinel.js';

const PORT_BASE = 8700;

function composeFile(image: string): string {
  const sentinelConf = [
    'port 26379',
    'sentinel resolve-hostnames yes',
    'sentinel monitor mymaster redis-1 6379 2',
    'sentinel down-after-milliseconds mymaster 5000',
  ].join('\\n');
  const lines = ['services:'];
  for (let i = 1; i <= 3; i++) {
    lines.push(
      `  redis-${i}:`,
      `    image: ${image}`,
      `    command: ["redis-server", "--protected-mode", "no"${i > 1 ? ', "--replicaof", "redis-1", "6379"' : ''}]`,
      `    ports: ["127.0.0.1:${PORT_BASE + i}:6379"]`,
    );
  }
  for (let i = 1; i <= 3; i++) {
    lines.push(
      `  sentinel-${i}:`,
      `    image: ${image}`,
      `    entrypoint: ["sh", "-c", "printf '${sentinelConf}\\\\n' > /data/sentinel.conf && exec redis-server /data/sentinel.conf --sentinel"]`,
      `    ports: ["127.0.0.1:${PORT_BASE + 100 + i}:26379"]`,
      '    depends_on: [redis-1, redis-2, redis-3]',
    );
  }
  return `${lines.join('\n')}\n`;
}

async function converged(): Promise<{ linked: boolean; agreed: boolean }> {
  const nodes = await Promise.all([2, 3].map((i) => probeNode({ host: '127.0.0.1', port: PORT_BASE + i }, NO_AUTH)));
  const linked = nodes.every((n) => n.reachable && n.linkUp);
  const sentinels = await Promise.all([1, 2, 3].map((i) => probeSentinel({ host: '127.0.0.1', port: PORT_BASE + 100 + i }, NO_AUTH, 'mymaster')));
  const agreed = sentinels.every((s) => s.reachable && s.replicasOk?.length === 2 && s.otherSentinels?.length === 2 && s.ckquorum?.ok);
  return { linked, agreed };
}

/** Milliseconds from `up` to replicas linked and to Sentinels agreeing, for one run. */
export async function timeBaseline(image: string): Promise<{ composeUpMs: number; replicasLinkedMs: number; sentinelsConvergedMs: number; totalMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-ha-baseline-'));
  const project = 'bench-baseline';
  const compose = ['-p', project, '-f', join(dir, 'compose.yaml')];
  await writeFile(join(dir, 'compose.yaml'), composeFile(image));
  const started = performance.now();
  try {
    await execa('docker-compose', [...compose, 'up', '-d'], { stdin: 'ignore' });
    const composeUpMs = performance.now() - started;
    let replicasLinkedMs: number | undefined;
    for (;;) {
      const state = await converged();
      if (state.linked && replicasLinkedMs === undefined) replicasLinkedMs = performance.now() - started;
      if (state.linked && state.agreed) break;
      if (performance.now() - started > 120_000) throw new Error('baseline did not converge in 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const totalMs = performance.now() - started;
    return { composeUpMs, replicasLinkedMs: replicasLinkedMs ?? totalMs, sentinelsConvergedMs: totalMs, totalMs };
  } finally {
    await execa('docker-compose', [...compose, 'down', '-v', '--remove-orphans'], { reject: false, stdin: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  }
}
