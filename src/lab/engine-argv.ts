// The command line that starts one node's Docker engine (pure: argv arrays, never a shell
// string built from input; the only shell script is the fixed one below, fed by "$@").
import { LAB_HOST_ADDRESS, type LabNodePlan } from './plan.js';

/** A program and its arguments. */
export interface Argv {
  file: string;
  args: string[];
}

// Runs inside the node's new UTS + mount namespaces, before exec'ing dockerd:
// - its own hostname, so the swarm node is called nodeI;
// - its own /etc/docker (key.json = engine ID, daemon.json), bound over the host's only in
//   this mount namespace. mkdir is a no-op where docker.io is installed (it ships the dir).
// The mount namespace is a slave of the host's: the engine's overlay and netns mounts never
// show up on the host, and vanish with the engine's last process (nothing to unmount).
const NODE_INIT_SCRIPT = 'hostname "$1" && mkdir -p /etc/docker && mount --bind "$2" /etc/docker && shift 2 && exec "$@"';

/** dockerd's flags for one node: every root, socket and address range its own. */
export function dockerdArgs(node: LabNodePlan): string[] {
  return [
    '--config-file', node.configFile,
    '--data-root', node.dockerDataRoot,
    '--exec-root', node.execRoot,
    '--host', node.dockerHost,
    '--pidfile', node.pidFile,
    // dockerd starts its own containerd under --exec-root (socket, state) and --data-root.
    // iptables stays on: the rules land in the node's network namespace, not the host's.
    '--bip', node.bip,
    '--default-address-pool', node.addressPool,
    // no docker-proxy process per published port: fewer processes to find at teardown
    '--userland-proxy=false',
    '--cgroup-parent', node.cgroupParent,
    // The host's resolver is out of reach from the namespaces: every name the embedded DNS does
    // not know (a service whose task is not healthy yet, a registry) waited 10-20 s for it.
    // The lab's own resolver on the host address answers NXDOMAIN at once (nxdomain.ts).
    '--dns', LAB_HOST_ADDRESS,
  ];
}

/**
 * nsenter into the node's network namespace (not `ip netns exec`: it remounts /sys and dockerd
 * then fails with "Devices cgroup isn't mounted"), new UTS and mount namespaces, then dockerd.
 */
export function engineArgv(node: LabNodePlan): Argv {
  return {
    file: 'nsenter',
    args: [
      `--net=/var/run/netns/${node.netns}`,
      'unshare', '--uts', '--mount', '--propagation', 'slave',
      'sh', '-c', NODE_INIT_SCRIPT, 'lab-node-init', node.name, node.etcDir,
      // Swarm tasks try to pull their image even when it is local (a registry timeout each
      // start, no registry here): prefer the local image, as `docker run` does.
      'env', 'DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1',
      'dockerd', ...dockerdArgs(node),
    ],
  };
}

/** `docker -H <node socket> ...args` */
export function dockerArgv(node: Pick<LabNodePlan, 'dockerHost'>, args: string[]): Argv {
  return { file: 'docker', args: ['--host', node.dockerHost, ...args] };
}
