// Idle CPU over BENCH_IDLE_S seconds (60: one healthcheck interval at rest) right after `deploy`
// returned, per preset, beside nothing deployed and beside the tutorial compose file
// (converged), and what each costs: container healthchecks (execs per minute, and the Docker
// engine's CPU that starts them), HAProxy checks, Sentinel pings, the exporter. One window each: its mean (what the machine
// spent), with the spread over its slices.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { beside, formatValue, type Beside, type Target } from './beside.js';
import { startTutorial } from './baseline.js';
import { measureIdleCpu, type IdleCpu } from './cpu.js';
import { withDeployment } from './deploy.js';
import { IMAGE_FLAGS } from './images.js';
import { benchName, IDLE_S, IDLE_SLICE_S } from './settings.js';

const PRESETS = ['basic', 'sentinel', 'full'] as const;

export interface IdleCosts {
  healthcheckExecsPerMin: number;
  /** Docker engine CPU above nothing deployed: dockerd, containerd, shims, and runc for every exec. */
  engineAboveNothing: number;
  /** HAProxy's own checks per minute at rest, from the rendered haproxy.cfg (UP servers every inter, DOWN ones every downinter). */
  haproxyChecksPerMin: number | null;
  /** Sentinel PINGs every instance it knows once a second: sentinels x (nodes + other sentinels) x 60. */
  sentinelPingsPerMin: number;
}

const ROLES: [string, RegExp][] = [
  ['redis nodes', /^redis-\d+$/],
  ['sentinels', /^sentinel-\d+$/],
  ['haproxy', /^haproxy$/],
  ['exporter', /^exporter$/],
  ['prometheus', /^prometheus$/],
  ['alertmanager', /^alertmanager$/],
];

/** Per role: CPU % of one core, container count, healthcheck execs per minute. */
export function byRole(idle: IdleCpu): { role: string; count: number; cpu: number; execsPerMin: number }[] {
  const out = ROLES.map(([role, re]) => {
    const mine = idle.services.filter((s) => re.test(s.service));
    return { role, count: mine.length, cpu: mine.reduce((n, s) => n + (s.cpu ?? 0), 0), execsPerMin: mine.reduce((n, s) => n + s.execsPerMin, 0) };
  });
  const rest = idle.services.filter((s) => !ROLES.some(([, re]) => re.test(s.service)));
  if (rest.length) out.push({ role: 'other', count: rest.length, cpu: rest.reduce((n, s) => n + (s.cpu ?? 0), 0), execsPerMin: rest.reduce((n, s) => n + s.execsPerMin, 0) });
  return out.filter((r) => r.count > 0);
}

/**
 * HAProxy's own checks per minute at rest, from the rendered haproxy.cfg: UP servers every
 * `inter`, DOWN ones every `downinter` (checks are conclusive, so a DOWN server's check ends on
 * its answer). At rest the write backend has one server UP (the master), the read backend all but
 * the master, and of the sentinels_name_* backends the master's has every Sentinel UP, the
 * others none.
 */
async function haproxyChecksPerMin(name: string): Promise<number | null> {
  const cfg = await readFile(resolve('.redis-ha', name, 'haproxy', 'haproxy.cfg'), 'utf8').catch(() => null);
  const inter = Number(cfg?.match(/default-server .*\binter (\d+)ms/)?.[1]);
  const downinter = Number(cfg?.match(/default-server .*\bdowninter (\d+)ms/)?.[1] ?? inter);
  if (!cfg || !inter) return null;
  const servers = (backend: RegExp) =>
    cfg
      .split(/\n(?=backend )/)
      .filter((b) => backend.test(b.split('\n')[0]!))
      .map((b) => b.split('\n').filter((l) => /^\s*server \S+ \S+ .*\bcheck\b/.test(l)).length);
  const [write = 0] = servers(/^backend redis_write$/);
  const [read = 0] = servers(/^backend redis_read$/);
  const names = servers(/^backend sentinels_name_/);
  const up = (write ? 1 : 0) + Math.max(0, read - 1) + (names[0] ?? 0);
  const down = Math.max(0, write - 1) + (read ? 1 : 0) + names.slice(1).reduce((a, b) => a + b, 0);
  return (up * 60_000) / inter + (down * 60_000) / downinter;
}

function costs(idle: IdleCpu, nothing: IdleCpu, haproxyChecks: number | null): IdleCosts {
  const roles = byRole(idle);
  const count = (role: string) => roles.find((r) => r.role === role)?.count ?? 0;
  const sentinels = count('sentinels');
  return {
    healthcheckExecsPerMin: roles.reduce((n, r) => n + r.execsPerMin, 0),
    engineAboveNothing: idle.engine - nothing.engine,
    haproxyChecksPerMin: haproxyChecks,
    sentinelPingsPerMin: sentinels * (count('redis nodes') + sentinels - 1) * 60,
  };
}

export function formatBreakdown(label: string, idle: IdleCpu, nothing: IdleCpu, c: IdleCosts | undefined): string[] {
  const cpu = (v: number) => formatValue('%cpu', v);
  const lines = [`  ${label}: machine ${cpu(idle.machine)}, Docker engine ${cpu(idle.engine)} (nothing deployed: machine ${cpu(nothing.machine)}, engine ${cpu(nothing.engine)})`];
  for (const r of byRole(idle)) {
    const extra =
      r.role === 'haproxy' && c?.haproxyChecksPerMin != null ? `, its checks ${Math.round(c.haproxyChecksPerMin)}/min` : r.role === 'sentinels' && c ? `, Sentinel pings ${c.sentinelPingsPerMin}/min` : '';
    lines.push(`    ${`${r.role} (${r.count})`.padEnd(16)} ${cpu(r.cpu).padStart(7)}  healthcheck execs ${Math.round(r.execsPerMin)}/min${extra}`);
  }
  if (c) lines.push(`    container healthchecks: ${Math.round(c.healthcheckExecsPerMin)} execs/min; the engine that runs them ${cpu(c.engineAboveNothing)} above nothing deployed`);
  return lines;
}

export interface IdleResult {
  rows: Beside[];
  breakdown: string[];
  nothing: IdleCpu;
  presets: Record<string, { idle: IdleCpu; costs: IdleCosts }>;
  tutorial: IdleCpu;
}

/** Idle CPU of one deployment of `preset` (flags: --replicas ...), deployed and removed here. */
export async function idleOfDeployment(preset: string, name: string, flags: string[], nothing: IdleCpu): Promise<{ idle: IdleCpu; costs: IdleCosts; wallMs: number }> {
  return withDeployment(preset, name, flags, async (d) => {
    const idle = await measureIdleCpu(IDLE_S, IDLE_SLICE_S, name);
    return { idle, costs: costs(idle, nothing, await haproxyChecksPerMin(name)), wallMs: d.wallMs };
  });
}

/**
 * Issue 14's idle targets, sentinel and full: at most 3 % of one core (the machine-wide mean of
 * the window, nothing deployed included), and below the tutorial file's.
 */
const IDLE_TARGETS: Record<string, { atMost: Target; belowTutorial: Target }> = {
  sentinel: { atMost: { atMost: 3 }, belowTutorial: { ratio: 1 } },
  full: { atMost: { atMost: 3 }, belowTutorial: { ratio: 1 } },
};

export async function benchIdle(options: { log: (line: string) => void }): Promise<IdleResult> {
  const nothing = await measureIdleCpu(IDLE_S, IDLE_SLICE_S);
  options.log(`idle CPU nothing deployed: ${formatValue('%cpu', nothing.machine)}`);
  const presets: IdleResult['presets'] = {};
  for (const preset of PRESETS) {
    const r = await idleOfDeployment(preset, benchName(`idle-${preset}`), [], nothing);
    presets[preset] = { idle: r.idle, costs: r.costs };
    options.log(`idle CPU ${preset}: ${formatValue('%cpu', r.idle.machine)}`);
  }
  const { project } = await startTutorial(IMAGE_FLAGS[1]!);
  let tutorial: IdleCpu;
  try {
    tutorial = await measureIdleCpu(IDLE_S, IDLE_SLICE_S, project.project);
  } finally {
    await project.down();
  }
  const rows: Beside[] = [beside('tutorial file idle CPU', tutorial.slices, 'nothing deployed', nothing.slices, { unit: '%cpu', center: 'mean' })];
  const breakdown = [...formatBreakdown('tutorial file', tutorial, nothing, undefined)];
  for (const preset of PRESETS) {
    const { idle, costs: c } = presets[preset]!;
    const target = IDLE_TARGETS[preset];
    rows.push(
      beside(`${preset} idle CPU`, idle.slices, 'nothing deployed', nothing.slices, { unit: '%cpu', center: 'mean', ...(target ? { target: target.atMost } : {}) }),
      beside(`${preset} idle CPU`, idle.slices, 'tutorial file', tutorial.slices, { unit: '%cpu', center: 'mean', ...(target ? { target: target.belowTutorial } : {}) }),
    );
    breakdown.push(...formatBreakdown(preset, idle, nothing, c));
  }
  return { rows, breakdown, nothing, presets, tutorial };
}
