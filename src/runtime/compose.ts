// The Compose runtime: `docker compose` (v2) when present, else `docker-compose` (v1), plus
// the docker CLI for everything Compose has no verb for. Every compose call names the
// project, the file and the project directory.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { COMPOSE_LABELS, LABEL_MANAGED } from '../labels.js';
import { DockerCli } from './docker.js';
import { engineApiFor } from './engine-api.js';
import { CommandRunner, findOnPath } from './exec.js';
import { apiAtLeast, START_INTERVAL_API, type ContainerAction, type CopyToOptions, type ProjectLocation, type ProjectSpec, type Runtime, type UpOptions } from './runtime.js';

type Variant = 'v1' | 'v2';

/** The argv for one compose call; exported for tests of both variants. */
export function composeArgv(variant: Variant, project: ProjectSpec, args: string[]): [string, string[]] {
  const common = ['-p', project.name, '-f', project.file, '--project-directory', project.dir, ...args];
  return variant === 'v2' ? ['docker', ['compose', ...common]] : ['docker-compose', common];
}

/** The compose arguments of an `up` (after the project flags). */
export function upArgs(options: UpOptions = {}): string[] {
  const services = options.services ?? [];
  return [
    'up',
    '-d',
    // Orphans are services a previous render had: only a whole-project up may remove them.
    ...(services.length ? [] : ['--remove-orphans']),
    ...(options.forceRecreate ? ['--force-recreate'] : []),
    ...(options.noDeps ? ['--no-deps'] : []),
    ...services,
  ];
}

export class ComposeRuntime implements Runtime {
  private readonly runner: CommandRunner;
  private readonly docker: DockerCli;
  private detected?: Promise<{ variant: Variant; version: () => Promise<string> }>;
  private cachedVersion?: Promise<string>;

  /** `env`: the environment the CLI runs in (PATH, DOCKER_HOST, REDIS_HA_COMPOSE=v1|v2 to force one). */
  constructor(private readonly env: Record<string, string | undefined>) {
    this.runner = new CommandRunner(env);
    this.docker = new DockerCli(this.runner, { project: COMPOSE_LABELS.project, service: COMPOSE_LABELS.service }, env.DOCKER_HOST, engineApiFor(env));
  }

  /** Ends every child still running (the CLI calls it on exit and on a forced interrupt). */
  killChildren(): number {
    return this.runner.killAll();
  }

  checkEngine() {
    return this.docker.checkEngine();
  }

  async healthcheckStartInterval(): Promise<boolean> {
    const [engine, { variant }] = await Promise.all([this.docker.checkEngine(), this.detect()]);
    return variant === 'v2' && apiAtLeast(engine.apiVersion, START_INTERVAL_API);
  }

  async checkTool(): Promise<{ name: string }> {
    return { name: (await this.detect()).variant };
  }

  toolVersion(): Promise<string> {
    this.cachedVersion ??= this.detect().then((d) => d.version());
    return this.cachedVersion;
  }

  private detect() {
    this.detected ??= this.detectCompose();
    return this.detected;
  }

  /** v2 plugin first, then v1. REDIS_HA_COMPOSE=v1|v2 forces one. */
  private async detectCompose(): Promise<{ variant: Variant; version: () => Promise<string> }> {
    const forced = this.env.REDIS_HA_COMPOSE;
    if (forced !== 'v1') {
      const v2 = await this.runner.run('docker', ['compose', 'version', '--short']).catch(() => undefined);
      if (v2 && v2.exitCode === 0 && v2.stdout.trim()) {
        const version = v2.stdout.trim();
        return { variant: 'v2', version: async () => version };
      }
      if (forced === 'v2') throw new EnvironmentError('Docker Compose v2 (`docker compose`) is not available', 'unset REDIS_HA_COMPOSE to fall back to docker-compose v1');
    }
    const v1 = findOnPath('docker-compose', this.env.PATH ?? '');
    if (v1) {
      // Asking docker-compose (Python) costs most of a second: only when the version is shown, and cached.
      return {
        variant: 'v1',
        version: () => v1Version(v1, async () => (await this.runner.run('docker-compose', ['version', '--short'])).stdout.trim() || 'unknown', this.env),
      };
    }
    throw new EnvironmentError(
      'Docker Compose is not installed: neither `docker compose` (v2) nor `docker-compose` (v1) answers',
      'install the Compose plugin (e.g. `apt-get install docker-compose-plugin`) or `apt-get install docker-compose`',
    );
  }

  private async compose(project: ProjectSpec, args: string[], what: string): Promise<void> {
    const [file, argv] = composeArgv((await this.detect()).variant, project, args);
    // No signal: a compose call is let finish (half a `up` is worse than a whole one).
    await this.runner.runChecked(file, argv, `${what} of ${project.name}`, { cwd: project.dir });
  }

  containers(project: string) {
    return this.docker.containersByLabel(`${COMPOSE_LABELS.project}=${project}`);
  }

  inspect(ids: string[]) {
    return this.docker.inspect(ids);
  }

  exec(id: string, argv: string[], options?: { stdin?: string; timeoutMs?: number }) {
    return this.docker.exec(id, argv, options);
  }

  containerAction(action: ContainerAction, id: string, options?: { graceSeconds?: number; signal?: string }) {
    return this.docker.containerAction(action, id, options);
  }

  disconnect(network: string, id: string) {
    return this.docker.network('disconnect', network, id);
  }

  connect(network: string, id: string, options: { aliases?: string[] } = {}) {
    return this.docker.network('connect', network, id, options.aliases);
  }

  copyFrom(id: string, pathInContainer: string, hostPath: string) {
    return this.docker.copyFrom(id, pathInContainer, hostPath);
  }

  copyTo(id: string, hostPath: string, pathInContainer: string, options: CopyToOptions) {
    return this.docker.copyTo(id, hostPath, pathInContainer, options);
  }

  logs(id: string, options: { lines: number }) {
    return this.docker.logs(id, options.lines);
  }

  removeContainers(ids: string[], options: { graceSeconds: number }) {
    return this.docker.removeContainers(ids, options.graceSeconds);
  }

  volumes(project: string) {
    return this.docker.resources('volume', project);
  }

  networks(project: string) {
    return this.docker.resources('network', project);
  }

  removeVolume(name: string) {
    return this.docker.removeResource('volume', name);
  }

  removeNetwork(name: string) {
    return this.docker.removeResource('network', name);
  }

  imageExists(image: string) {
    return this.docker.imageExists(image);
  }

  pullImage(image: string, options: { signal?: AbortSignal } = {}) {
    return this.docker.pullImage(image, options.signal);
  }

  heldPorts() {
    return this.docker.heldPorts();
  }

  /** Like `docker compose ls`: projects from their containers' labels, plus those left with only volumes / networks. */
  async projects(): Promise<ProjectLocation[]> {
    const [containers, volumes, networks] = await Promise.all([
      this.docker.containersByLabel(LABEL_MANAGED),
      this.docker.resourceProjects('volume'),
      this.docker.resourceProjects('network'),
    ]);
    const found = new Map<string, ProjectLocation>();
    for (const c of containers) {
      if (!c.project || c.labels[LABEL_MANAGED] !== 'true' || found.get(c.project)?.workingDir) continue;
      const files = c.labels[COMPOSE_LABELS.configFiles];
      found.set(c.project, {
        name: c.project,
        workingDir: c.labels[COMPOSE_LABELS.workingDir] || undefined,
        configFiles: files ? files.split(',') : undefined,
      });
    }
    for (const name of [...volumes, ...networks]) if (name && !found.has(name)) found.set(name, { name });
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async up(project: ProjectSpec, options?: UpOptions): Promise<void> {
    // Only changed services are re-created.
    await this.compose(project, upArgs(options), 'compose up');
  }

  async down(project: ProjectSpec, options: { volumes: boolean }): Promise<void> {
    await this.compose(project, ['down', '--remove-orphans', ...(options.volumes ? ['--volumes'] : [])], 'compose down');
  }

  async stopServices(project: ProjectSpec, services: string[], options: { graceSeconds?: number } = {}): Promise<void> {
    const time = options.graceSeconds === undefined ? [] : ['--timeout', String(options.graceSeconds)];
    await this.compose(project, ['stop', ...time, ...services], 'compose stop');
  }

  async removeServices(project: ProjectSpec, services: string[]): Promise<void> {
    await this.compose(project, ['rm', '--force', '--stop', '-v', ...services], 'compose rm');
  }
}

/**
 * docker-compose v1's version, kept in the user's cache for that very file (path, size, mtime):
 * asking it starts Python (~0.8 s of CPU here), which a deploy would otherwise pay on every run
 * while its own `compose up` needs the same cores. Without a usable cache dir: asked every time.
 */
export async function v1Version(binary: string, ask: () => Promise<string>, env: Record<string, string | undefined>): Promise<string> {
  const dir = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, '.cache') : undefined);
  const file = dir && join(dir, 'redis-ha', 'compose-v1-version.json');
  const id = await stat(binary).then((s) => `${binary} ${s.size} ${s.mtimeMs}`).catch(() => undefined);
  if (file && id) {
    const kept = await readFile(file, 'utf8').then((t) => JSON.parse(t) as { id?: string; version?: string }).catch(() => undefined);
    if (kept?.id === id && kept.version) return kept.version;
  }
  const version = await ask();
  if (file && id && version !== 'unknown') {
    await mkdir(dirname(file), { recursive: true })
      .then(() => writeFile(file, `${JSON.stringify({ id, version })}\n`))
      .catch(() => undefined);
  }
  return version;
}
