// The Swarm runtime: `docker stack deploy` through a manager (DOCKER_HOST or the current
// context), and each node's own engine (runtime/node-hosts.ts) for what only it sees: its
// containers (exec, kill, pause, network disconnect), its volumes, its published ports.
// Containers carry the stack's labels (com.docker.stack.namespace, com.docker.swarm.service.name
// = `<stack>_<service>`); ContainerInfo.service is the role-neutral name, `node` the node.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { EnvironmentError, FailedError } from '../errors.js';
import { LABEL_MANAGED, SWARM_LABELS } from '../labels.js';
import { sleep, waitFor, WaitTimeoutError } from '../wait.js';
import { DockerCli } from './docker.js';
import { engineApiFor } from './engine-api.js';
import { CommandRunner, tail } from './exec.js';
import { nodeEnv, type NodeHosts } from './node-hosts.js';
import type {
  ContainerAction,
  CopyToOptions,
  ContainerInfo,
  ExecOptions,
  HeldPort,
  MultiNodeEngine,
  ProjectLocation,
  ProjectSpec,
  Runtime,
  SwarmNode,
  UpOptions,
} from './runtime.js';

interface NodeInspectJson {
  ID: string;
  Spec: { Labels?: Record<string, string> | null; Availability: string; Role: string };
  Description: { Hostname: string };
  Status: { State: string; Addr: string };
  ManagerStatus?: { Addr?: string };
}

/** Tries of a service write that Swarm refuses as "update out of sequence" (a lost race, retried). */
export const OUT_OF_SEQUENCE_TRIES = 5;

/** Swarm's optimistic-concurrency refusal of a service update (the spec changed since the CLI read it). */
export function isOutOfSequence(output: string): boolean {
  return /update out of sequence/i.test(output);
}

/** `docker stack deploy` argv: local images are used as they are (no registry to resolve digests on). */
export function stackDeployArgv(project: ProjectSpec): string[] {
  return ['stack', 'deploy', '--resolve-image', 'never', '--prune', '-c', project.file, project.name];
}

/** `docker service update --force` argv for re-creating one service's task. */
export function forceUpdateArgv(project: string, service: string): string[] {
  return ['service', 'update', '--force', '--detach', '--quiet', `${project}_${service}`];
}

/** `docker node update` argv adding / removing labels on one node (one call per node). */
export function nodeLabelArgv(node: string, add: string[], remove: string[]): string[] {
  return ['node', 'update', ...add.flatMap((k) => ['--label-add', `${k}=true`]), ...remove.flatMap((k) => ['--label-rm', k]), node];
}

/** The role-neutral service of a swarm container: `<stack>_redis-1` -> `redis-1`. */
export function stackService(project: string, serviceLabel: string): string {
  return serviceLabel.startsWith(`${project}_`) ? serviceLabel.slice(project.length + 1) : serviceLabel;
}


export class SwarmRuntime implements Runtime, MultiNodeEngine {
  private runner: CommandRunner;
  private manager: DockerCli;
  /** Runners replaced by useManagerOtherThan (their children are still ended by killChildren). */
  private readonly formerRunners: CommandRunner[] = [];
  private readonly nodeClis = new Map<string, { runner: CommandRunner; docker: DockerCli }>();
  /** container id -> node, learnt from every listing. */
  private readonly where = new Map<string, string>();
  /** container id -> its stack and service. */
  private readonly tasks = new Map<string, { project: string; service: string }>();
  /** The last containers listed (status and probes ask which node runs a floating service). */
  private last: ContainerInfo[] = [];
  /** Nodes whose engine did not answer the last listing. */
  unreachable: string[] = [];

  constructor(
    private readonly env: Record<string, string | undefined>,
    private hosts: NodeHosts,
  ) {
    this.runner = new CommandRunner(env);
    this.manager = new DockerCli(this.runner, SWARM_LABELS, env.DOCKER_HOST, engineApiFor(env));
  }

  /** Its multi-node part is itself: one object, so every call shares the nodes' engines and what was listed. */
  get multiNode(): MultiNodeEngine {
    return this;
  }

  /** The engines of the nodes, as given (recorded at deploy). */
  get nodeHosts(): NodeHosts {
    return { ...this.hosts };
  }

  setNodeHosts(hosts: NodeHosts): void {
    this.hosts = { ...this.hosts, ...hosts };
    this.nodeClis.clear();
  }

  killChildren(): number {
    let killed = this.runner.killAll();
    for (const runner of this.formerRunners) killed += runner.killAll();
    for (const { runner } of this.nodeClis.values()) killed += runner.killAll();
    return killed;
  }

  /** The docker CLI of one node's engine. */
  private node(name: string): DockerCli {
    let cli = this.nodeClis.get(name);
    if (!cli) {
      const env = nodeEnv(this.env, this.hosts, name);
      const runner = new CommandRunner(env);
      cli = { runner, docker: new DockerCli(runner, SWARM_LABELS, env.DOCKER_HOST ?? `(context ${name})`, engineApiFor(env)) };
      this.nodeClis.set(name, cli);
    }
    return cli.docker;
  }


  /**
   * Before a fault that takes `node`'s engine or link away: when the manager redis-ha talks to
   * is that node, talk to the swarm through the first other node (by --node-host) whose engine
   * is a manager with the swarm's control plane. Returns the node switched to, or undefined
   * when no switch was needed. Fails when no other manager answers.
   */
  async useManagerOtherThan(node: string): Promise<string | undefined> {
    const current = await this.runner.run('docker', ['info', '--format', '{{.Name}}']);
    if (current.exitCode === 0 && current.stdout.trim() !== node) return undefined;
    for (const other of Object.keys(this.hosts).sort()) {
      if (other === node) continue;
      const env = nodeEnv(this.env, this.hosts, other);
      const runner = new CommandRunner(env);
      const r = await runner.run('docker', ['info', '--format', '{{.Name}} {{.Swarm.ControlAvailable}}']);
      if (r.exitCode !== 0 || r.stdout.trim() !== `${other} true`) continue;
      this.formerRunners.push(this.runner);
      this.runner = runner;
      this.manager = new DockerCli(runner, SWARM_LABELS, env.DOCKER_HOST, engineApiFor(env));
      return other;
    }
    throw new EnvironmentError(
      `the manager redis-ha talks to runs on ${node}, and no other node given with --node-host is a swarm manager that answers`,
      'give the engine of another manager: --node-host NODE=DOCKER_HOST',
    );
  }

  private managerDocker(args: string[], what: string, cwd?: string) {
    return this.runner.runChecked('docker', args, what, { cwd });
  }

  /**
   * A write to services (stack deploy, service update / scale), retried while Swarm answers
   * "update out of sequence": its optimistic concurrency check, which a write loses when the
   * service object changed between the CLI's read and its write. The orchestrator itself
   * bumps a service's version when it records an update's progress, so a write right after
   * an earlier update can lose the race with nothing wrong. Each retry reads the spec again.
   */
  private async managerWrite(args: string[], what: string, cwd?: string) {
    for (let attempt = 1; ; attempt++) {
      const r = await this.runner.run('docker', args, { cwd });
      if (r.exitCode === 0) return r;
      const output = r.stderr || r.stdout;
      if (!isOutOfSequence(output) || attempt >= OUT_OF_SEQUENCE_TRIES) {
        throw new FailedError(`${what} failed (exit ${r.exitCode}): ${tail(output, 12)}`);
      }
      await sleep(250 * attempt);
    }
  }

  checkEngine() {
    return this.manager.checkEngine();
  }

  /** Never: the stack file format (3.8) has no start_interval, and stacks carry no container healthchecks (synth/stack.ts). */
  async healthcheckStartInterval(): Promise<boolean> {
    return false;
  }

  /** The swarm as the manager sees it; fails when this engine is no manager of an active swarm. */
  async swarmState(): Promise<{ state: string; controlAvailable: boolean; nodeId: string }> {
    const r = await this.runner.run('docker', ['info', '--format', '{{json .Swarm}}']);
    let swarm: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string } = {};
    try {
      swarm = JSON.parse(r.stdout || '{}');
    } catch {
      /* below */
    }
    return { state: swarm.LocalNodeState ?? 'unknown', controlAvailable: Boolean(swarm.ControlAvailable), nodeId: swarm.NodeID ?? '' };
  }

  async checkTool(): Promise<{ name: string }> {
    const s = await this.swarmState();
    const host = this.env.DOCKER_HOST ? `DOCKER_HOST=${this.env.DOCKER_HOST}` : 'the current Docker context';
    if (s.state !== 'active') {
      throw new EnvironmentError(`the engine at ${host} is not part of an active swarm (state ${s.state})`, 'point DOCKER_HOST at a swarm manager (`docker swarm init`, or `redis-ha lab up` for a lab)');
    }
    if (!s.controlAvailable) {
      throw new EnvironmentError(`the engine at ${host} is a swarm worker, not a manager: it cannot deploy stacks`, 'point DOCKER_HOST at a manager (`docker node ls` works there)');
    }
    return { name: 'swarm' };
  }

  async toolVersion(): Promise<string> {
    return (await this.manager.checkEngine()).serverVersion;
  }

  /** Every node of the swarm, sorted by hostname. */
  async nodes(): Promise<SwarmNode[]> {
    const ids = (await this.managerDocker(['node', 'ls', '-q'], 'listing swarm nodes')).stdout.split('\n').filter(Boolean);
    if (!ids.length) return [];
    const raw = JSON.parse((await this.managerDocker(['node', 'inspect', ...ids], 'inspecting swarm nodes')).stdout) as NodeInspectJson[];
    return raw
      .map((n) => ({
        id: n.ID,
        hostname: n.Description.Hostname,
        // A manager's Status.Addr may be 0.0.0.0 on some versions: its ManagerStatus has the advertised one.
        address: n.Status.Addr && n.Status.Addr !== '0.0.0.0' ? n.Status.Addr : (n.ManagerStatus?.Addr ?? '').replace(/:\d+$/, ''),
        state: n.Status.State,
        availability: n.Spec.Availability,
        manager: n.Spec.Role === 'manager',
        labels: n.Spec.Labels ?? {},
      }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname, 'en', { numeric: true }));
  }

  /**
   * The current task container of each service (HAProxy: each running replica) on every node
   * whose engine answers; the others are listed in `unreachable`. Swarm keeps the containers of
   * earlier tasks: a running one wins, else the newest. An exited task shows as `restarting`:
   * Swarm replaces it (restart_policy any), as Compose restarts a container.
   */
  async containers(project: string): Promise<ContainerInfo[]> {
    const all = await this.allContainers(project);
    const current: ContainerInfo[] = [];
    for (const service of new Set(all.map((c) => c.service))) {
      const tasks = all.filter((c) => c.service === service);
      const running = tasks.filter((c) => c.state === 'running' || c.state === 'paused');
      if (running.length) current.push(...running);
      else {
        const newest = tasks.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''))[0]!;
        current.push(newest.state === 'exited' ? { ...newest, state: 'restarting' } : newest);
      }
    }
    this.last = current;
    return current;
  }

  /** Every container of the stack, earlier tasks' too, on every node whose engine answers. */
  async allContainers(project: string): Promise<ContainerInfo[]> {
    const nodes = await this.nodes();
    const unreachable: string[] = [];
    const lists = await Promise.all(
      nodes.map(async (n) => {
        try {
          return this.tag(project, n.hostname, await this.node(n.hostname).containersByLabel(`${SWARM_LABELS.project}=${project}`));
        } catch {
          unreachable.push(n.hostname);
          return [];
        }
      }),
    );
    this.unreachable = unreachable.sort();
    return lists.flat().sort((a, b) => a.service.localeCompare(b.service, 'en', { numeric: true }) || a.node!.localeCompare(b.node!));
  }

  private tag(project: string, node: string, list: ContainerInfo[]): ContainerInfo[] {
    return list.map((c) => {
      this.where.set(c.id, node);
      const service = stackService(project || c.project, c.service);
      this.tasks.set(c.id, { project: project || c.project, service });
      return { ...c, service, node };
    });
  }

  /**
   * The node running a container: learnt from listings, else asked of every node's engine (an
   * id handed in before this runtime listed the deployment, e.g. by another runtime's listing).
   */
  private async nodeOf(id: string): Promise<string> {
    const node = this.where.get(id) ?? (await this.locate([id]))[0]?.node;
    if (!node) throw new FailedError(`container ${id.slice(0, 12)} is on no swarm node whose engine answers`, 'list the deployment again (`redis-ha status`)');
    return node;
  }

  /** Asks every node's engine for the containers not seen in a listing yet (tag() records where each runs). */
  private async locate(ids: string[]): Promise<ContainerInfo[]> {
    const unknown = ids.filter((id) => !this.where.has(id));
    if (!unknown.length) return [];
    const nodes = await this.nodes();
    const lists = await Promise.all(nodes.map(async (n) => this.tag('', n.hostname, await this.node(n.hostname).inspect(unknown).catch(() => []))));
    return lists.flat();
  }

  /** The stack and service of a task container (a listing, else its labels on its node). */
  private async taskOf(id: string): Promise<{ project: string; service: string }> {
    const task = this.tasks.get(id) ?? (await this.locate([id]).then(() => this.tasks.get(id)));
    if (!task) throw new FailedError(`container ${id.slice(0, 12)} is on no swarm node whose engine answers`, 'list the deployment again (`redis-ha status`)');
    return task;
  }

  /** Where a service's task runs now, from the last listing: running ones first. */
  nodesRunning(service: string): string[] {
    return this.last.filter((c) => c.service === service && c.state === 'running').map((c) => c.node!);
  }

  async inspect(ids: string[]): Promise<ContainerInfo[]> {
    const byNode = new Map<string, string[]>();
    for (const id of ids) {
      const node = this.where.get(id);
      if (node) byNode.set(node, [...(byNode.get(node) ?? []), id]);
    }
    const [located, ...lists] = await Promise.all([
      this.locate(ids),
      ...[...byNode].map(async ([node, list]) => this.tag('', node, await this.node(node).inspect(list).catch(() => []))),
    ]);
    return [...lists.flat(), ...located!];
  }

  async exec(id: string, argv: string[], options?: ExecOptions) {
    return this.node(await this.nodeOf(id)).exec(id, argv, options);
  }

  /**
   * Fault injection and healing through the container's node. `start` is Swarm's job: it
   * replaces a killed or stopped task with a new container (restart_policy any); starting the
   * old one too would run two copies of the service on one volume. So `start` waits until the
   * service has a running task again (60 s). `restart` is Swarm's too: a `docker restart` of a
   * task container brings the old container back beside the replacement Swarm starts, which
   * then fails to bind the published port until Swarm kills the old one (40 s seen in the lab).
   * Here it is a forced service update (graceful stop, new task on the same node and volume),
   * waited for until the new task runs.
   */
  async containerAction(action: ContainerAction, id: string, options?: { graceSeconds?: number; signal?: string }): Promise<void> {
    if (action !== 'start' && action !== 'restart') return this.node(await this.nodeOf(id)).containerAction(action, id, options);
    const task = await this.taskOf(id);
    if (action === 'restart') await this.managerWrite(forceUpdateArgv(task.project, task.service), `docker service update --force ${task.project}_${task.service}`);
    await this.waitRunning(task.project, task.service, action === 'restart' ? id : undefined);
  }

  /** Waits (60 s) until `service` has a running task (other than the container `not`). */
  private async waitRunning(project: string, service: string, not?: string): Promise<void> {
    try {
      await waitFor(
        `a new task of ${project}_${service}`,
        async () => {
          const running = (await this.containers(project)).some((c) => c.service === service && c.state === 'running' && c.id !== not);
          return { verdict: running ? 'done' : 'waiting', value: undefined, state: running ? 'running' : 'no new task running' };
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      throw new FailedError(`Swarm did not start a new task of ${project}_${service} within 60 s`, `see \`docker service ps ${project}_${service} --no-trunc\``);
    }
  }

  /** The replica count a replicated service is set to (undefined for a global one). */
  async serviceReplicas(project: string, service: string): Promise<number | undefined> {
    const r = await this.managerDocker(['service', 'inspect', '--format', '{{if .Spec.Mode.Replicated}}{{.Spec.Mode.Replicated.Replicas}}{{end}}', `${project}_${service}`], `docker service inspect ${project}_${service}`);
    const n = Number.parseInt(r.stdout.trim(), 10);
    return Number.isInteger(n) ? n : undefined;
  }

  /**
   * Sets a service's replica count without waiting (`docker service scale --detach`): 0 keeps a
   * killed task from being replaced, as a killed container stays down on Compose.
   */
  async scaleService(project: string, service: string, replicas: number): Promise<void> {
    await this.managerWrite(['service', 'scale', '--detach', `${project}_${service}=${replicas}`], `scaling ${project}_${service} to ${replicas}`);
  }

  /** Overlay networks are swarm-scoped: the container's own engine attaches and detaches it. */
  async disconnect(network: string, id: string) {
    return this.node(await this.nodeOf(id)).network('disconnect', network, id);
  }

  async connect(network: string, id: string, options: { aliases?: string[] } = {}) {
    return this.node(await this.nodeOf(id)).network('connect', network, id, options.aliases);
  }

  async logs(id: string, options: { lines: number }) {
    return this.node(await this.nodeOf(id)).logs(id, options.lines);
  }

  async copyFrom(id: string, pathInContainer: string, hostPath: string) {
    return this.node(await this.nodeOf(id)).copyFrom(id, pathInContainer, hostPath);
  }

  async copyTo(id: string, hostPath: string, pathInContainer: string, options: CopyToOptions) {
    return this.node(await this.nodeOf(id)).copyTo(id, hostPath, pathInContainer, options);
  }

  async removeContainers(ids: string[], options: { graceSeconds: number }): Promise<void> {
    const byNode = new Map<string, string[]>();
    for (const id of ids) {
      const node = await this.nodeOf(id);
      byNode.set(node, [...(byNode.get(node) ?? []), id]);
    }
    await Promise.all([...byNode].map(([node, list]) => this.node(node).removeContainers(list, options.graceSeconds)));
  }

  /** Volumes are node-local: `<node>/<volume>` for every node whose engine answers. */
  async volumes(project: string): Promise<string[]> {
    const nodes = await this.nodes();
    const lists = await Promise.all(
      nodes.map(async (n) => (await this.node(n.hostname).resources('volume', project)).map((v) => `${n.hostname}/${v}`)),
    );
    return lists.flat().sort();
  }

  /** The stack's overlay network, as the manager sees it. */
  networks(project: string) {
    return this.manager.resources('network', project);
  }

  async removeVolume(name: string): Promise<void> {
    const slash = name.indexOf('/');
    if (slash < 0) throw new FailedError(`volume ${name}: on swarm a volume is named <node>/<volume>`);
    await this.node(name.slice(0, slash)).removeResource('volume', name.slice(slash + 1));
  }

  removeNetwork(name: string) {
    return this.manager.removeResource('network', name);
  }

  imageExists(image: string) {
    return this.manager.imageExists(image);
  }

  /** The hostname of the engine redis-ha reaches for `node` (to catch a --node-host pointing at the wrong node). */
  async engineName(node: string): Promise<string> {
    this.node(node);
    const r = await this.nodeClis.get(node)!.runner.run('docker', ['info', '--format', '{{.Name}}']);
    if (r.exitCode !== 0) {
      const how = this.hosts[node] ? `--node-host ${node}=${this.hosts[node]}` : `the Docker context "${node}" (no --node-host ${node}=... given)`;
      throw new EnvironmentError(`the engine of swarm node ${node} does not answer through ${how}: ${r.stderr.trim().split('\n').pop() ?? ''}`, `give every node's engine: --node-host ${node}=unix:///path/to/docker.sock or ssh://user@${node}`);
    }
    return r.stdout.trim();
  }

  /** Whether `node`'s engine has the image. */
  imageOnNode(node: string, image: string) {
    return this.node(node).imageExists(image);
  }

  pullImage(image: string, options: { signal?: AbortSignal } = {}) {
    return this.manager.pullImage(image, options.signal);
  }

  pullImageOnNode(node: string, image: string, options: { signal?: AbortSignal } = {}) {
    return this.node(node).pullImage(image, options.signal);
  }

  /** Ports held on the manager's engine; see heldPortsOn for one node. */
  heldPorts(): Promise<HeldPort[]> {
    return this.manager.heldPorts();
  }

  heldPortsOn(node: string): Promise<HeldPort[]> {
    return this.node(node).heldPorts();
  }

  /** The stacks redis-ha deployed (services carrying its label); swarm records no working directory. */
  async projects(): Promise<ProjectLocation[]> {
    const { stdout } = await this.managerDocker(
      ['service', 'ls', '--filter', `label=${LABEL_MANAGED}=true`, '--format', `{{.Name}}`],
      'listing services',
    );
    const ids = stdout.split('\n').filter(Boolean);
    if (!ids.length) return [];
    const r = await this.managerDocker(['service', 'inspect', '--format', `{{index .Spec.Labels "${SWARM_LABELS.project}"}}`, ...ids], 'inspecting services');
    return [...new Set(r.stdout.split('\n').filter(Boolean))].sort().map((name) => ({ name }));
  }

  /** Services of the stack (`<stack>_<service>`). */
  async services(project: string): Promise<string[]> {
    const { stdout } = await this.managerDocker(['service', 'ls', '--filter', `label=${SWARM_LABELS.project}=${project}`, '--format', '{{.Name}}'], 'listing services');
    return stdout.split('\n').filter(Boolean).sort();
  }

  /** The stack's Swarm configs or secrets. */
  async stackObjects(kind: 'config' | 'secret', project: string): Promise<string[]> {
    const { stdout } = await this.managerDocker([kind, 'ls', '--filter', `label=${SWARM_LABELS.project}=${project}`, '--format', '{{.Name}}'], `listing ${kind}s`);
    return stdout.split('\n').filter(Boolean).sort();
  }

  async up(project: ProjectSpec, options: UpOptions = {}): Promise<void> {
    if (options.services?.length) {
      // A single service: a new task from the current spec (--force even when unchanged).
      for (const s of options.services) await this.managerWrite(forceUpdateArgv(project.name, s), `docker service update of ${project.name}_${s}`);
      return;
    }
    await this.managerWrite(stackDeployArgv(project), `docker stack deploy of ${project.name}`, project.dir);
    await this.pruneObjects(project);
  }

  /**
   * Configs and secrets of earlier deploys that the stack file no longer names (content-hashed
   * names: a changed file is a new object). One still in use by a task being replaced is kept
   * (Swarm refuses); the next deploy or cleanup takes it.
   */
  async pruneObjects(project: ProjectSpec): Promise<string[]> {
    const stack = parse(await readFile(project.file, 'utf8')) as { configs?: Record<string, { name?: string }>; secrets?: Record<string, { name?: string }> };
    const removed: string[] = [];
    for (const kind of ['config', 'secret'] as const) {
      const wanted = new Set(Object.values(stack[`${kind}s`] ?? {}).map((o) => o.name));
      for (const name of await this.stackObjects(kind, project.name)) {
        if (wanted.has(name)) continue;
        if ((await this.runner.run('docker', [kind, 'rm', name])).exitCode === 0) removed.push(name);
      }
    }
    return removed;
  }

  /**
   * `docker stack rm`, then waits until its tasks' containers are gone on every node and its
   * network is removed (stack rm returns at once). `volumes`: also the stack's volumes on every
   * node and redis-ha's placement labels of the stack (they pin services to where the data was).
   */
  async down(project: ProjectSpec, options: { volumes: boolean }): Promise<void> {
    if ((await this.services(project.name)).length || (await this.stackObjects('config', project.name)).length || (await this.networks(project.name)).length) {
      await this.managerDocker(['stack', 'rm', project.name], `docker stack rm ${project.name}`);
    }
    await this.waitGone(project.name, 60_000);
    if (!options.volumes) return;
    for (const v of await this.volumes(project.name)) await this.removeVolume(v);
    await this.removeNodeLabels(project.name);
  }

  private async waitGone(project: string, timeoutMs: number): Promise<void> {
    let containers: ContainerInfo[] = [];
    let networks: string[] = [];
    try {
      await waitFor(
        `stack ${project} to be gone`,
        async () => {
          [containers, networks] = await Promise.all([this.allContainers(project), this.networks(project)]);
          if (this.unreachable.length) {
            throw new EnvironmentError(
              `the engine of ${this.unreachable.join(', ')} does not answer: the stack's containers and volumes there cannot be checked or removed`,
              'bring the node back or give its engine with --node-host NODE=DOCKER_HOST, then run cleanup again',
            );
          }
          // Network removal after the last task: retried, it races the tasks' shutdown.
          if (!containers.length) for (const n of networks) await this.runner.run('docker', ['network', 'rm', n]);
          return { verdict: containers.length || networks.length ? 'waiting' : 'done', value: undefined, state: `${containers.length} container(s), ${networks.length} network(s) left` };
        },
        { timeoutMs, intervalMs: 500 },
      );
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      throw new FailedError(
        `stack ${project} still has ${containers.length} container(s) (${containers.map((c) => `${c.service}@${c.node}`).join(', ')}) and ${networks.length} network(s) after ${timeoutMs / 1000} s`,
        'run cleanup again; `docker stack ps` shows what is stuck',
      );
    }
  }

  /** Adds placement labels: node -> label keys (value true). */
  async addNodeLabels(labels: Map<string, string[]>): Promise<void> {
    for (const [node, keys] of labels) if (keys.length) await this.managerDocker(nodeLabelArgv(node, keys, []), `labelling node ${node}`);
  }

  /** redis-ha's placement labels of the stack: `node: key` lines. */
  async nodeLabels(project: string): Promise<string[]> {
    const prefix = `io.redis-ha.${project}.`;
    return (await this.nodes()).flatMap((n) => Object.keys(n.labels).filter((k) => k.startsWith(prefix)).map((k) => `${n.hostname}: ${k}`));
  }

  /** Removes the `io.redis-ha.<project>.<service>` labels (of every service, or those `keep` refuses) from every node; returns `node: key` lines. */
  async removeNodeLabels(project: string, keep: (service: string) => boolean = () => false): Promise<string[]> {
    const prefix = `io.redis-ha.${project}.`;
    const removed: string[] = [];
    for (const n of await this.nodes()) {
      const keys = Object.keys(n.labels).filter((k) => k.startsWith(prefix) && !keep(k.slice(prefix.length)));
      if (!keys.length) continue;
      await this.managerDocker(nodeLabelArgv(n.hostname, [], keys), `removing labels from node ${n.hostname}`);
      removed.push(...keys.map((k) => `${n.hostname}: ${k}`));
    }
    return removed;
  }

  /** Drain (Swarm stops the node's tasks and places none there) or reactivate a node. */
  async setAvailability(node: string, availability: 'drain' | 'active'): Promise<void> {
    await this.managerDocker(['node', 'update', '--availability', availability, node], `docker node update --availability ${availability} ${node}`);
  }

  async stopServices(project: ProjectSpec, services: string[]): Promise<void> {
    for (const s of services) await this.scaleService(project.name, s, 0);
  }

  async removeServices(project: ProjectSpec, services: string[]): Promise<void> {
    await this.managerDocker(['service', 'rm', ...services.map((s) => `${project.name}_${s}`)], 'docker service rm');
  }
}
