// test-failover's result as JUnit XML, the report format CI systems show (GitHub Actions test
// reporters, GitLab `artifacts:reports:junit`, Jenkins' junit step): one testsuite per run, one
// testcase per scenario with its figures as properties and each failure reason in its
// `failure` element; scenarios the deployment cannot run are `skipped` testcases.
import { isClusterResult, type AnyScenario } from './failover-columns.js';
import type { LimitCheck } from '../failover/limits.js';

export interface JunitRun {
  deployment: string;
  preset: string;
  profile: string;
  rate: number;
  durability: string;
  /** ISO time the run started. */
  startedAt: string;
  scenarios: (AnyScenario & { limits?: LimitCheck[]; durationMs?: number })[];
  /** Scenarios left out, with the reason (they did not fit the deployment). */
  skipped: { scenario: string; reason: string }[];
}

/** Text or attribute value, escaped for XML 1.0 (characters XML cannot hold are dropped). */
export function xmlEscape(s: string): string {
  return (
    s
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

const attrs = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');

const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

/** The figures of a scenario as JUnit properties (name -> value; null figures as "-"). */
export function scenarioProperties(s: JunitRun['scenarios'][number]): [string, string][] {
  const v = (x: number | string | null) => (x === null ? '-' : String(x));
  const props: [string, string][] = isClusterResult(s)
    ? [
        ['shard', v(s.shard ?? 'all')],
        ['old-master', v(s.oldMaster)],
        ['new-master', v(s.newMaster)],
        ['cluster-node-timeout-ms', v(s.timings.nodeTimeoutMs)],
        ['failover-ms', v(s.timings.failoverMs)],
        ['shard-failed-ms', v(s.timings.shardFailedMs)],
        ['recovered-ms', v(s.timings.recoveredMs)],
        ['write-gap-failed-shard-ms', v(s.timings.failedShardWriteGapMs)],
        ['write-gap-other-shards-ms', v(s.timings.otherShardsWriteGapMs)],
        ['writes-acked', v(s.writes.acked)],
        ['writes-failed', v(s.writes.failed)],
        ['writes-indeterminate', v(s.writes.indeterminate)],
        ['acked-writes-lost', v(s.writes.lostAcked)],
        ['other-shards-writes-failed', v(s.otherShards.failed + s.otherShards.indeterminate)],
        ['old-master-rejoined-as', v(s.rejoin.oldMasterRole)],
        ['durability', s.durability],
      ]
    : [
    ['old-master', v(s.oldMaster)],
    ['new-master', v(s.newMaster)],
    ['sdown-ms', v(s.timings.sdownMs)],
    ['odown-ms', v(s.timings.odownMs)],
    ['switch-master-ms', v(s.timings.switchMasterMs)],
    ['write-gap-sentinel-client-ms', v(s.timings.sentinelClientWriteGapMs)],
    ['write-gap-haproxy-ms', v(s.timings.haproxyWriteGapMs)],
    ['writes-acked', v(s.writes.acked)],
    ['writes-failed', v(s.writes.failed)],
    ['writes-indeterminate', v(s.writes.indeterminate)],
    ['acked-writes-lost', v(s.writes.lostAcked)],
    ['dual-master-window-ms', v(s.dualMaster.windowMs)],
    ['old-master-rejoined-as', v(s.rejoin.oldMasterRole)],
    ['resync', s.rejoin.resync],
    ['durability', s.durability],
  ];
  if (!isClusterResult(s) && s.faultMode) props.push(['fault-mode', s.faultMode]);
  for (const c of s.limits ?? []) {
    const shown = c.verdict === 'not-applicable' ? `not applicable: ${c.reason}` : `${c.verdict}: ${v(c.value)} (limit ${c.max})`;
    props.push([`limit.${c.limit}${c.path ? `.${c.path}` : ''}`, shown]);
  }
  return props;
}

export function renderJunit(run: JunitRun): string {
  const suite = `redis-ha test-failover ${run.deployment}`;
  const classname = `redis-ha.${run.deployment}.${run.preset}`;
  const failures = run.scenarios.filter((s) => !s.passed).length;
  const total = run.scenarios.reduce((n, s) => n + (s.durationMs ?? 0), 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'redis-ha test-failover', tests: run.scenarios.length + run.skipped.length, failures, errors: 0, time: seconds(total) })}>`,
    `  <testsuite${attrs({ name: suite, tests: run.scenarios.length + run.skipped.length, failures, errors: 0, skipped: run.skipped.length, time: seconds(total), timestamp: run.startedAt.replace(/\.\d+Z$/, '') })}>`,
    '    <properties>',
    ...(
      [
        ['deployment', run.deployment],
        ['preset', run.preset],
        ['profile', run.profile],
        ['rate', String(run.rate)],
        ['durability', run.durability],
      ] as const
    ).map(([name, value]) => `      <property${attrs({ name, value })}/>`),
    '    </properties>',
  ];
  for (const s of run.scenarios) {
    out.push(`    <testcase${attrs({ name: s.scenario, classname, time: seconds(s.durationMs) })}>`);
    out.push('      <properties>');
    for (const [name, value] of scenarioProperties(s)) out.push(`        <property${attrs({ name, value })}/>`);
    out.push('      </properties>');
    if (!s.passed) {
      const reasons = s.failures.length ? s.failures : ['failed'];
      out.push(`      <failure${attrs({ message: reasons[0]!, type: 'failover' })}>${xmlEscape(reasons.join('\n'))}</failure>`);
    }
    if (s.notes.length) out.push(`      <system-out>${xmlEscape(s.notes.join('\n'))}</system-out>`);
    out.push('    </testcase>');
  }
  for (const k of run.skipped) {
    out.push(`    <testcase${attrs({ name: k.scenario, classname, time: '0.000' })}>`);
    out.push(`      <skipped${attrs({ message: k.reason })}/>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
