// A fake Runtime for the failure paths of the commands: it records every call, holds the
// containers / volumes / networks it is told about, and lets a test script any method
// (throw, wait for an abort, change state). No engine, no processes.
import { COMPOSE_LABELS, LABEL_MANAGED } from '../../src/labels.js';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { EnvironmentError, FailedError } from '../../src/errors.js';
import { redisNodes, sentinelNodes } from '../../src/model/nodes.js';
import type { Topology } from '../../src/model/schema.js';
import type {
  ContainerAction,
  ContainerInfo,
  CopyToOptions,
  ExecOptions,
  HeldPort,
  MultiNodeEngine,
  ProjectLocation,
  ProjectSpec,
  Runtime,
  UpOptions,
} from '../../src/runtime/runtime.js';

export interface Call {
  /** A Runtime method, or a MultiNodeEngine one (FakeSwarm in fake-swarm.ts). */
  method: keyof Runtime | keyof MultiNodeEngine;
  args: unknown[];
}

type Script = { [K in keyof Runtime]?: Runtime[K] extends (...a: infer A) => infer R ? (...a: A) => R : never };

export class FakeRuntime implements Runtime {
  readonly calls: Call[] = [];
  /** Per project. */
  readonly containersOf = new Map<string, ContainerInfo[]>();
  readonly volumesOf = new Map<string, string[]>();
  readonly networksOf = new Map<string, string[]>();
  readonly localImages = new Set<string>();
  held: HeldPort[] = [];
  /** Files inside containers, by `<id>:<path>` (copyFrom reads them, copyTo writes them). */
  readonly files = new Map<string, Buffer>();
  projectList: ProjectLocation[] = [];
  logText = 'redis-ha: first start\nsome log line';
  /** Overrides of single methods (the default behaviour is then skipped). */
  script: Script = {};
  /** What `up` creates for a project (by default: nothing). */
  onUp?: (project: ProjectSpec, options?: UpOptions) => void;

  protected record<K extends keyof Runtime>(method: K, args: unknown[]): Script[K] | undefined {
    this.calls.push({ method, args });
    return this.script[method];
  }

  /** The names of the methods called, in order (optionally only some). */
  called(...only: Call['method'][]): string[] {
    return this.calls.map((c) => c.method).filter((m) => !only.length || only.includes(m));
  }

  async checkEngine() {
    const s = this.record('checkEngine', []);
    return s ? s() : { serverVersion: '20.10.99-fake', apiVersion: '1.41', clientApiVersion: '1.41' };
  }
  async healthcheckStartInterval() {
    const s = this.record('healthcheckStartInterval', []);
    return s ? s() : false;
  }
  async checkTool() {
    const s = this.record('checkTool', []);
    return s ? s() : { name: 'v1' };
  }
  async toolVersion() {
    const s = this.record('toolVersion', []);
    return s ? s() : '1.29.2-fake';
  }
  async containers(project: string) {
    const s = this.record('containers', [project]);
    return s ? s(project) : [...(this.containersOf.get(project) ?? [])];
  }
  async inspect(ids: string[]) {
    const s = this.record('inspect', [ids]);
    if (s) return s(ids);
    return [...this.containersOf.values()].flat().filter((c) => ids.includes(c.id));
  }
  async exec(id: string, argv: string[], options?: ExecOptions) {
    const s = this.record('exec', [id, argv, options]);
    return s ? s(id, argv, options) : { stdout: '', stderr: '', exitCode: 0 };
  }
  async containerAction(action: ContainerAction, id: string, options?: { graceSeconds?: number; signal?: string }) {
    const s = this.record('containerAction', [action, id, options]);
    if (s) return s(action, id, options);
  }
  async disconnect(network: string, id: string) {
    const s = this.record('disconnect', [network, id]);
    if (s) return s(network, id);
  }
  async connect(network: string, id: string, options?: { aliases?: string[] }) {
    const s = this.record('connect', [network, id, options]);
    if (s) return s(network, id, options);
  }
  async copyFrom(id: string, pathInContainer: string, hostPath: string) {
    const s = this.record('copyFrom', [id, pathInContainer, hostPath]);
    if (s) return s(id, pathInContainer, hostPath);
    const content = this.files.get(`${id}:${pathInContainer}`);
    if (content === undefined) throw new FailedError(`docker cp failed: no such file ${pathInContainer} in ${id}`);
    writeFileSync(hostPath, content);
  }
  async copyTo(id: string, hostPath: string, pathInContainer: string, options: CopyToOptions) {
    const s = this.record('copyTo', [id, hostPath, pathInContainer, options]);
    if (s) return s(id, hostPath, pathInContainer, options);
    // A directory is remembered by its name only.
    this.files.set(`${id}:${pathInContainer}`, statSync(hostPath).isDirectory() ? Buffer.from(`dir ${hostPath}`) : readFileSync(hostPath));
  }
  async logs(id: string, options: { lines: number }) {
    const s = this.record('logs', [id, options]);
    return s ? s(id, options) : this.logText;
  }
  async removeContainers(ids: string[], options: { graceSeconds: number }) {
    const s = this.record('removeContainers', [ids, options]);
    if (s) return s(ids, options);
    for (const [p, list] of this.containersOf) this.containersOf.set(p, list.filter((c) => !ids.includes(c.id)));
  }
  async volumes(project: string) {
    const s = this.record('volumes', [project]);
    return s ? s(project) : [...(this.volumesOf.get(project) ?? [])];
  }
  async networks(project: string) {
    const s = this.record('networks', [project]);
    return s ? s(project) : [...(this.networksOf.get(project) ?? [])];
  }
  async removeVolume(name: string) {
    const s = this.record('removeVolume', [name]);
    if (s) return s(name);
    for (const [p, list] of this.volumesOf) this.volumesOf.set(p, list.filter((v) => v !== name));
  }
  async removeNetwork(name: string) {
    const s = this.record('removeNetwork', [name]);
    if (s) return s(name);
    for (const [p, list] of this.networksOf) this.networksOf.set(p, list.filter((v) => v !== name));
  }
  async imageExists(image: string) {
    const s = this.record('imageExists', [image]);
    return s ? s(image) : this.localImages.has(image);
  }
  async pullImage(image: string, options?: { signal?: AbortSignal }) {
    const s = this.record('pullImage', [image, options]);
    return s ? s(image, options) : { ok: false, message: `pull access denied for ${image}` };
  }
  async heldPorts() {
    const s = this.record('heldPorts', []);
    return s ? s() : [...this.held];
  }
  async projects() {
    const s = this.record('projects', []);
    return s ? s() : [...this.projectList];
  }
  async up(project: ProjectSpec, options?: UpOptions) {
    const s = this.record('up', [project, options]);
    if (s) return s(project, options);
    this.onUp?.(project, options);
  }
  async down(project: ProjectSpec, options: { volumes: boolean }) {
    const s = this.record('down', [project, options]);
    if (s) return s(project, options);
    this.containersOf.delete(project.name);
    this.networksOf.delete(project.name);
    if (options.volumes) this.volumesOf.delete(project.name);
  }
  async stopServices(project: ProjectSpec, services: string[], options?: { graceSeconds?: number }) {
    const s = this.record('stopServices', [project, services, options]);
    if (s) return s(project, services, options);
  }
  async removeServices(project: ProjectSpec, services: string[]) {
    const s = this.record('removeServices', [project, services]);
    if (s) return s(project, services);
  }
}

/** The error a Runtime gives when no engine answers. */
export const engineDown = () =>
  new EnvironmentError('the Docker engine is not reachable at the default socket (DOCKER_HOST is not set): fake', 'start the engine');

/** One container per service of `t`, as Compose would label them. */
export function containersFor(t: Topology, state: Partial<Pick<ContainerInfo, 'state' | 'health' | 'exitCode'>> = {}): ContainerInfo[] {
  const services = [
    ...redisNodes(t).map((n) => n.name),
    ...sentinelNodes(t).map((n) => n.name),
    ...(t.haproxy.enabled ? ['haproxy'] : []),
    ...(t.exporter.enabled ? ['exporter'] : []),
    ...(t.monitoring.enabled ? ['prometheus'] : []),
    ...(t.monitoring.alertmanager.enabled ? ['alertmanager'] : []),
  ];
  return services.map((service, i) => ({
    id: `${t.name}-${service}-id${i}`,
    name: `${t.name}_${service}_1`,
    project: t.name,
    service,
    state: state.state ?? 'running',
    health: 'health' in state ? state.health : 'healthy',
    exitCode: state.exitCode ?? 0,
    labels: { [COMPOSE_LABELS.project]: t.name, [COMPOSE_LABELS.service]: service, [LABEL_MANAGED]: 'true' },
    ports: {},
    networks: [`${t.name}_redis-ha`],
    // As synth renders it: the redis user by number (haproxy's 99:99 does not matter here).
    user: service === 'haproxy' ? '99:99' : '999',
  }));
}
