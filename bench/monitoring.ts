// What monitoring costs and how fast it tells (issue 17): `full` (Prometheus in the deployment)
// beside `full --no-monitoring` for idle CPU and time to healthy, and, on the fast profile, how
// long after a kill-master each expected alert fires beside the moment Sentinel switched the
// master (the event it reports) and beside the fault itself. Deploys its own deployments
// (<prefix>-mon-*) and always removes them.
import { beside, type Beside } from './beside.js';
import { cli } from './cli.js';
import type { IdleCpu } from './cpu.js';
import { deploy, removeDeployment } from './deploy.js';
import { byRole, idleOfDeployment } from './idle.js';
import { IMAGE_FLAGS } from './images.js';
import { benchName, DEPLOY_PORT_BASE } from './settings.js';

interface FiredAlert {
  alert: string;
  firedAfterMs: number;
}

export async function benchMonitoring(options: { runs: number; nothing: IdleCpu; log: (line: string) => void }): Promise<{ rows: Beside[]; runs: object }> {
  const rows: Beside[] = [];
  // Idle: one window each.
  const on = await idleOfDeployment('full', benchName('mon-idle'), [], options.nothing);
  const off = await idleOfDeployment('full', benchName('mon-idle'), ['--no-monitoring'], options.nothing);
  const prometheusCpu = byRole(on.idle).find((r) => r.role === 'prometheus')?.cpu ?? null;
  options.log(`monitoring idle: full ${on.idle.machine.toFixed(1)} %, --no-monitoring ${off.idle.machine.toFixed(1)} %, Prometheus itself ${prometheusCpu?.toFixed(1)} %`);
  rows.push(
    beside('full idle CPU', on.idle.slices, 'full --no-monitoring idle CPU', off.idle.slices, { unit: '%cpu', center: 'mean' }),
    beside('full idle CPU', on.idle.slices, 'nothing deployed', options.nothing.slices, { unit: '%cpu', center: 'mean' }),
  );

  // Time to healthy, interleaved.
  const healthy = { on: [] as number[], off: [] as number[] };
  for (let i = 0; i < options.runs; i++) {
    for (const [key, flags] of [['on', []], ['off', ['--no-monitoring']]] as const) {
      const name = benchName(`mon-${key}`);
      try {
        healthy[key].push((await deploy('full', name, [...flags])).wallMs);
      } finally {
        await removeDeployment(name);
      }
    }
    options.log(`monitoring time to healthy run ${i + 1}: full ${Math.round(healthy.on.at(-1)!)} ms, --no-monitoring ${Math.round(healthy.off.at(-1)!)} ms`);
  }
  rows.push(beside('full time to healthy', healthy.on, 'full --no-monitoring', healthy.off));

  // kill-master, fast profile: when each expected alert fired, from the fault.
  const alerts: Record<string, number[]> = {};
  const switches: number[] = [];
  const name = benchName('mon-alerts');
  try {
    const d = await cli(['deploy', 'full', '--profile', 'fast', '--name', name, '--port-base', String(DEPLOY_PORT_BASE), ...IMAGE_FLAGS, '--json'], 300_000);
    if (d.exitCode !== 0) throw new Error(`deploy ${name} failed: ${(d.stderr.trim() || d.stdout).slice(-500)}`);
    for (let i = 0; i < options.runs; i++) {
      const r = await cli(['test-failover', '--name', name, '--scenario', 'kill-master', '--json'], 600_000);
      const s = (JSON.parse(r.stdout) as { scenarios: { timings: Record<string, number | null>; alerts?: { fired: FiredAlert[] } }[] }).scenarios[0]!;
      switches.push(s.timings.switchMasterMs ?? Number.NaN);
      for (const a of s.alerts?.fired ?? []) (alerts[a.alert] ??= []).push(a.firedAfterMs);
      options.log(`monitoring kill-master run ${i + 1}: switch-master ${s.timings.switchMasterMs} ms; ${(s.alerts?.fired ?? []).map((a) => `${a.alert} ${a.firedAfterMs} ms`).join(', ')}`);
    }
  } finally {
    await removeDeployment(name);
  }
  for (const alert of ['RedisMasterChanged', 'RedisNodeDown']) {
    rows.push(beside(`kill-master: ${alert} fired (from the fault)`, alerts[alert] ?? [], 'its switch-master', switches));
  }
  return { rows, runs: { idle: { on: on.idle.machine, off: off.idle.machine, prometheusCpu }, healthy, alerts, switches } };
}
