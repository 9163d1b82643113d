// The docker CLI, read as JSON: the engine calls every runtime shares (Compose and Swarm).
// Containers are found by labels, never by parsing generated names (v1 `proj_svc_1` vs v2
// `proj-svc-1`) or table columns. Which labels name project and service is the
// caller's (Compose and Swarm set different ones).
import { EnvironmentError, FailedError } from '../errors.js';
import { LABEL_MANAGED } from '../labels.js';
import { posix } from 'node:path';
import type { EngineApi } from './engine-api.js';
import { notInstalled, type CommandRunner, type RunOptions } from './exec.js';
import type { ContainerAction, ContainerInfo, CopyToOptions, EngineVersion, HeldPort, PortBinding } from './runtime.js';
import { tarStream } from './tar.js';

interface InspectJson {
  Id: string;
  Name: string;
  Created?: string;
  State: { Status: string; ExitCode: number; StartedAt?: string; Health?: { Status: string; FailingStreak?: number } };
  Config: { Labels: Record<string, string> | null; User?: string };
  HostConfig?: { PortBindings?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, { IPAddress?: string } | null> | null;
  };
}

const bindings = (map: Record<string, { HostIp: string; HostPort: string }[] | null> | null | undefined) => {
  const ports: Record<string, PortBinding[]> = {};
  for (const [port, list] of Object.entries(map ?? {})) {
    ports[port] = (list ?? []).filter((b) => b.HostPort).map((b) => ({ hostIp: b.HostIp, hostPort: Number(b.HostPort) }));
  }
  return ports;
};

export interface LabelKeys {
  project: string;
  service: string;
}

export class DockerCli {
  constructor(
    private readonly runner: CommandRunner,
    private readonly keys: LabelKeys,
    /** DOCKER_HOST as the CLI sees it, for the message when no engine answers. */
    private readonly dockerHost: string | undefined,
    /** The same engine's API on its unix socket (engineApiFor): the reads go there when given. */
    private readonly api?: EngineApi,
  ) {}

  private readonly docker = (args: string[], what: string, options?: RunOptions) => this.runner.runChecked('docker', args, what, options);

  async checkEngine(): Promise<EngineVersion> {
    if (this.api) {
      // Compose, exec and every write still go through the docker CLI: missing, it is said here.
      if (!this.runner.has('docker')) throw notInstalled('docker');
      let why: string;
      try {
        const r = await this.api.get<{ Version?: string; ApiVersion?: string }>('/version');
        if (r.status === 200 && r.body?.Version) return { serverVersion: r.body.Version, apiVersion: r.body.ApiVersion ?? '0' };
        why = `HTTP ${r.status}: ${r.text.trim()}`;
      } catch (err) {
        why = (err as Error).message;
      }
      throw this.unreachable(`${why} (${this.api.socketPath})`);
    }
    const result = await this.runner.run('docker', ['version', '--format', '{{json .}}']);
    let parsed: { Server?: { Version?: string; ApiVersion?: string } | null } = {};
    try {
      parsed = JSON.parse(result.stdout || '{}');
    } catch {
      /* not JSON: treated as no server below */
    }
    if (result.exitCode !== 0 || !parsed.Server?.Version) throw this.unreachable(result.stderr.trim().split('\n').pop() ?? '');
    return { serverVersion: parsed.Server.Version, apiVersion: parsed.Server.ApiVersion ?? '0' };
  }

  private unreachable(why: string): EnvironmentError {
    const host = this.dockerHost ? `DOCKER_HOST=${this.dockerHost}` : 'the default socket (DOCKER_HOST is not set)';
    return new EnvironmentError(
      `the Docker engine is not reachable at ${host}: ${why}`,
      'start the engine (e.g. `dockerd` or `systemctl start docker`), check DOCKER_HOST, and try `docker info`',
    );
  }

  /**
   * A read through the API: the body of its 200; undefined for a 404 when `missingOk` (a
   * container removed since it was listed, an image not there). Anything else fails, saying
   * `what` as the CLI path does.
   */
  private async apiGet<T>(api: EngineApi, path: string, what: string, missingOk = false): Promise<T | undefined> {
    const r = await api.get<T>(path).catch((err: Error) => {
      throw new FailedError(`${what} failed: ${err.message} (${api.socketPath})`);
    });
    if (r.status === 404 && missingOk) return undefined;
    if (r.status !== 200 || r.body === undefined) throw new FailedError(`${what} failed (HTTP ${r.status}): ${r.text.trim().slice(0, 500)}`);
    return r.body;
  }

  private async inspectRaw(ids: string[]): Promise<InspectJson[]> {
    if (ids.length === 0) return [];
    const api = this.api;
    if (api) {
      // One request per container, side by side. As `docker inspect` prints what it can and
      // leaves out a container that is gone or that the engine fails on (being removed, an
      // engine going down under a fault), so does this: a scenario's listing must not abort.
      const found = await Promise.all(
        ids.map((id) => this.apiGet<InspectJson>(api, `/containers/${encodeURIComponent(id)}/json`, `inspecting container ${id}`, true).catch(() => undefined)),
      );
      return found.filter((c): c is InspectJson => c !== undefined);
    }
    const result = await this.runner.run('docker', ['inspect', '--type', 'container', ...ids]);
    // A container removed between `ps` and `inspect` makes inspect exit 1 but still print the rest.
    return JSON.parse(result.stdout || '[]') as InspectJson[];
  }

  async inspect(ids: string[]): Promise<ContainerInfo[]> {
    return (await this.inspectRaw(ids)).map((c) => {
      const labels = c.Config.Labels ?? {};
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        project: labels[this.keys.project] ?? '',
        service: labels[this.keys.service] ?? '',
        state: c.State.Status,
        health: c.State.Health?.Status,
        ...(c.State.Health?.FailingStreak !== undefined ? { healthFailingStreak: c.State.Health.FailingStreak } : {}),
        exitCode: c.State.ExitCode,
        startedAt: c.State.StartedAt,
        labels,
        ports: bindings(c.NetworkSettings.Ports),
        networks: Object.keys(c.NetworkSettings.Networks ?? {}),
        addresses: Object.fromEntries(
          Object.entries(c.NetworkSettings.Networks ?? {}).flatMap(([network, n]) => (n?.IPAddress ? [[network, n.IPAddress]] : [])),
        ),
        created: c.Created,
        user: c.Config.User ?? '',
      };
    });
  }

  private async ids(labels: string[]): Promise<string[]> {
    if (this.api) {
      const query = labels.length ? `&filters=${encodeURIComponent(JSON.stringify({ label: labels }))}` : '';
      return ((await this.apiGet<{ Id: string }[]>(this.api, `/containers/json?all=1${query}`, 'listing containers')) ?? []).map((c) => c.Id);
    }
    const filters = labels.flatMap((l) => ['--filter', `label=${l}`]);
    const { stdout } = await this.docker(['ps', '-a', '-q', '--no-trunc', ...filters], 'listing containers');
    return stdout.split('\n').filter(Boolean);
  }

  /** Containers (running or not) carrying every given label (`key=value` or `key`), ordered by service. */
  async containersByLabel(...labels: string[]): Promise<ContainerInfo[]> {
    const all = await this.inspect(await this.ids(labels));
    return all.sort((a, b) => a.service.localeCompare(b.service, 'en', { numeric: true }));
  }

  /** Configured bindings count too: a restarting or created container has no live ports, yet holds them. */
  async heldPorts(): Promise<HeldPort[]> {
    const held: HeldPort[] = [];
    for (const c of await this.inspectRaw(await this.ids([]))) {
      const seen = new Set<string>();
      for (const map of [bindings(c.HostConfig?.PortBindings), bindings(c.NetworkSettings.Ports)]) {
        for (const b of Object.values(map).flat()) {
          const key = `${b.hostIp}:${b.hostPort}`;
          if (seen.has(key)) continue;
          seen.add(key);
          held.push({ ...b, container: c.Name.replace(/^\//, ''), state: c.State.Status, project: c.Config.Labels?.[this.keys.project] });
        }
      }
    }
    return held;
  }

  async resources(kind: 'volume' | 'network', project: string): Promise<string[]> {
    const filters = [`${this.keys.project}=${project}`, LABEL_MANAGED].flatMap((l) => ['--filter', `label=${l}`]);
    const { stdout } = await this.docker([kind, 'ls', ...filters, '--format', '{{.Name}}'], `listing ${kind}s`);
    return stdout.split('\n').filter(Boolean).sort();
  }

  /** Projects of redis-ha's volumes or networks. */
  async resourceProjects(kind: 'volume' | 'network'): Promise<string[]> {
    const { stdout } = await this.docker(
      [kind, 'ls', '--filter', `label=${LABEL_MANAGED}`, '--format', `{{.Label "${this.keys.project}"}}`],
      `listing ${kind}s`,
    );
    return stdout.split('\n').filter(Boolean);
  }

  async removeResource(kind: 'volume' | 'network', name: string): Promise<void> {
    await this.docker([kind, 'rm', name], `removing ${kind} ${name}`);
  }

  async removeContainers(ids: string[], graceSeconds: number): Promise<void> {
    if (!ids.length) return;
    // Graceful stop first: Redis flushes its AOF / writes its RDB on SIGTERM (kept data stays whole).
    await this.runner.run('docker', ['stop', '--time', String(graceSeconds), ...ids]);
    await this.docker(['rm', '--force', '--volumes', ...ids], 'removing containers');
  }

  async imageExists(image: string): Promise<boolean> {
    // A reference is letters, digits and ._-/:@ (the engine reads the name, slashes and tag
    // included, from the path); anything else goes to the CLI, which says what is wrong with it.
    if (this.api && /^[A-Za-z0-9._\-/:@]+$/.test(image)) {
      return (await this.apiGet(this.api, `/images/${image}/json`, `inspecting image ${image}`, true)) !== undefined;
    }
    return (await this.runner.run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).exitCode === 0;
  }

  async pullImage(image: string, signal?: AbortSignal): Promise<{ ok: boolean; message: string }> {
    const result = await this.runner.run('docker', ['pull', '--quiet', image], { timeoutMs: 300_000, signal });
    return { ok: result.exitCode === 0, message: (result.stderr || result.stdout).trim().split('\n').pop() ?? '' };
  }

  async logs(id: string, lines: number): Promise<string> {
    const result = await this.runner.run('docker', ['logs', '--tail', String(lines), id]);
    return `${result.stdout}\n${result.stderr}`.trim();
  }

  /** `docker cp` out of a container: `<container id>:<path>` to a host path. */
  async copyFrom(id: string, pathInContainer: string, hostPath: string): Promise<void> {
    await this.docker(['cp', `${id}:${pathInContainer}`, hostPath], `docker cp ${id}:${pathInContainer} ${hostPath}`);
  }

  /**
   * Into a container as a tar stream on stdin (`docker cp - <id>:<dir>`), every entry owned by
   * `options.owner`: the engine keeps the uid/gid of the tar headers (see tar.ts for why not a
   * plain `docker cp` or `-a`). The directory must exist; running or stopped container alike.
   */
  async copyTo(id: string, hostPath: string, pathInContainer: string, options: CopyToOptions): Promise<void> {
    const dir = posix.dirname(pathInContainer);
    const name = posix.basename(pathInContainer);
    await this.docker(['cp', '-', `${id}:${dir}`], `docker cp ${hostPath} ${id}:${pathInContainer} (as ${options.owner.uid}:${options.owner.gid})`, {
      input: tarStream(hostPath, name, options.owner, options.modes),
    });
  }

  async exec(id: string, argv: string[], options: { stdin?: string; timeoutMs?: number } = {}) {
    return this.runner.run('docker', ['exec', ...(options.stdin === undefined ? [] : ['-i']), id, ...argv], {
      input: options.stdin,
      timeoutMs: options.timeoutMs,
    });
  }

  async containerAction(action: ContainerAction, id: string, options: { graceSeconds?: number; signal?: string } = {}): Promise<void> {
    const extra =
      (action === 'stop' || action === 'restart') && options.graceSeconds !== undefined
        ? ['--time', String(options.graceSeconds)]
        : action === 'kill' && options.signal
          ? ['--signal', options.signal]
          : [];
    await this.docker([action, ...extra, id], `docker ${action}`);
  }

  async network(action: 'disconnect' | 'connect', network: string, id: string, aliases: string[] = []): Promise<void> {
    const extra = aliases.flatMap((a) => ['--alias', a]);
    await this.docker(['network', action, ...extra, network, id], `docker network ${action}`);
  }
}
