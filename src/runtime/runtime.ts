// The container engine as the rest of redis-ha sees it. Every engine call goes through a
// Runtime handed down from the CLI: commands, health, failover and probes never run `docker`
// themselves. Compose (v1/v2, compose.ts) and Swarm (swarm.ts) implement it. No Redis
// semantics here, and nothing only Compose could honour: a "project" is a compose project or a
// stack, a "service" a compose service or a stack service. What only an engine of several
// nodes can do is a second interface, MultiNodeEngine, reached through `Runtime.multiNode`.
import type { NodeHosts } from './node-hosts.js';

export interface PortBinding {
  hostIp: string;
  hostPort: number;
}

export interface ContainerInfo {
  id: string;
  name: string;
  /** The deployment (compose project / stack) the container belongs to. */
  project: string;
  /** The service it runs for (role-neutral: `redis-1`, `sentinel-2`, `haproxy`). */
  service: string;
  /** created | running | paused | restarting | removing | exited | dead */
  state: string;
  /** starting | healthy | unhealthy, or undefined without a healthcheck */
  health?: string;
  /**
   * Failed container healthchecks in a row. Docker marks a container `unhealthy` with none failed
   * whenever its health monitor stops (a pause, a stop), and keeps the mark until the next one.
   */
  healthFailingStreak?: number;
  exitCode: number;
  /** When its process last started (ISO 8601), if the engine says. */
  startedAt?: string;
  labels: Record<string, string>;
  /** container port ("6379/tcp") -> host ports bound now */
  ports: Record<string, PortBinding[]>;
  networks: string[];
  /** network -> the container's IPv4 address on it, for the networks where it has one now (running). */
  addresses?: Record<string, string>;
  /** The swarm node whose engine runs it (undefined on compose: one engine). */
  node?: string;
  /** When the container was created (ISO time), if known. */
  created?: string;
  /** The user its process runs as (`user:` of the service: "999:999", a name, or "" for the image's default). */
  user?: string;
}

/** Numeric owner of what is copied into a container. */
export interface FileOwner {
  uid: number;
  gid: number;
}

export interface CopyToOptions {
  /** Owner of every file and directory written (the container's user, so that it can read and write them). */
  owner: FileOwner;
  /** Mode of files (default 0600) and directories (default 0700). */
  modes?: { file?: number; dir?: number };
}

/** A host port some container holds, in any state (a restarting or created container holds it too). */
export interface HeldPort extends PortBinding {
  container: string;
  state: string;
  project?: string;
}

/** A deployment the engine knows, and where its files were when it was last started. */
export interface ProjectLocation {
  name: string;
  /** The project directory recorded on its containers, if any. */
  workingDir?: string;
  configFiles?: string[];
}

/** What to start: the deployment's name and its rendered files. */
export interface ProjectSpec {
  name: string;
  /** Directory holding the rendered files. */
  dir: string;
  /** The deployment file (compose.yaml, or stack.yaml on swarm). */
  file: string;
}

export interface UpOptions {
  /** Only these services (rolling operations: one at a time); default every service. */
  services?: string[];
  /** Re-create the services even when their configuration did not change. */
  forceRecreate?: boolean;
  /** Do not start the services the named ones depend on. */
  noDeps?: boolean;
}

export interface ExecOptions {
  /** Written to the process's stdin: the way to hand a secret to a command. */
  stdin?: string;
  timeoutMs?: number;
}

export type ContainerAction = 'kill' | 'stop' | 'start' | 'pause' | 'unpause' | 'restart';

export interface EngineVersion {
  serverVersion: string;
  /** The engine's API version ("1.41" for Engine 20.10, "1.44" for 25.0). */
  apiVersion: string;
}

/** a >= b for API versions such as "1.41" (numeric per part). */
export function apiAtLeast(version: string, wanted: string): boolean {
  const [a = [], b = []] = [version, wanted].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** API 1.44 (Docker Engine 25): `healthcheck.start_interval`. */
export const START_INTERVAL_API = '1.44';

export interface Runtime {
  /**
   * The part only an engine of several nodes has (Swarm); undefined for one engine (Compose).
   * Callers ask for it instead of testing which runtime they were handed, so a fake can offer it.
   */
  readonly multiNode?: MultiNodeEngine;

  /** Fails (EnvironmentError) when no engine answers, naming DOCKER_HOST. */
  checkEngine(): Promise<EngineVersion>;
  /**
   * Whether the engine and the deploy tool take `healthcheck.start_interval` (engine API >= 1.44
   * and Compose v2, or the docker CLI's stack deploy at API >= 1.44): Compose v1 refuses the key,
   * Compose v2 refuses it for an older engine.
   */
  healthcheckStartInterval(): Promise<boolean>;
  /** Fails when the deploy tool (compose) is missing; `name` e.g. "v1" or "v2". */
  checkTool(): Promise<{ name: string }>;
  /** Version of the deploy tool (may be slow: asked lazily). */
  toolVersion(): Promise<string>;

  /** The deployment's containers, in any state, ordered by service. */
  containers(project: string): Promise<ContainerInfo[]>;
  /** Containers by id (one removed meanwhile is left out). */
  inspect(ids: string[]): Promise<ContainerInfo[]>;
  /** Runs argv in a running container. Never put a secret in argv: use `stdin`. */
  exec(id: string, argv: string[], options?: ExecOptions): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Fault injection and healing. `graceSeconds`: for stop / restart. */
  containerAction(action: ContainerAction, id: string, options?: { graceSeconds?: number; signal?: string }): Promise<void>;
  /** Cuts a container off a network / puts it back, reachable under `aliases`. */
  disconnect(network: string, id: string): Promise<void>;
  connect(network: string, id: string, options?: { aliases?: string[] }): Promise<void>;
  /**
   * Copies a file or directory out of a container (running or stopped) to `hostPath`, and into
   * one (`pathInContainer` must not exist for a directory: it is created with the content).
   * Works on stopped containers too: the way to put data into a volume before a start. Into a
   * read-only container only a volume is writable (not its root file system, nor a tmpfs).
   * What is copied in is owned by `options.owner` (a non-root container cannot read root's 0600 files).
   */
  copyFrom(id: string, pathInContainer: string, hostPath: string): Promise<void>;
  copyTo(id: string, hostPath: string, pathInContainer: string, options: CopyToOptions): Promise<void>;
  /** The last `lines` lines of a container's stdout and stderr. */
  logs(id: string, options: { lines: number }): Promise<string>;
  /** Stops (gracefully, up to `graceSeconds`) and removes containers with their anonymous volumes. */
  removeContainers(ids: string[], options: { graceSeconds: number }): Promise<void>;

  /** Volumes / networks redis-ha created for a deployment. */
  volumes(project: string): Promise<string[]>;
  networks(project: string): Promise<string[]>;
  removeVolume(name: string): Promise<void>;
  removeNetwork(name: string): Promise<void>;

  imageExists(image: string): Promise<boolean>;
  /** Pulls an image; aborting `signal` cancels the pull. */
  pullImage(image: string, options?: { signal?: AbortSignal }): Promise<{ ok: boolean; message: string }>;

  /** Host ports held by every container on the engine, in any state. */
  heldPorts(): Promise<HeldPort[]>;
  /** Every redis-ha deployment on the engine (containers, volumes or networks), with its directory. */
  projects(): Promise<ProjectLocation[]>;

  /** Creates / updates the deployment (or only `services`); changed services are re-created. */
  up(project: ProjectSpec, options?: UpOptions): Promise<void>;
  /** Removes the whole deployment; `volumes` also its data. */
  down(project: ProjectSpec, options: { volumes: boolean }): Promise<void>;
  stopServices(project: ProjectSpec, services: string[], options?: { graceSeconds?: number }): Promise<void>;
  removeServices(project: ProjectSpec, services: string[]): Promise<void>;
}

/** A node of a multi-node engine (a swarm node). */
export interface SwarmNode {
  id: string;
  hostname: string;
  /** The address the node advertises (published host-mode ports answer there). */
  address: string;
  /** ready | down | unknown | disconnected */
  state: string;
  /** active | pause | drain */
  availability: string;
  manager: boolean;
  labels: Record<string, string>;
}

/**
 * What only an engine of several nodes (Swarm) can do besides what every Runtime does: list its
 * nodes, reach each node's own engine, label, drain and reactivate a node, hold a service down,
 * and move to another manager before a node goes dark. Containers of such an engine carry
 * `ContainerInfo.node`.
 */
export interface MultiNodeEngine {
  /** How each node's engine is reached (--node-host, recorded at deploy). */
  readonly nodeHosts: NodeHosts;
  /** Every node, sorted by hostname. */
  nodes(): Promise<SwarmNode[]>;
  /** The nodes running `service` now, from the last listing of the deployment (hostOf is synchronous). */
  nodesRunning(service: string): string[];
  /** Every container of the deployment, earlier tasks' too, on every node whose engine answers. */
  allContainers(project: string): Promise<ContainerInfo[]>;

  /** The hostname of the engine reached for `node` (to catch a --node-host pointing at another node). */
  engineName(node: string): Promise<string>;
  imageOnNode(node: string, image: string): Promise<boolean>;
  pullImageOnNode(node: string, image: string, options?: { signal?: AbortSignal }): Promise<{ ok: boolean; message: string }>;
  heldPortsOn(node: string): Promise<HeldPort[]>;

  /** The deployment's configs or secrets kept by the cluster. */
  stackObjects(kind: 'config' | 'secret', project: string): Promise<string[]>;
  /** Adds placement labels: node -> label keys (value true). */
  addNodeLabels(labels: Map<string, string[]>): Promise<void>;
  /** redis-ha's placement labels of the deployment: `node: key` lines. */
  nodeLabels(project: string): Promise<string[]>;
  /** Removes the deployment's placement labels of services `keep` refuses (all without it); returns `node: key` lines. */
  removeNodeLabels(project: string, keep?: (service: string) => boolean): Promise<string[]>;

  /** Drain (the node's tasks stop, none are placed there) or reactivate a node. */
  setAvailability(node: string, availability: 'drain' | 'active'): Promise<void>;
  /**
   * Before a fault that takes `node` dark: talk to the cluster through a manager on another node.
   * Returns the node switched to, or undefined when no switch was needed.
   */
  useManagerOtherThan(node: string): Promise<string | undefined>;
  /** The replica count a replicated service is set to (undefined for a global one). */
  serviceReplicas(project: string, service: string): Promise<number | undefined>;
  /** Sets a service's replica count without waiting (0 keeps a killed task from being replaced). */
  scaleService(project: string, service: string, replicas: number): Promise<void>;
}
