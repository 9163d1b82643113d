// The real lab: 3 Docker engines in network namespaces as a 3-manager swarm, an overlay
// network carrying traffic between nodes, the fault helpers (link down/up, engine killed and
// restarted), and `lab down` leaving nothing behind. Needs root (skips otherwise; fails under CI).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { nodeDocker } from '../../src/lab/engine.js';
import { destroyLab, inspectLab, killNodeEngine, LAB_PROCESS_MATCH, restartNodeEngine, setNodeLink } from '../../src/lab/lab.js';
import { labMounts } from '../../src/lab/mounts.js';
import { forwardRulePresent, labLinks, labNamespaces } from '../../src/lab/network.js';
import { LAB_DATA_ROOT, LAB_RUN_ROOT, nodePlan } from '../../src/lab/plan.js';
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

/** redis-cli PING from a throw-away container on `from` to `host` on the overlay network. */
async function ping(from: typeof node1, host: string, seconds = 3): Promise<string> {
  const r = await docker(from, ['run', '--rm', '--network', NETWORK, IMAGE, 'timeout', String(seconds), 'redis-cli', '-h', host, 'PING']);
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
    const srv1 = await docker(node1, ['run', '--detach', '--name', 'lab-srv1', '--network', NETWORK, IMAGE, 'redis-server', '--protected-mode', 'no']);
    assert.equal(srv1.exitCode, 0, srv1.stderr);
    // node3 resolves a container of node1 by name and talks to it across the overlay
    let t0 = Date.now();
    assert.ok(await waitFor(async () => (await ping(node3, 'lab-srv1')) === 'PONG', 30_000), await ping(node3, 'lab-srv1'));
    t.diagnostic(`node3 -> node1 by name: ${Date.now() - t0} ms`);
    // the address it reached is node1's container's overlay address, not anything local to node3
    const addr = (await docker(node1, ['inspect', '--format', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, 'lab-srv1'])).stdout.trim();
    assert.match(addr, /^10\.79\./, 'overlay addresses come from the lab swarm pool');
    assert.equal(await ping(node3, addr), 'PONG');

    // partition: node3's link down cuts it from node1; up restores it
    const srv3 = await docker(node3, ['run', '--detach', '--name', 'lab-srv3', '--network', NETWORK, IMAGE, 'redis-server', '--protected-mode', 'no']);
    assert.equal(srv3.exitCode, 0, srv3.stderr);
    const addr3 = (await docker(node3, ['inspect', '--format', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, 'lab-srv3'])).stdout.trim();
    assert.ok(await waitFor(async () => (await ping(node1, addr3)) === 'PONG', 30_000), 'node1 reaches node3 before the partition');
    t0 = Date.now();
    await setNodeLink('node3', 'down');
    try {
      assert.notEqual(await ping(node1, addr3, 3), 'PONG', 'node3 must be unreachable with its link down');
      const status = await inspectLab();
      assert.equal(status.nodes.find((n) => n.name === 'node3')?.link, 'down');
      assert.equal(status.healthy, false);
    } finally {
      await setNodeLink('node3', 'up');
    }
    assert.ok(await waitFor(async () => (await ping(node1, addr3)) === 'PONG', 30_000), 'link up restores node1 -> node3');
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

  it('`lab down` leaves no namespace, bridge, veth, iptables rule, mount, process or directory; twice is fine', async (t) => {
    if (!requireLab(t, unavailable)) return;
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
    const status = await runCli(['lab', 'status'], { cwd: REPO_ROOT });
    assert.equal(status.exitCode, 1);
    assert.match(status.stdout, /no lab/);
  });
});
