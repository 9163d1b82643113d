// Idle CPU, machine-wide and by who spends it. Machine: busy jiffies from /proc/stat
// (total - idle - iowait) as % of ONE core (200 % = both cores of a 2-core machine busy).
// By container: the cgroup's cpuacct usage (the container's processes and the healthchecks
// exec'ed in it). The Docker engine: dockerd, containerd and the shims, with the children they
// reaped (runc, which starts every healthcheck exec). Healthcheck execs: `docker events`.
import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { execa } from 'execa';
import { sleep } from '../src/wait.js';

export interface CpuTimes {
  /** Jiffies of all kinds (user .. steal). */
  total: number;
  /** Jiffies not spent: idle + iowait. */
  idle: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate "cpu" line');
  // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice)
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), idle: (f[3] ?? 0) + (f[4] ?? 0) };
}

/** Busy CPU between two readings, as % of one core. */
export function busyPercent(a: CpuTimes, b: CpuTimes, cores: number): number {
  const total = b.total - a.total;
  return total > 0 ? (100 * cores * (total - (b.idle - a.idle))) / total : 0;
}

/** utime + stime + cutime + cstime (clock ticks) and the command name of one /proc/<pid>/stat. */
export function parsePidStat(text: string): { comm: string; ticks: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); utime, stime, cutime, cstime are fields 14..17.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(rest[i] ?? 0), 0);
  return { comm: text.slice(open + 1, close), ticks };
}

const readCpu = async () => parseProcStat(await readFile('/proc/stat', 'utf8'));

// The kernel cuts command names to 15 characters: containerd-shim-runc-v2 reads containerd-shim.
const ENGINE = new Set(['dockerd', 'containerd', 'containerd-shim']);

/** Clock ticks spent by the Docker engine's processes (and the children they reaped). */
async function engineTicks(): Promise<number> {
  let sum = 0;
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const p = parsePidStat(stat);
    if (ENGINE.has(p.comm)) sum += p.ticks;
  }
  return sum;
}

/** ns of CPU a container's cgroup used (cgroup v1 cgroupfs or systemd, cgroup v2), or null. */
async function containerNs(id: string): Promise<number | null> {
  const v1 = [`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, `/sys/fs/cgroup/cpuacct/system.slice/docker-${id}.scope/cpuacct.usage`];
  for (const f of v1) {
    const text = await readFile(f, 'utf8').catch(() => null);
    if (text !== null) return Number(text.trim());
  }
  for (const f of [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, `/sys/fs/cgroup/docker/${id}/cpu.stat`]) {
    const text = await readFile(f, 'utf8').catch(() => null);
    const usec = text?.match(/^usage_usec (\d+)/m)?.[1];
    if (usec) return Number(usec) * 1000;
  }
  return null;
}

interface Container {
  id: string;
  service: string;
}

/** The containers of a compose project, found by its labels. */
async function projectContainers(project: string): Promise<Container[]> {
  const r = await execa('docker', ['ps', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{json .}}'], { stdin: 'ignore' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { ID: string; Labels: string })
    .map((c) => ({ id: c.ID, service: c.Labels.match(/(?:^|,)com\.docker\.compose\.service=([^,]*)/)?.[1] ?? c.ID.slice(0, 12) }));
}

/** Healthcheck (and any other) execs per container of `project` between two times (ms since epoch). */
async function execCounts(project: string, sinceMs: number, untilMs: number): Promise<Map<string, number>> {
  const r = await execa(
    'docker',
    ['events', '--since', (sinceMs / 1000).toFixed(3), '--until', (untilMs / 1000).toFixed(3), '--filter', 'event=exec_start', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{json .}}'],
    { stdin: 'ignore', timeout: 30_000 },
  );
  const counts = new Map<string, number>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
    const service = e.Actor?.Attributes?.['com.docker.compose.service'] ?? '?';
    counts.set(service, (counts.get(service) ?? 0) + 1);
  }
  return counts;
}

export interface ServiceIdle {
  service: string;
  /** % of one core over the window (its processes and the healthchecks exec'ed in it). */
  cpu: number | null;
  execsPerMin: number;
}

export interface IdleCpu {
  windowS: number;
  /** Machine-wide busy CPU of each slice, % of one core. */
  slices: number[];
  /** Over the whole window. */
  machine: number;
  /** dockerd + containerd + shims (+ runc they reaped), % of one core. */
  engine: number;
  services: ServiceIdle[];
}

/** Busy CPU over `windowS` seconds in slices of `sliceS`, and by container of `project` (none: the machine only). */
export async function measureIdleCpu(windowS: number, sliceS: number, project?: string): Promise<IdleCpu> {
  const cores = cpus().length;
  const hz = Number((await execa('getconf', ['CLK_TCK'], { reject: false })).stdout) || 100;
  const containers = project ? await projectContainers(project) : [];
  const sinceMs = Date.now();
  const startedAt = performance.now();
  const engineBefore = await engineTicks();
  const nsBefore = await Promise.all(containers.map((c) => containerNs(c.id)));
  const first = await readCpu();
  const slices: number[] = [];
  let previous = first;
  const slicesCount = Math.max(1, Math.round(windowS / sliceS));
  for (let i = 0; i < slicesCount; i++) {
    await sleep((windowS * 1000) / slicesCount);
    const now = await readCpu();
    slices.push(busyPercent(previous, now, cores));
    previous = now;
  }
  const nsAfter = await Promise.all(containers.map((c) => containerNs(c.id)));
  const engineAfter = await engineTicks();
  const elapsedS = (performance.now() - startedAt) / 1000;
  const untilMs = Date.now();
  const execs = project ? await execCounts(project, sinceMs, untilMs) : new Map<string, number>();
  const services = containers
    .map((c, i) => {
      const before = nsBefore[i];
      const after = nsAfter[i];
      const cpu = before != null && after != null ? (100 * (after - before)) / 1e9 / elapsedS : null;
      return { service: c.service, cpu, execsPerMin: ((execs.get(c.service) ?? 0) * 60) / elapsedS };
    })
    .sort((a, b) => a.service.localeCompare(b.service));
  return {
    windowS: elapsedS,
    slices,
    machine: busyPercent(first, previous, cores),
    engine: (100 * (engineAfter - engineBefore)) / hz / elapsedS,
    services,
  };
}
