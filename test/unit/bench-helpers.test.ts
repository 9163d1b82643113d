// The bench's pure helpers: a figure beside its floor (spread, ratio, targets, the summary),
// /proc/stat and /proc/<pid>/stat parsing, the longest wait between acknowledged writes, and
// the floor compose file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ackGapMs } from '../../bench/bare-failover.js';
import { bareRedisConf } from '../../bench/bare-processes.js';
import { beside, formatBeside, formatSummary, spread } from '../../bench/beside.js';
import { busyPercent, parsePidStat, parseProcStat } from '../../bench/cpu.js';
import { floorFiles, floorPorts } from '../../bench/floor-compose.js';
import type { Op } from '../../src/failover/recording.js';

describe('spread', () => {
  it('min, median (not rounded) and max of the numbers, nulls left out', () => {
    assert.deepEqual(spread([3, null, 1, 2.5, undefined, 10]), { min: 1, median: 2.75, max: 10, n: 4 });
    assert.equal(spread([null]), null);
  });

  it("with center 'mean', the mean in its place: one slice of an idle window that held the healthchecks counts", () => {
    assert.deepEqual(spread([1, 1, 1, 9], 'mean'), { min: 1, median: 3, max: 9, n: 4 });
    assert.equal(spread([1, 1, 1, 9])!.median, 1);
  });
});

describe('beside', () => {
  it('ratio of the medians, its spread from the extremes, and the difference', () => {
    const b = beside('x', [200, 220, 240], 'floor', [100, 110, 120]);
    assert.equal(b.ratio!.median, 2);
    assert.equal(b.ratio!.min, 200 / 120);
    assert.equal(b.ratio!.max, 240 / 100);
    assert.equal(b.difference, 110);
    assert.equal(b.met, undefined);
  });

  it('a ratio target and an offset target', () => {
    assert.equal(beside('x', [120], 'f', [100], { target: { ratio: 1.25 } }).met, true);
    assert.equal(beside('x', [130], 'f', [100], { target: { ratio: 1.25 } }).met, false);
    assert.equal(beside('x', [1150], 'f', [1000], { target: { plus: 150 } }).met, true);
    assert.equal(beside('x', [1151], 'f', [1000], { target: { plus: 150 } }).met, false);
  });

  it('a bound of its own (idle CPU at most 3 % of one core), judged on the mean of an idle window, printed beside the floor', () => {
    const slices = [2, 2, 2, 6.4]; // a healthcheck in one slice: mean 3.1, median 2
    const b = beside('sentinel idle CPU', slices, 'nothing deployed', [0.7], { unit: '%cpu', center: 'mean', target: { atMost: 3 } });
    assert.equal(b.met, false);
    assert.equal(beside('x', [2, 2, 2, 5.9], 'f', [0.7], { unit: '%cpu', center: 'mean', target: { atMost: 3 } }).met, true);
    // No floor needed for the verdict; no figure, none.
    assert.equal(beside('x', [2.5], 'f', [], { unit: '%cpu', target: { atMost: 3 } }).met, true);
    assert.equal(beside('x', [], 'f', [0.7], { unit: '%cpu', target: { atMost: 3 } }).met, null);
    assert.match(formatSummary([b])[1]!, /^sentinel idle CPU +3\.1 % +nothing deployed 0\.7 % +x4\.43 \+2\.4 % +<= 3\.0 % +MISSED$/);
    assert.match(formatBeside(b), /target <= 3\.0 % MISSED$/);
  });

  it('a floor of 0 still gives a verdict, without a ratio', () => {
    const b = beside('gap', [300], 'floor gap', [0], { target: { ratio: 1.1 } });
    assert.equal(b.ratio, null);
    assert.equal(b.met, false);
  });

  it('no figure: no verdict', () => {
    assert.equal(beside('x', [], 'f', [100], { target: { ratio: 1.1 } }).met, null);
  });

  it('prints the figure, the floor, the ratio, the difference and the verdict on one line', () => {
    const line = formatBeside(beside('sentinel time to healthy', [4000, 4200, 5000], 'plain compose up', [2000, 2100, 2500], { target: { ratio: 1.25 } }));
    assert.equal(line, '  sentinel time to healthy: 4200 ms (4000 ms..5000 ms)  beside plain compose up: 2100 ms (2000 ms..2500 ms)  = x2.00 (1.60..2.50), +2100 ms  target <= 1.25x MISSED');
    assert.match(formatBeside(beside('idle', [12.34], 'nothing', [2], { unit: '%cpu' })), /idle: 12\.3 %  beside nothing: 2\.0 %  = x6\.17, \+10\.3 %$/);
  });

  it('the summary lists the rows with a target only', () => {
    const lines = formatSummary([beside('a', [1], 'f', [1]), beside('b', [90], 'f', [100], { target: { plus: 100 } })]);
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /^b +90 ms +f 100 ms +x0\.90 -10 ms +<= \+100 ms +met$/);
    // A floor of 0: no ratio, the difference still shown.
    assert.match(formatSummary([beside('c', [300], 'f', [0], { target: { ratio: 1.1 } })])[1]!, / x- \+300 ms +<= 1\.1x +MISSED$/);
  });
});

describe('CPU from /proc', () => {
  it('busy = total - idle - iowait, as % of one core', () => {
    const a = parseProcStat('cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3\n');
    const b = parseProcStat('cpu  200 0 200 800 100 0 0 0 0 0\ncpu0 1 2 3\n');
    assert.deepEqual(a, { total: 1000, idle: 800 });
    // 200 busy of 300 jiffies on 2 cores: 133 % of one core.
    assert.equal(Math.round(busyPercent(a, b, 2)), 133);
  });

  it('a process: its name (spaces and parentheses allowed) and utime + stime + cutime + cstime', () => {
    const stat = '42 (containerd-shim) S 1 42 42 0 -1 4194560 100 0 0 0 11 22 33 44 20 0 10 0 100 0 0';
    assert.deepEqual(parsePidStat(stat), { comm: 'containerd-shim', ticks: 110 });
    assert.equal(parsePidStat('7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 1 1 1 20').comm, 'a (b) c');
  });
});

describe('bare floor', () => {
  const op = (start: number, end: number, outcome: Op['outcome'] = 'ok'): Op => ({ via: 'sentinel', key: `k${start}`, value: '1', start, end, outcome });

  it('the longest wait between acknowledgements from the last one before the fault', () => {
    const ops = [op(0, 2), op(10, 12), op(20, 1000, 'indeterminate'), op(30, 1500), op(40, 1510)];
    assert.equal(ackGapMs(ops, 15), 1488);
    assert.equal(ackGapMs([op(0, 2)], 15), null);
  });

  it('a replica config names its master on loopback', () => {
    assert.match(bareRedisConf(8802, '/tmp/x', 8801), /^port 8802\nbind 127\.0\.0\.1\n.*replicaof 127\.0\.0\.1 8801\n$/s);
  });
});

describe('floor compose file', () => {
  it('as many containers as the preset, no healthchecks, ports in order', () => {
    const files = floorFiles({ replicas: 2, sentinels: 3, haproxy: true, exporter: true, prometheus: true }, 9000);
    const compose = files['compose.yaml']!;
    assert.equal(compose.match(/^ {2}redis-\d+:/gm)?.length, 3);
    assert.equal(compose.match(/^ {2}sentinel-\d+:/gm)?.length, 3);
    assert.match(compose, /^ {2}haproxy:/m);
    assert.match(compose, /^ {2}exporter:/m);
    assert.match(compose, /^ {2}prometheus:/m);
    assert.doesNotMatch(compose, /healthcheck|depends_on/);
    assert.ok(files['haproxy.cfg']);
    assert.deepEqual(floorPorts({ replicas: 2, sentinels: 3, haproxy: true, exporter: true, prometheus: true }, 9000), [9001, 9002, 9003, 9101, 9102, 9103]);
  });
});
