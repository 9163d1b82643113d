// The lab's pure parts: the address/path plan, the engine's argv, the network steps, the
// state file, `docker node ls` parsing, process selection from /proc and mountinfo parsing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerdArgs, engineArgv } from '../../src/lab/engine-argv.js';
import { nodeProcessMatch } from '../../src/lab/engine.js';
import { LAB_PROCESS_MATCH } from '../../src/lab/lab.js';
import { parseMountPoints } from '../../src/lab/mounts.js';
import { bridgeSetupSteps, nodeNetworkSteps, parseLinkNames, setLinkArgv } from '../../src/lab/network.js';
import { checkNodeCount, labPlan, nodeHostFlags, nodeIndex, nodePlan } from '../../src/lab/plan.js';
import { checkLabHost, missingProgramsError } from '../../src/lab/preflight.js';
import { selectProcesses, selfAndAncestors, type ProcessInfo } from '../../src/lab/processes.js';
import { newLabState, nodeStateFrom, parseLabState } from '../../src/lab/state.js';
import { isReadyManager, parseNodeLs, swarmInitArgs, swarmJoinArgs } from '../../src/lab/swarm.js';
import { EXIT, RedisHaError } from '../../src/errors.js';

describe('lab plan', () => {
  it('gives node I the address 10.77.0.1I, its namespace, veth, socket and roots', () => {
    const plan = labPlan(3);
    assert.deepEqual(plan.map((n) => n.address), ['10.77.0.11', '10.77.0.12', '10.77.0.13']);
    assert.deepEqual(plan.map((n) => n.name), ['node1', 'node2', 'node3']);
    const n2 = plan[1]!;
    assert.equal(n2.netns, 'rha-lab2');
    assert.equal(n2.veth, 'rha-veth2');
    assert.equal(n2.dockerHost, 'unix:///run/redis-ha-lab/node2/docker.sock');
    assert.equal(n2.dataRoot, '/var/lib/redis-ha-lab/node2');
    assert.equal(n2.runRoot, '/run/redis-ha-lab/node2');
    assert.deepEqual(nodeHostFlags(plan), plan.map((n) => `${n.name}=unix:///run/redis-ha-lab/${n.name}/docker.sock`));
  });

  it('accepts 1..7 nodes and refuses anything else as bad input (exit 2)', () => {
    assert.equal(checkNodeCount(1), 1);
    assert.equal(labPlan(7).length, 7);
    for (const bad of [0, 8, 2.5, Number.NaN, -1]) {
      assert.throws(() => checkNodeCount(bad), (e: RedisHaError) => e.exitCode === EXIT.usage && /1 to 7/.test(e.message));
    }
  });

  it('keeps every path and address range apart between nodes, and interface names within 15 characters', () => {
    const plan = labPlan(7);
    for (const key of ['address', 'socket', 'dataRoot', 'runRoot', 'execRoot', 'pidFile', 'bip', 'addressPool', 'cgroupParent', 'netns', 'veth'] as const) {
      assert.equal(new Set(plan.map((n) => n[key])).size, 7, key);
    }
    for (const n of plan) assert.ok(n.veth.length <= 15 && n.netns.length <= 15);
    // docker0 of node I is 10.77.I.1/24: never the lab link 10.77.0.0/24
    assert.ok(plan.every((n) => !n.bip.startsWith('10.77.0.')));
  });

  it('maps node names to indexes, and nothing else', () => {
    assert.equal(nodeIndex('node3'), 3);
    for (const bad of ['node0', 'node8', 'node10', 'Node1', 'node1 ', '../node1']) assert.equal(nodeIndex(bad), undefined, bad);
  });
});

describe('lab engine argv', () => {
  it('enters the netns with nsenter (not `ip netns exec`), new UTS + mount namespaces, then dockerd', () => {
    const { file, args } = engineArgv(nodePlan(2));
    assert.equal(file, 'nsenter');
    assert.equal(args[0], '--net=/var/run/netns/rha-lab2');
    assert.deepEqual(args.slice(1, 6), ['unshare', '--uts', '--mount', '--propagation', 'slave']);
    assert.ok(!args.includes('netns'), 'not `ip netns exec`');
    const sh = args.indexOf('sh');
    assert.equal(args[sh + 1], '-c');
    // hostname and /etc/docker come in as "$1" "$2", never spliced into the script
    assert.deepEqual(args.slice(sh + 3, sh + 6), ['lab-node-init', 'node2', '/var/lib/redis-ha-lab/node2/etc-docker']);
    assert.ok(!args[sh + 2]!.includes('node2'));
    // local images are used by swarm tasks without a registry round-trip first
    assert.deepEqual(args.slice(sh + 6, sh + 9), ['env', 'DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1', 'dockerd']);
  });

  it("gives dockerd the node's own roots, socket, pidfile, config, address ranges and cgroup parent", () => {
    const a = dockerdArgs(nodePlan(3));
    const flag = (name: string) => a[a.indexOf(name) + 1];
    assert.equal(flag('--data-root'), '/var/lib/redis-ha-lab/node3/docker');
    assert.equal(flag('--exec-root'), '/run/redis-ha-lab/node3/exec');
    assert.equal(flag('--host'), 'unix:///run/redis-ha-lab/node3/docker.sock');
    assert.equal(flag('--pidfile'), '/run/redis-ha-lab/node3/docker.pid');
    assert.equal(flag('--config-file'), '/var/lib/redis-ha-lab/node3/etc-docker/daemon.json');
    assert.equal(flag('--bip'), '10.77.3.1/24');
    assert.equal(flag('--default-address-pool'), 'base=10.78.48.0/20,size=24');
    assert.equal(flag('--cgroup-parent'), '/redis-ha-lab-node3');
    assert.ok(a.includes('--userland-proxy=false'));
    // unknown names fail at once (nothing answers DNS there) instead of timing out on the host's resolver
    assert.equal(flag('--dns'), '10.77.0.1');
    assert.ok(!a.some((x) => x.startsWith('tcp://')), 'no TCP listener');
  });
});

describe('lab network steps', () => {
  it('creates the bridge with 10.77.0.1/24 and inserts the bridge-to-bridge FORWARD rule', () => {
    const steps = bridgeSetupSteps().map((s) => [s.file, ...s.args].join(' '));
    assert.deepEqual(steps, [
      'ip link add rha-lab0 type bridge',
      'ip addr add 10.77.0.1/24 dev rha-lab0',
      'ip link set rha-lab0 up',
      'iptables -I FORWARD -i rha-lab0 -o rha-lab0 -j ACCEPT',
    ]);
  });

  it('creates the namespace, a veth on the bridge, eth0 10.77.0.1I/24 and lo up in the namespace', () => {
    const steps = nodeNetworkSteps(nodePlan(1)).map((s) => [s.file, ...s.args].join(' '));
    assert.equal(steps[0], 'ip netns add rha-lab1');
    assert.ok(steps.includes('ip link add rha-veth1 type veth peer name eth0 netns rha-lab1'));
    assert.ok(steps.includes('ip link set rha-veth1 master rha-lab0'));
    assert.ok(steps.includes('ip -n rha-lab1 addr add 10.77.0.11/24 dev eth0'));
    assert.ok(steps.includes('ip -n rha-lab1 link set lo up'));
    assert.ok(steps.includes('ip -n rha-lab1 link set eth0 up'));
    assert.deepEqual(setLinkArgv(nodePlan(3), 'down'), { file: 'ip', args: ['link', 'set', 'rha-veth3', 'down'] });
  });

  it('reads link names from `ip -o link show`', () => {
    const text = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN',
      '7: rha-lab0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP',
      '9: rha-veth1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue master rha-lab0',
    ].join('\n');
    assert.deepEqual(parseLinkNames(text), ['lo', 'rha-lab0', 'rha-veth1']);
  });
});

describe('lab state file', () => {
  const state = () => newLabState(labPlan(2).map((p, i) => nodeStateFrom(p, { dockerd: 100 + i, containerd: 200 + i })), ['redis-ha-local/redis:7.0'], new Date('2026-01-01T00:00:00Z'));

  it('round-trips through JSON', () => {
    const s = state();
    assert.deepEqual(parseLabState(JSON.stringify(s)), s);
    assert.equal(s.manager, 'node1');
    assert.equal(s.nodes[1]!.socket, '/run/redis-ha-lab/node2/docker.sock');
  });

  it('refuses text that is not JSON, a missing field, an unknown key, and a node that does not match the plan', () => {
    assert.throws(() => parseLabState('{'), /not JSON/);
    const s = state() as Record<string, unknown>;
    const { nodes: _nodes, ...noNodes } = s;
    assert.throws(() => parseLabState(JSON.stringify(noNodes)), /nodes: Required/);
    assert.throws(() => parseLabState(JSON.stringify({ ...s, extra: 1 })), /Unrecognized key/);
    const moved = state();
    moved.nodes[1]!.socket = '/tmp/docker.sock';
    assert.throws(() => parseLabState(JSON.stringify(moved)), /node2 does not match the lab plan/);
  });
});

describe('lab swarm', () => {
  it('parses `docker node ls --format {{json .}}` and tells Ready managers', () => {
    const text = [
      '{"Availability":"Active","EngineVersion":"20.10.24","Hostname":"node2","ID":"b","ManagerStatus":"Reachable","Self":false,"Status":"Ready","TLSStatus":"Ready"}',
      '{"Availability":"Active","EngineVersion":"20.10.24","Hostname":"node1","ID":"a","ManagerStatus":"Leader","Self":true,"Status":"Ready","TLSStatus":"Ready"}',
      '{"Availability":"Active","EngineVersion":"20.10.24","Hostname":"node3","ID":"c","ManagerStatus":"Unreachable","Self":false,"Status":"Down","TLSStatus":"Ready"}',
      '',
    ].join('\n');
    const nodes = parseNodeLs(text);
    assert.deepEqual(nodes.map((n) => n.hostname), ['node1', 'node2', 'node3']);
    assert.equal(nodes[0]!.self, true);
    assert.deepEqual(nodes.map(isReadyManager), [true, true, false]);
    assert.equal(isReadyManager({ ...nodes[1]!, managerStatus: '' }), false, 'a worker is not a manager');
  });

  it('inits on the node address with overlay pools off the lab subnet, joins with the manager address', () => {
    const init = swarmInitArgs(nodePlan(1));
    assert.equal(init[init.indexOf('--advertise-addr') + 1], '10.77.0.11');
    assert.equal(init[init.indexOf('--default-addr-pool') + 1], '10.79.0.0/16');
    const join = swarmJoinArgs(nodePlan(3), nodePlan(1), 'SWMTKN-x');
    assert.deepEqual(join.slice(-1), ['10.77.0.11:2377']);
    assert.equal(join[join.indexOf('--advertise-addr') + 1], '10.77.0.13');
  });
});

describe('lab processes', () => {
  const p = (pid: number, ppid: number, args: string[], extra: Partial<ProcessInfo> = {}): ProcessInfo => ({ pid, ppid, state: 'S', args, cwd: '/', cgroup: '0::/\n', ...extra });
  const procs = [
    p(1, 0, ['/sbin/init']),
    p(10, 1, ['dockerd', '--data-root', '/var/lib/docker']), // the host engine
    p(11, 10, ['containerd', '--config', '/var/run/docker/containerd/containerd.toml']),
    p(20, 1, ['dockerd', '--data-root', '/var/lib/redis-ha-lab/node1/docker']),
    p(21, 20, ['containerd', '--config', '/run/redis-ha-lab/node1/exec/containerd/containerd.toml']),
    p(22, 1, ['containerd-shim-runc-v2', '-id', 'x'], { cwd: '/run/redis-ha-lab/node1/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/x' }),
    p(23, 22, ['redis-server', '*:6379']), // container of node1, found as the shim's child
    p(24, 1, ['redis-server', '*:6380'], { cgroup: '4:memory:/redis-ha-lab-node1/abc\n0::/\n' }), // orphaned container, found by cgroup
    p(30, 1, ['dockerd', '--data-root', '/var/lib/redis-ha-lab/node2/docker']),
    p(31, 30, ['containerd'], { state: 'Z' }), // a zombie: already dead
    p(40, 1, ['redis-server', '127.0.0.1:11001']), // another helper's process
    p(41, 1, ['bash'], { cwd: '/run/redis-ha-lab/node1' }), // the caller's shell in a lab dir
    p(42, 41, ['node', 'dist/src/cli.js', 'lab', 'down']),
    p(50, 1, ['cat', '/var/lib/redis-ha-lab-other/x']), // a sibling directory, not a lab root
  ];

  it('finds one node by roots in args or cwd, by cgroup, and their descendants; never the host engine or strangers', () => {
    assert.deepEqual(selectProcesses(procs, nodeProcessMatch(nodePlan(1)), []), [20, 21, 22, 23, 24, 41, 42]);
    assert.deepEqual(selectProcesses(procs, nodeProcessMatch(nodePlan(2)), []), [30]);
  });

  it('spares the caller and its ancestors, and skips zombies', () => {
    const spare = selfAndAncestors(procs, 42);
    assert.deepEqual(spare, [42, 41, 1]);
    assert.deepEqual(selectProcesses(procs, LAB_PROCESS_MATCH, spare), [20, 21, 22, 23, 24, 30]);
  });
});

describe('lab host checks', () => {
  it('reads mount points from mountinfo, decoding octal escapes', () => {
    const text = [
      '22 1 0:21 / /run rw,nosuid - tmpfs tmpfs rw',
      '99 22 0:50 / /run/redis-ha-lab/node1/exec/netns/a\\040b rw - nsfs nsfs rw',
      '',
    ].join('\n');
    assert.deepEqual(parseMountPoints(text), ['/run', '/run/redis-ha-lab/node1/exec/netns/a b']);
  });

  it('says which Debian package provides each missing program', () => {
    const err = missingProgramsError(['ip', 'nsenter', 'unshare', 'dockerd']);
    assert.equal(err.exitCode, EXIT.environment);
    assert.match(err.message, /ip, nsenter, unshare, dockerd/);
    assert.equal(err.hint, '`apt-get install docker.io iproute2 util-linux`'.replace(/^/, 'install them: '));
  });

  it('refuses a non-root user and a non-Linux host with exit 3, before looking for programs', async () => {
    await assert.rejects(checkLabHost({ platform: 'linux', uid: 1000, path: '' }), (e: RedisHaError) => e.exitCode === EXIT.environment && /needs root/.test(e.message));
    await assert.rejects(checkLabHost({ platform: 'darwin', uid: 0, path: '' }), (e: RedisHaError) => e.exitCode === EXIT.environment && /Linux/.test(e.message));
    await assert.rejects(checkLabHost({ platform: 'linux', uid: 0, path: '/nonexistent' }), (e: RedisHaError) => /apt-get install/.test(e.hint ?? ''));
  });
});
