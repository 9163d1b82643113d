// The real lab: 3 Docker engines in network namespaces as a 3-manager swarm, an overlay
// network carrying traffic between nodes, the fault helpers (link down/up, engine killed and
// restarted), and `lab down` leaving nothing behind. Needs root (skips otherwise; fails under CI).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { nodeDocker } from '../../src/lab/engine.js';
import { destroyLab, inspectLab, killNodeEngine, LAB_PROCESS_MATCH, restartNodeEngine, setNodeLink } from '../../src/lab/lab.js';
import { labMounts } from '../../src/lab/mounts.js';
import { forwardRulePresent, labLinks, labNamespaces } from '../../src/lab/network.js';
import { LAB_DATA_ROOT, LAB_RUN_ROOT, LAB_STATE_FILE, nodePlan } from '../../src/lab/plan.js';
import { alive, findProcesses } from '../../src/lab/processes.js';
import { parseNodeLs, swarmNodes } from '../../src/lab/swarm.js';
import { waitFor } from '../helpers/binaries.js';
import { runCli } from '../helpers/docker.js';
import { labUnavailable, requireLab } from '../helpers/lab.js';
import { REPO_ROOT } from '../helpers/repo.js';

const IMAGE = 'redis-ha-local/redis:7.0';
const NETWORK = 'rha-labtest';
const [node1, node2, node3] = [nodePlan(1), nodePlan(2), nodePlan(3)];

const docker = async (node: typeof node1, args: string[], timeoutMs = 60_000) => nodeDocker(node, args, timeoutMs);

/** redis-cli PING from the long-running container `from` (on its node) to `host` over the overlay network. */
async function ping(from: [typeof node1, string], host: string, seconds = 3): Promise<string> {
  const r = await docker(from[0], ['exec', from[1], 'timeout', String(seconds), 'redis-cli', '-h', host, 'PING']);
  return r.stdout.trim() || `(exit ${r.exitCode}) ${r.stderr.trim()}`;
}

describe('lab (3 engines in network namespaces, one swarm)', { timeout: 600_000 }, () => {
  let unavailable: string | undefined;
  let upResult = { exitCode: -1, stdout: '', stderr: 'lab up did not run' };

  before(async () => {
    unavailable = await labUnavailable();
    if (unavailable) return;
    upResult = await runCli(['lab', 'up', '--nodes', '3', '--image', IMAGE, '--json'], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  });

  // Torn down even when a test failed (and again harmlessly when the last test already did).
  after(async () => {
    if (!unavailable) await destroyLab();
  });

  it('`lab up --nodes 3` forms a swarm of 3 Ready managers with one leader', async (t) => {
    if (!requireLab(t, unavailable)) return;
    assert.equal(upResult.exitCode, 0, upResult.stdout + upResult.stderr);
    const up = JSON.parse(upResult.stdout);
    assert.equal(up.nodes.length, 3);
    assert.deepEqual(up.nodeHosts, [1, 2, 3].map((i) => `node${i}=unix:///run/redis-ha-lab/node${i}/docker.sock`));
    t.diagnostic(`lab up: ${JSON.stringify(up.timings)} s`);

    const ls = await docker(node1, ['node', 'ls', '--format', '{{json .}}']);
    const nodes = parseNodeLs(ls.stdout);
    assert.deepEqual(nodes.map((n) => n.hostname), ['node1', 'node2', 'node3']);
    assert.ok(nodes.every((n) => n.status === 'Ready' && n.availability === 'Active'), ls.stdout);
    assert.equal(nodes.filter((n) => n.managerStatus === 'Leader').length, 1, ls.stdout);
    assert.equal(nodes.filter((n) => n.managerStatus === 'Reachable').length, 2, ls.stdout);
    // each engine has its own identity and sees only its own containers
    const names = await Promise.all([node1, node2, node3].map(async (n) => (await docker(n, ['info', '--format', '{{.Name}} {{.ID}}'])).stdout.trim()));
    assert.deepEqual(names.map((s) => s.split(' ')[0]), ['node1', 'node2', 'node3']);
    assert.equal(new Set(names.map((s) => s.split(' ')[1])).size, 3, `engine IDs: ${names.join(', ')}`);

    const status = await runCli(['lab', 'status', '--json'], { cwd: REPO_ROOT });
    assert.equal(status.exitCode, 0, status.stdout + status.stderr);
    assert.equal(JSON.parse(status.stdout).leader, 'node1');

    const again = await runCli(['lab', 'up', '--nodes', '3', '--image', IMAGE, '--json'], { cwd: REPO_ROOT, timeoutMs: 300_000 });
    assert.equal(again.exitCode, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).alreadyUp, true, 'a healthy lab is kept as it is');
  });

  it('an attachable overlay network carries traffic between a container on node1 and one on node3', async (t) => {
    if (!requireLab(t, unavailable)) return;
    t.after(async () => {
      for (const [node, name] of [[node1, 'lab-srv1'], [node3, 'lab-srv3']] as const) await docker(node, ['rm', '--force', name]);
      await docker(node1, ['network', 'rm', NETWORK]);
    });
    const net = await docker(node1, ['network', 'create', '--driver', 'overlay', '--attachable', NETWORK]);
    assert.equal(net.exitCode, 0, net.stderr);
    // Long-running containers, one per node; every probe is a `docker exec` in them (a
    // `docker run` on the overlay needs the managers, which a partition disturbs).
    for (const [node, name] of [[node1, 'lab-srv1'], [node3, 'lab-srv3']] as const) {
      const r = await docker(node, ['run', '--detach', '--name', name, '--network', NETWORK, IMAGE, 'redis-server', '--protected-mode', 'no']);
      assert.equal(r.exitCode, 0, r.stderr);
    }
    const from1: [typeof node1, string] = [node1, 'lab-srv1'];
    const from3: [typeof node1, string] = [node3, 'lab-srv3'];
    // node3 resolves a container of node1 by name and talks to it across the overlay, and back
    let t0 = Date.now();
    assert.ok(await waitFor(async () => (await ping(from3, 'lab-srv1')) === 'PONG', 30_000), await ping(from3, 'lab-srv1'));
    assert.ok(await waitFor(async () => (await ping(from1, 'lab-srv3')) === 'PONG', 30_000), await ping(from1, 'lab-srv3'));
    t.diagnostic(`node1 <-> node3 by name: ${Date.now() - t0} ms`);
    // what node3 reached is node1's container's overlay address, not anything local to node3
    const addr1 = (await docker(node1, ['inspect', '--format', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, 'lab-srv1'])).stdout.trim();
    assert.match(addr1, /^10\.79\./, 'overlay addresses come from the lab swarm pool');
    assert.equal(await ping(from3, addr1), 'PONG');
    const local3 = await docker(node3, ['exec', 'lab-srv3', 'hostname', '-i']);
    assert.ok(!local3.stdout.includes(addr1), `node3's container has its own address (${local3.stdout.trim()})`);

    // partition: node3's link down cuts it from node1; up restores it
    t0 = Date.now();
    await setNodeLink('node3', 'down');
    try {
      assert.notEqual(await ping(from1, 'lab-srv3', 3), 'PONG', 'node3 must be unreachable from node1 with its link down');
      assert.notEqual(await ping(from3, 'lab-srv1', 3), 'PONG', 'and node1 from node3');
      const status = await inspectLab();
      assert.equal(status.nodes.find((n) => n.name === 'node3')?.link, 'down');
      assert.equal(status.healthy, false);
    } finally {
      await setNodeLink('node3', 'up');
    }
    assert.ok(await waitFor(async () => (await ping(from1, 'lab-srv3')) === 'PONG', 120_000), 'link up restores node1 -> node3 (within 120 s)');
    t.diagnostic(`partition and heal: ${Date.now() - t0} ms`);
  });

  it('killNodeEngine takes node3 down with its containers; restartNodeEngine brings it back Ready', async (t) => {
    if (!requireLab(t, unavailable)) return;
    t.after(async () => void (await docker(node3, ['rm', '--force', 'lab-victim'])));
    const run = await docker(node3, ['run', '--detach', '--name', 'lab-victim', IMAGE, 'redis-server']);
    assert.equal(run.exitCode, 0, run.stderr);
    const containerPid = Number((await docker(node3, ['inspect', '--format', '{{.State.Pid}}', 'lab-victim'])).stdout.trim());
    assert.ok(containerPid > 0 && (await alive(containerPid)));

    const killed = await killNodeEngine('node3');
    assert.ok(killed.includes(containerPid), `the container process ${containerPid} is killed with the engine (killed: ${killed.join(' ')})`);
    assert.equal(await alive(containerPid), false);
    assert.equal((await docker(node3, ['info'], 5000)).exitCode === 0, false, "node3's engine no longer answers");
    // the other two managers keep the quorum and see node3 go away
    assert.ok(
      await waitFor(async () => (await swarmNodes(node1).catch(() => [])).some((n) => n.hostname === 'node3' && n.managerStatus === 'Unreachable'), 30_000),
      'node1 sees node3 Unreachable',
    );
    assert.equal((await docker(node2, ['node', 'ls'])).exitCode, 0, 'node1 + node2 still have a quorum');

    await restartNodeEngine('node3');
    assert.ok(
      await waitFor(async () => (await inspectLab()).healthy, 60_000),
      `the lab is healthy again: ${(await inspectLab()).problems.join('; ')}`,
    );
  });

  it('`lab up` on a half-built lab (an engine gone) tears it down and builds it again', async (t) => {
    if (!requireLab(t, unavailable)) return;
    await killNodeEngine('node2');
    const r = await runCli(['lab', 'up', '--nodes', '3', '--image', IMAGE, '--json'], { cwd: REPO_ROOT, timeoutMs: 300_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    const up = JSON.parse(r.stdout);
    assert.equal(up.alreadyUp, false);
    assert.equal(up.attempts, 1);
    const status = await inspectLab();
    assert.ok(status.healthy, status.problems.join('; '));
  });

  it('`lab down` after a crash that lost the state file leaves no namespace, bridge, veth, iptables rule, mount, process or directory; twice is fine', async (t) => {
    if (!requireLab(t, unavailable)) return;
    await rm(LAB_STATE_FILE);
    const status = await runCli(['lab', 'status'], { cwd: REPO_ROOT });
    assert.equal(status.exitCode, 1);
    assert.match(status.stdout, /no state file, but lab resources exist .*netns rha-lab1/);
    const down = await runCli(['lab', 'down', '--json'], { cwd: REPO_ROOT, timeoutMs: 120_000 });
    assert.equal(down.exitCode, 0, down.stderr);
    t.diagnostic(`lab down: ${JSON.parse(down.stdout).seconds} s`);
    assert.deepEqual(await labNamespaces(), []);
    assert.deepEqual(await labLinks(), []);
    assert.equal(await forwardRulePresent(), false);
    assert.deepEqual(await labMounts(), []);
    assert.deepEqual(await findProcesses(LAB_PROCESS_MATCH), []);
    assert.equal(existsSync(LAB_DATA_ROOT) || existsSync(LAB_RUN_ROOT), false);
    const again = await runCli(['lab', 'down'], { cwd: REPO_ROOT });
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stdout, /no lab found/);
    const after = await runCli(['lab', 'status'], { cwd: REPO_ROOT });
    assert.equal(after.exitCode, 1);
    assert.match(after.stdout, /no lab: run `redis-ha lab up`/);
  });
});
