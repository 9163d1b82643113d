// `redis-ha status`: what every part of a deployment says now. Exit 0 only when healthy.
import { lines, type Io } from '../io.js';
import { readCertificateExpiry } from '../files/certificates.js';
import { readDeployment } from '../files/deployment.js';
import { takeSnapshot, type StatusSnapshot } from '../health/status.js';
import { sleep } from '../wait.js';
import { probeHost } from '../model/nodes.js';
import type { TargetName } from '../model/schema.js';
import type { Deployment } from '../deployment.js';
import { printJson, style, symbols } from '../report/style.js';
import { padVisible } from '../report/width.js';
import { appendStepSummary, liveEngine, type CommandContext } from './context.js';
import { statusSummary } from '../report/step-summary.js';
import { locateDeployment } from './locate.js';

export interface StatusOptions {
  name?: string;
  dir?: string;
  /** compose | swarm; default: the deployment's own (topology.json). */
  target?: TargetName;
  /** Swarm: `NODE=DOCKER_HOST` per node (default: those recorded at deploy). */
  nodeHost?: string[];
  /** How long to wait before confirming an unhealthy verdict with a second snapshot (0: none). */
  confirmMs?: number;
}

export async function status(options: StatusOptions, ctx: Pick<CommandContext, 'runtime' | 'io' | 'runtimeFor'>): Promise<StatusSnapshot> {
  const files = await readDeployment(await locateDeployment(options, ctx.runtime, ctx.io.cwd));
  const t = files.topology;
  const { runtime, hostOf } = await liveEngine(ctx, files.dir, t, options);
  const d: Deployment = { topology: t, auth: files.admin, stats: files.stats, host: probeHost(t), hostOf };
  const containers = await runtime.containers(t.name);
  const certificates = await readCertificateExpiry(files.dir, t);
  const first = await takeSnapshot(d, containers, { caughtUp: false, certificates });
  // A probe is one try with a 1 s limit: on a loaded machine (TLS handshakes, a busy CI runner)
  // one can miss while everything is fine. An unhealthy verdict that nothing fatal explains is
  // confirmed by a second look a moment later; only what is still wrong then is reported.
  if (first.healthy || first.checks.some((c) => !c.ok && c.fatal) || options.confirmMs === 0) return first;
  await sleep(options.confirmMs ?? 1000);
  return takeSnapshot(d, await runtime.containers(t.name), { caughtUp: false, certificates });
}


export function formatStatus(s: StatusSnapshot): string {
  const out: string[] = [];
  const head = s.healthy ? `${symbols.ok()} healthy` : `${symbols.fail()} ${style.bad('unhealthy')}`;
  out.push(`${style.bold(s.deployment)} (${s.preset}): ${head}${s.master ? `, master ${style.bold(s.master)}` : ''}`);
  if (s.containers.some((c) => c.node)) {
    out.push('', 'Tasks:');
    for (const c of s.containers) out.push(`  ${c.service.padEnd(10)} ${(c.node ?? '?').padEnd(12)} ${c.state}${c.health ? `/${c.health}` : ''}`);
  }
  out.push('', 'Nodes:');
  out.push(style.dim('  service    port   role     link  offset        lag(bytes)  lag(s)  replicas'));
  for (const n of s.nodes) {
    if (!n.reachable) {
      out.push(`  ${n.service.padEnd(10)} ${String(n.hostPort).padEnd(6)} ${style.bad('unreachable')} ${style.dim(n.error ?? '')}`);
      continue;
    }
    const link = n.role === 'master' ? '-' : n.linkUp ? style.ok('up') : style.bad('down');
    const lagS = n.role === 'master' ? '-' : String(n.lastIoSecondsAgo ?? '?');
    out.push(
      `  ${n.service.padEnd(10)} ${String(n.hostPort).padEnd(6)} ${(n.role ?? '?').padEnd(8)} ${padVisible(link, 5)} ${String(n.offset ?? '?').padEnd(13)} ${String(n.lagBytes ?? '-').padEnd(11)} ${lagS.padEnd(7)} ${n.role === 'master' ? (n.connectedReplicas ?? 0) : '-'}`,
    );
  }
  if (s.shards) {
    out.push('', 'Shards:');
    for (const x of s.shards) {
      const replicas = x.replicas.map((r) => `${r.service} ${r.linkUp ? style.ok('linked') : style.bad('link down')}`).join(', ');
      out.push(`  slots ${x.slots.padEnd(12)} master ${x.master.padEnd(9)} replicas ${replicas || '-'}`);
    }
  }
  if (s.sentinels.length) {
    out.push('', 'Sentinels:');
    for (const x of s.sentinels) {
      if (!x.reachable) {
        out.push(`  ${x.service.padEnd(11)} ${style.bad('unreachable')} ${style.dim(x.error ?? '')}`);
        continue;
      }
      out.push(
        `  ${x.service.padEnd(11)} master ${x.master ?? '?'}, replicas ${x.replicasOk?.join(' ') || '-'}, sentinels seen ${x.otherSentinels?.length ?? 0}, CKQUORUM ${x.ckquorum?.ok ? style.ok('OK') : style.bad(x.ckquorum?.message ?? '?')}`,
      );
    }
  }
  if (s.haproxy) {
    out.push('', 'HAProxy:');
    if (!s.haproxy.reachable) out.push(`  ${style.bad('stats unreachable')} ${s.haproxy.error ?? ''}`);
    const rows = s.haproxy.servers.filter((r) => r.backend === 'redis_write' || r.backend === 'redis_read');
    for (const backend of ['redis_write', 'redis_read']) {
      const cells = rows.filter((r) => r.backend === backend).map((r) => `${r.server} ${r.status.startsWith('UP') ? style.ok(r.status) : style.dim(r.status)}`);
      out.push(`  ${backend.padEnd(12)} ${cells.join(', ')}`);
    }
    out.push(`  write port reaches ${s.haproxy.writeReaches ?? '?'}, read port reaches ${s.haproxy.readReaches ?? '?'}`);
  }
  if (s.exporter) {
    out.push('', 'Exporter:');
    out.push(`  ${s.exporter.targets.map((x) => `${x.target.replace(/^rediss?:\/\//, '')} redis_up=${x.up ?? '?'}`).join(', ')}`);
  }
  if (s.certificates?.length) {
    out.push('', 'Certificates (TLS):');
    for (const c of s.certificates) {
      const left = c.daysLeft < 0 ? style.bad('expired') : c.warning ? style.warn(`${c.daysLeft} days left`) : `${c.daysLeft} days left`;
      out.push(`  ${c.warning ? symbols.warn() : ' '} ${c.name.padEnd(11)} until ${c.notAfter.slice(0, 10)}, ${left}  ${style.dim(c.file)}`);
    }
  }
  if (s.drift.length) {
    out.push('', 'Drift (live differs from rendered):');
    for (const d of s.drift) out.push(`  ${d.service.padEnd(11)} ${d.setting} ${style.bad(d.live || '""')} (rendered ${d.rendered || '""'})`);
  }
  if (s.warnings?.length) {
    out.push('', 'Warnings:');
    for (const w of s.warnings) out.push(`  ${symbols.warn()} ${w}`);
  }
  out.push('', 'Checks:');
  for (const c of s.checks) {
    const warned = c.ok && c.name === 'certificates' && c.detail.startsWith('warning');
    out.push(`  ${!c.ok ? symbols.fail() : warned ? symbols.warn() : symbols.ok()} ${c.name.padEnd(12)} ${c.ok && !warned ? style.dim(c.detail) : c.detail}`);
  }
  out.push(
    style.dim(
      s.containerHealthcheckIntervalMs === null
        ? '\nThe checks are probed from this host. Swarm tasks run no container healthcheck (one would keep a task out of the service DNS until its first run).'
        : `\nThe checks are probed from this host. Container healthchecks (docker ps) run every ${s.containerHealthcheckIntervalMs / 1000} s once a container is up: they tell Docker a process is alive, and gate nothing.`,
    ),
  );
  return out.join('\n');
}

/** Redraws the status every `intervalMs` until `signal` aborts (Ctrl-C); returns the last snapshot. */
export async function watchStatus(
  options: StatusOptions & { intervalMs?: number },
  ctx: CommandContext & { sleep?: (ms: number, signal: AbortSignal) => Promise<void> },
): Promise<StatusSnapshot> {
  // Ends at once when `signal` aborts (then the loop ends; never rejects).
  const pause = ctx.sleep ?? ((ms: number, signal: AbortSignal) => sleep(ms, { signal }).catch(() => undefined));
  let last = await status({ ...options, confirmMs: 0 }, ctx);
  while (!ctx.signal.aborted) {
    ctx.io.stdout.write(`\x1b[2J\x1b[H${formatStatus(last)}\n${style.dim(`\n${last.takenAt}  (Ctrl-C to stop)`)}\n`);
    await pause(options.intervalMs ?? 1000, ctx.signal);
    if (ctx.signal.aborted) break;
    last = await status({ ...options, confirmMs: 0 }, ctx);
  }
  return last;
}

/** The verdict and the checks on the CI job's summary page (GITHUB_STEP_SUMMARY), when there is one. */
export async function statusStepSummary(s: StatusSnapshot, io: Io): Promise<void> {
  await appendStepSummary(io, statusSummary(s));
}

export function printStatus(s: StatusSnapshot, json: boolean, io: Io): void {
  const { out } = lines(io);
  if (json) printJson(io.stdout, s);
  else out(formatStatus(s));
}
