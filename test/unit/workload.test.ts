// The failover workload's `--durability wait` writes: SET and WAIT 1 sent together, and a write
// acknowledged only when both replies came on the same connection (WAIT answers for what its own
// connection wrote). Against a fake master that drops the connection between the two replies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitOutcome, Workload } from '../../src/failover/workload.js';
import { startFakeMaster } from '../helpers/fake-master.js';

describe('workload: durability wait', () => {
  it('waitOutcome: acknowledged only with both replies on one connection and a replica counted', () => {
    assert.deepEqual(waitOutcome(1, 1, 1), { outcome: 'ok' });
    assert.equal(waitOutcome(1, 1, 0).outcome, 'failed');
    const moved = waitOutcome(1, 2, 1);
    assert.equal(moved.outcome, 'indeterminate');
    assert.match(moved.error ?? '', /different connections/);
  });

  it('a WAIT answered after a reconnect does not acknowledge the SET of the connection before', async (t) => {
    const master = await startFakeMaster();
    t.after(() => master.close());
    let now = 0;
    const workload = new Workload(
      [{ via: 'direct', options: { host: '127.0.0.1', port: master.port, retryStrategy: () => 20, maxRetriesPerRequest: 3 } }],
      { rate: 20, durability: 'wait', prefix: 'unit', maxMs: 5000, now: () => now++ },
    );
    await workload.start();
    // Until a write has been answered on a later connection (or the bound).
    for (let i = 0; i < 100 && !workload.ops.some((o) => o.outcome === 'ok'); i++) await new Promise((r) => setTimeout(r, 20));
    await workload.stop();
    assert.ok(master.connections() >= 2, `the client reconnected (${master.connections()} connections)`);
    const first = workload.ops[0]!;
    // Its SET was answered on the first connection, its WAIT (resent) on the second.
    assert.equal(first.outcome, 'indeterminate', JSON.stringify(first));
    assert.match(first.error ?? '', /different connections/);
    assert.ok(workload.ops.some((o) => o.outcome === 'ok'), 'writes on one connection are acknowledged');
  });
});
