// The comparison point for time-to-healthy: a hand-written compose file of the kind found in
// most tutorials (1 master, 2 replicas, 3 Sentinels, Redis's default replication settings,
// no healthchecks, Sentinels discovering peers and replicas by themselves), timed with the
// same probes until replicas are linked and every Sentinel agrees.
import { NO_AUTH } from '../src/probes/connect.js';
import { probeNode } from '../src/probes/redis.js';
import { probeSentinel } from '../src/probes/sentinel.js';
import { sleep } from '../src/wait.js';
import { upProject, type ComposeProject } from './compose-project.js';
import { benchName, COMPOSE_PORT_BASE } from './settings.js';

const PORT_BASE = COMPOSE_PORT_BASE;

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

export interface TutorialTimings {
  composeUpMs: number;
  replicasLinkedMs: number;
  sentinelsConvergedMs: number;
  totalMs: number;
}

/** Starts the tutorial file and waits until it converged; the caller must `down()` it. */
export async function startTutorial(image: string): Promise<{ project: ComposeProject; timings: TutorialTimings }> {
  const project = await upProject(benchName('tutorial'), { 'compose.yaml': composeFile(image) });
  try {
    const started = project.startedAt;
    const composeUpMs = performance.now() - started;
    let replicasLinkedMs: number | undefined;
    for (;;) {
      const state = await converged();
      if (state.linked && replicasLinkedMs === undefined) replicasLinkedMs = performance.now() - started;
      if (state.linked && state.agreed) break;
      if (performance.now() - started > 120_000) throw new Error('the tutorial compose file did not converge in 120 s');
      await sleep(100);
    }
    const totalMs = performance.now() - started;
    return { project, timings: { composeUpMs, replicasLinkedMs: replicasLinkedMs ?? totalMs, sentinelsConvergedMs: totalMs, totalMs } };
  } catch (err) {
    await project.down();
    throw err;
  }
}

/** Milliseconds from `up` to replicas linked and to Sentinels agreeing, for one run. */
export async function timeBaseline(image: string): Promise<TutorialTimings> {
  const { project, timings } = await startTutorial(image);
  await project.down();
  return timings;
}
