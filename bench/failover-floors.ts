// The failover figures of a deployment (test-failover on `full`, fast profile: failover.ts's
// kill-master runs and switchover.ts's, which measure the same way) beside the bare Sentinel
// floor (bare-failover.ts). Targets (issue 14): kill-master switch <= 1.1x bare; Sentinel-client
// gap <= its switch + 150 ms; HAProxy gap <= its switch + 300 ms; switchover gaps <= 1.1x
// (Sentinel client) and <= 1.25x (HAProxy) the switch of a bare SENTINEL FAILOVER (from the
// command to +switch-master: the least a planned move costs; a bare SENTINEL FAILOVER's own write
// gap is ~0 because it does not hold writes, and so loses those the old master took meanwhile).
import { beside, type Beside } from './beside.js';
import type { BareFloor } from './bare-failover.js';

interface DeploymentRun {
  switchMasterMs: number | null;
  sentinelClientWriteGapMs: number | null;
  haproxyWriteGapMs: number | null;
}

/** The bare floor's own rows: what a client sees beside what Sentinel does. */
export function bareRows(bare: BareFloor): Beside[] {
  const k = bare.killMaster;
  const f = bare.sentinelFailover;
  return [
    beside('bare kill -9 Sentinel-client gap', k.map((r) => r.sentinelClientWriteGapMs), 'bare switch-master', k.map((r) => r.switchMasterMs)),
    beside('bare SENTINEL FAILOVER Sentinel-client gap', f.map((r) => r.sentinelClientWriteGapMs), 'bare switch-master', f.map((r) => r.switchMasterMs)),
    beside('bare SENTINEL FAILOVER longest wait between acks', f.map((r) => r.ackGapMs), 'bare switch-master', f.map((r) => r.switchMasterMs)),
  ];
}

export function failoverRows(bare: BareFloor | undefined, killMaster: DeploymentRun[], switchover: DeploymentRun[]): Beside[] {
  const of = <R, K extends keyof R>(runs: R[], key: K) => runs.map((r) => r[key] as number | null);
  const rows: Beside[] = [];
  if (killMaster.length) {
    const ownSwitch = of(killMaster, 'switchMasterMs');
    if (bare) rows.push(beside('kill-master switch-master', ownSwitch, 'bare kill -9 switch-master', of(bare.killMaster, 'switchMasterMs'), { target: { ratio: 1.1 } }));
    rows.push(
      beside('kill-master Sentinel-client gap', of(killMaster, 'sentinelClientWriteGapMs'), 'its switch-master', ownSwitch, { target: { plus: 150 } }),
      beside('kill-master HAProxy gap', of(killMaster, 'haproxyWriteGapMs'), 'its switch-master', ownSwitch, { target: { plus: 300 } }),
    );
    if (bare) rows.push(beside('kill-master Sentinel-client gap', of(killMaster, 'sentinelClientWriteGapMs'), 'bare kill -9 Sentinel-client gap', of(bare.killMaster, 'sentinelClientWriteGapMs')));
  }
  if (switchover.length && bare) {
    const floor = of(bare.sentinelFailover, 'switchMasterMs');
    rows.push(
      beside('switchover Sentinel-client gap', of(switchover, 'sentinelClientWriteGapMs'), 'bare SENTINEL FAILOVER switch', floor, { target: { ratio: 1.1 } }),
      beside('switchover HAProxy gap', of(switchover, 'haproxyWriteGapMs'), 'bare SENTINEL FAILOVER switch', floor, { target: { ratio: 1.25 } }),
      beside('switchover switch-master', of(switchover, 'switchMasterMs'), 'bare SENTINEL FAILOVER switch', floor),
    );
  }
  return rows;
}
