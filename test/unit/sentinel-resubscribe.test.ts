// The crash of `test-failover --scenario all` over TLS ("Connection is closed.", process gone):
// after a reconnect ioredis resends SUBSCRIBE without handling its reply; a subscriber closed
// while that reply is due rejects it with nobody listening, and Node 20 ends the process.
// Each case runs in its own process (test/helpers/resubscribe-race.ts) against a fake Sentinel
// that holds the resent SUBSCRIBE, so the close always lands inside that window.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SCRIPT = fileURLToPath(new URL('../helpers/resubscribe-race.js', import.meta.url));
// Each case is its own process and mostly waits (reconnect delays, the held reply): the three run at once.
const race = (variant: string) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [SCRIPT, variant], { encoding: 'utf8', timeout: 20_000 }, (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }));
  });

describe('a Sentinel subscriber closed while its resent SUBSCRIBE is due', { concurrency: true }, () => {
  it('kills a process with plain ioredis 6.0.0 (the defect; when this fails, ioredis handles it and QuietSentinelConnector.quiet can go)', async () => {
    const r = await race('ioredis');
    assert.notEqual(r.status, 0, `expected the process to die: ${r.stdout}`);
    assert.match(r.stderr, /Connection is closed\./);
  });

  it("does not with QuietSentinelConnector's failover-detector connections (the printed snippet's client, test-failover's workload)", async () => {
    const r = await race('detector');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^settled \(resent SUBSCRIBE \+switch-master\)/);
  });

  it("does not with test-failover's Observer stopped at that moment (its Sentinel event subscriptions)", async () => {
    const r = await race('observer');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^settled \(resent SUBSCRIBE \+sdown .*\+switch-master/);
  });
});
