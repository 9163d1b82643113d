// A fake multi-node Runtime (Swarm) for the swarm paths of the commands: FakeRuntime's
// containers, volumes and networks, plus what MultiNodeEngine adds - nodes with their
// availability and labels, each node's engine, service replica counts, the stack's configs and
// secrets, and the manager redis-ha talks through. It behaves as Swarm does where a command
// depends on it: a killed container stays exited, a drained node's tasks stop, a reactivated
// node's start again, a service scaled to 0 stops, a disconnected container leaves the network.
// Every call is recorded in `calls`.
import { LABEL_MANAGED, SWARM_LABELS } from '../../src/labels.js';
import type { Topology } from '../../src/model/schema.js';
import type { NodeHosts } from '../../src/runtime/node-hosts.js';
import type { ContainerAction, ContainerInfo, HeldPort, MultiNodeEngine, ProjectSpec, SwarmNode } from '../../src/runtime/runtime.js';
import { containersFor, FakeRuntime } from './fake-runtime.js';

type SwarmScript = { [K in keyof MultiNodeEngine]?: MultiNodeEngine[K] extends (...a: infer A) => infer R ? (...a: A) => R : never };

/**
 * A ready, active manager node `nodeN` at 127.0.1.N: on loopback, so that a probe of a port
 * nothing listens on is refused at once (an unroutable address would wait out a timeout), and a
 * test can run a real redis-server at a node's address.
 */
export function swarmNode(hostname: string, extra: Partial<SwarmNode> = {}): SwarmNode {
  const n = /(\d+)$/.exec(hostname)?.[1] ?? '9';
  return { id: `id-${hostname}`, hostname, address: `127.0.1.${n}`, state: 'ready', availability: 'active', manager: true, labels: {}, ...extra };
}

/** What each action leaves a container in (as the real engine does; `start` / `restart`: Swarm's new task runs). */
const STATE_AFTER: Record<ContainerAction, string> = { kill: 'exited', stop: 'exited', start: 'running', restart: 'running', pause: 'paused', unpause: 'running' };

export class FakeSwarm extends FakeRuntime implements MultiNodeEngine {
  readonly multiNode: MultiNodeEngine = this;
  nodeList: SwarmNode[];
  nodeHosts: NodeHosts = {};
  /** `<stack>_<service>` -> replica count (1 when not set). */
  readonly replicas = new Map<string, number>();
  /** kind -> stack -> names. */
  readonly objects = { config: new Map<string, string[]>(), secret: new Map<string, string[]>() };
  /** The hostname a node's engine answers with when not its own (a --node-host pointing elsewhere). */
  readonly engineNames = new Map<string, string>();
  /** Ports held on each node's engine. */
  readonly heldOn = new Map<string, HeldPort[]>();
  /** The node whose engine redis-ha talks to the swarm through. */
  manager: string;
  /** Overrides of single MultiNodeEngine methods. */
  swarmScript: SwarmScript = {};

  constructor(hostnames: string[] = ['node1', 'node2', 'node3']) {
    super();
    this.nodeList = hostnames.map((h) => swarmNode(h));
    this.manager = hostnames[0]!;
  }

  private recordSwarm<K extends keyof MultiNodeEngine>(method: K, args: unknown[]): SwarmScript[K] | undefined {
    this.calls.push({ method, args });
    return this.swarmScript[method];
  }

  private allOf(): ContainerInfo[] {
    return [...this.containersOf.values()].flat();
  }

  /** Sets the state of the containers `which` selects (the fake's stand-in for what Swarm does to tasks). */
  private setState(which: (c: ContainerInfo) => boolean, state: string): void {
    for (const [project, list] of this.containersOf) this.containersOf.set(project, list.map((c) => (which(c) ? { ...c, state } : c)));
  }

  override async containerAction(action: ContainerAction, id: string, options?: { graceSeconds?: number; signal?: string }) {
    await super.containerAction(action, id, options);
    if (!this.script.containerAction) this.setState((c) => c.id === id, STATE_AFTER[action]);
  }

  override async disconnect(network: string, id: string) {
    await super.disconnect(network, id);
    if (!this.script.disconnect) this.setNetworks(id, (list) => list.filter((n) => n !== network));
  }

  override async connect(network: string, id: string, options?: { aliases?: string[] }) {
    await super.connect(network, id, options);
    if (!this.script.connect) this.setNetworks(id, (list) => [...list, network]);
  }

  private setNetworks(id: string, change: (networks: string[]) => string[]): void {
    for (const [project, list] of this.containersOf) this.containersOf.set(project, list.map((c) => (c.id === id ? { ...c, networks: change(c.networks) } : c)));
  }

  override async down(project: ProjectSpec, options: { volumes: boolean }) {
    await super.down(project, options);
    if (this.script.down) return;
    // `docker stack rm` takes the stack's configs and secrets; with its volumes go redis-ha's placement labels.
    this.objects.config.delete(project.name);
    this.objects.secret.delete(project.name);
    if (options.volumes) for (const n of this.nodeList) n.labels = Object.fromEntries(Object.entries(n.labels).filter(([k]) => !k.startsWith(`io.redis-ha.${project.name}.`)));
  }

  async nodes() {
    const s = this.recordSwarm('nodes', []);
    return s ? s() : this.nodeList.map((n) => ({ ...n, labels: { ...n.labels } }));
  }
  nodesRunning(service: string) {
    const s = this.recordSwarm('nodesRunning', [service]);
    return s ? s(service) : this.allOf().filter((c) => c.service === service && c.state === 'running').map((c) => c.node!);
  }
  async allContainers(project: string) {
    const s = this.recordSwarm('allContainers', [project]);
    return s ? s(project) : [...(this.containersOf.get(project) ?? [])];
  }
  async engineName(node: string) {
    const s = this.recordSwarm('engineName', [node]);
    return s ? s(node) : (this.engineNames.get(node) ?? node);
  }
  async imageOnNode(node: string, image: string) {
    const s = this.recordSwarm('imageOnNode', [node, image]);
    return s ? s(node, image) : this.localImages.has(image);
  }
  async pullImageOnNode(node: string, image: string, options?: { signal?: AbortSignal }) {
    const s = this.recordSwarm('pullImageOnNode', [node, image, options]);
    return s ? s(node, image, options) : { ok: false, message: `pull access denied for ${image} on ${node}` };
  }
  async heldPortsOn(node: string) {
    const s = this.recordSwarm('heldPortsOn', [node]);
    return s ? s(node) : [...(this.heldOn.get(node) ?? [])];
  }
  async stackObjects(kind: 'config' | 'secret', project: string) {
    const s = this.recordSwarm('stackObjects', [kind, project]);
    return s ? s(kind, project) : [...(this.objects[kind].get(project) ?? [])];
  }
  async addNodeLabels(labels: Map<string, string[]>) {
    const s = this.recordSwarm('addNodeLabels', [labels]);
    if (s) return s(labels);
    for (const [node, keys] of labels) {
      const n = this.nodeList.find((x) => x.hostname === node);
      if (n) for (const k of keys) n.labels[k] = 'true';
    }
  }
  async nodeLabels(project: string) {
    const s = this.recordSwarm('nodeLabels', [project]);
    if (s) return s(project);
    const prefix = `io.redis-ha.${project}.`;
    return this.nodeList.flatMap((n) => Object.keys(n.labels).filter((k) => k.startsWith(prefix)).map((k) => `${n.hostname}: ${k}`));
  }
  async removeNodeLabels(project: string, keep: (service: string) => boolean = () => false) {
    const s = this.recordSwarm('removeNodeLabels', [project, keep]);
    if (s) return s(project, keep);
    const prefix = `io.redis-ha.${project}.`;
    const removed: string[] = [];
    for (const n of this.nodeList) {
      for (const k of Object.keys(n.labels).filter((x) => x.startsWith(prefix) && !keep(x.slice(prefix.length)))) {
        delete n.labels[k];
        removed.push(`${n.hostname}: ${k}`);
      }
    }
    return removed;
  }
  async setAvailability(node: string, availability: 'drain' | 'active') {
    const s = this.recordSwarm('setAvailability', [node, availability]);
    if (s) return s(node, availability);
    const n = this.nodeList.find((x) => x.hostname === node);
    if (n) n.availability = availability;
    // Draining stops the node's tasks; reactivated, Swarm starts its pinned tasks there again.
    this.setState((c) => c.node === node, availability === 'drain' ? 'exited' : 'running');
  }
  async useManagerOtherThan(node: string) {
    const s = this.recordSwarm('useManagerOtherThan', [node]);
    if (s) return s(node);
    if (this.manager !== node) return undefined;
    const other = this.nodeList.find((n) => n.hostname !== node && n.manager);
    if (!other) throw new Error(`no other manager than ${node}`);
    this.manager = other.hostname;
    return other.hostname;
  }
  async serviceReplicas(project: string, service: string) {
    const s = this.recordSwarm('serviceReplicas', [project, service]);
    return s ? s(project, service) : (this.replicas.get(`${project}_${service}`) ?? 1);
  }
  async scaleService(project: string, service: string, replicas: number) {
    const s = this.recordSwarm('scaleService', [project, service, replicas]);
    if (s) return s(project, service, replicas);
    this.replicas.set(`${project}_${service}`, replicas);
    this.setState((c) => c.project === project && c.service === service, replicas === 0 ? 'exited' : 'running');
  }
}

/**
 * One task container per service of `t`, as a stack labels them, on its node: redis-i and
 * sentinel-i on node (i - 1) mod N (the first deploy's placement), HAProxy and the exporter on the first.
 */
export function swarmContainersFor(t: Topology, nodes: string[] = ['node1', 'node2', 'node3']): ContainerInfo[] {
  return containersFor(t).map((c) => {
    const i = Number(/-(\d+)$/.exec(c.service)?.[1] ?? 1);
    return {
      ...c,
      id: `${c.id}-task`,
      name: `${t.name}_${c.service}.1.task${i}`,
      node: nodes[(i - 1) % nodes.length],
      labels: { [SWARM_LABELS.project]: t.name, [SWARM_LABELS.service]: `${t.name}_${c.service}`, [LABEL_MANAGED]: 'true' },
      networks: [`${t.name}_redis-ha`, 'ingress'],
    };
  });
}
