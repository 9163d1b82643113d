// The docker CLI, read as JSON. Containers are found by their compose labels, never by
// parsing generated names (v1 `proj_svc_1` vs v2 `proj-svc-1`) or table columns.
import { EnvironmentError } from '../errors.js';
import { LABEL_MANAGED } from '../synth/compose.js';
import { run, runChecked } from './exec.js';

export const LABEL_PROJECT = 'com.docker.compose.project';
export const LABEL_SERVICE = 'com.docker.compose.service';

export interface ContainerInfo {
  id: string;
  name: string;
  project: string;
  service: string;
  /** created | running | paused | restarting | removing | exited | dead */
  state: string;
  /** starting | healthy | unhealthy, or undefined without a healthcheck */
  health?: string;
  exitCode: number;
  labels: Record<string, string>;
  /** container port ("6379/tcp") -> host ports */
  ports: Record<string, { hostIp: string; hostPort: number }[]>;
  networks: string[];
}

interface InspectJson {
  Id: string;
  Name: string;
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
  Config: { Labels: Record<string, string> | null };
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, unknown> | null;
  };
}

/** Fails with a clear message when there is no docker CLI or no engine answering. */
export async function checkEngine(): Promise<{ serverVersion: string }> {
  const result = await run('docker', ['version', '--format', '{{json .}}']);
  let parsed: { Server?: { Version?: string } | null } = {};
  try {
    parsed = JSON.parse(result.stdout || '{}');
  } catch {
    /* not JSON: treated as no server below */
  }
  if (result.exitCode !== 0 || !parsed.Server?.Version) {
    const host = process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : 'the default socket (DOCKER_HOST is not set)';
    throw new EnvironmentError(
      `the Docker engine is not reachable at ${host}: ${result.stderr.trim().split('\n').pop() ?? ''}`,
      'start the engine (e.g. `dockerd` or `systemctl start docker`), check DOCKER_HOST, and try `docker info`',
    );
  }
  return { serverVersion: parsed.Server.Version };
}

export async function inspectContainers(ids: string[]): Promise<ContainerInfo[]> {
  if (ids.length === 0) return [];
  const result = await run('docker', ['inspect', ...ids]);
  // A container removed between `ps` and `inspect` makes inspect exit 1 but still print the rest.
  const items = JSON.parse(result.stdout || '[]') as InspectJson[];
  return items.map((c) => {
    const labels = c.Config.Labels ?? {};
    const ports: ContainerInfo['ports'] = {};
    for (const [port, bindings] of Object.entries(c.NetworkSettings.Ports ?? {})) {
      ports[port] = (bindings ?? []).map((b) => ({ hostIp: b.HostIp, hostPort: Number(b.HostPort) }));
    }
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      project: labels[LABEL_PROJECT] ?? '',
      service: labels[LABEL_SERVICE] ?? '',
      state: c.State.Status,
      health: c.State.Health?.Status,
      exitCode: c.State.ExitCode,
      labels,
      ports,
      networks: Object.keys(c.NetworkSettings.Networks ?? {}),
    };
  });
}

/** Containers (running or not) carrying every given label (`key=value` or `key`). */
export async function containersByLabel(...labels: string[]): Promise<ContainerInfo[]> {
  const filters = labels.flatMap((l) => ['--filter', `label=${l}`]);
  const { stdout } = await runChecked('docker', ['ps', '-a', '-q', '--no-trunc', ...filters], 'listing containers');
  const ids = stdout.split('\n').filter(Boolean);
  return (await inspectContainers(ids)).sort((a, b) => a.service.localeCompare(b.service, 'en', { numeric: true }));
}

export const projectContainers = (project: string) => containersByLabel(`${LABEL_PROJECT}=${project}`);

export async function resourcesByLabel(kind: 'volume' | 'network', ...labels: string[]): Promise<string[]> {
  const filters = labels.flatMap((l) => ['--filter', `label=${l}`]);
  const { stdout } = await runChecked('docker', [kind, 'ls', ...filters, '--format', '{{.Name}}'], `listing ${kind}s`);
  return stdout.split('\n').filter(Boolean).sort();
}

/** Every redis-ha project that has containers, volumes or networks on this engine. */
export async function managedProjects(): Promise<string[]> {
  const [containers, volumes, networks] = await Promise.all([
    containersByLabel(LABEL_MANAGED),
    resourceProjects('volume'),
    resourceProjects('network'),
  ]);
  return [...new Set([...containers.map((c) => c.project), ...volumes, ...networks])].filter(Boolean).sort();
}

async function resourceProjects(kind: 'volume' | 'network'): Promise<string[]> {
  const { stdout } = await runChecked(
    'docker',
    [kind, 'ls', '--filter', `label=${LABEL_MANAGED}`, '--format', `{{.Label "${LABEL_PROJECT}"}}`],
    `listing ${kind}s`,
  );
  return stdout.split('\n').filter(Boolean);
}

export async function imageExists(image: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).exitCode === 0;
}

export async function pullImage(image: string): Promise<{ ok: boolean; message: string }> {
  const result = await run('docker', ['pull', '--quiet', image], { timeout: 300_000 });
  return { ok: result.exitCode === 0, message: (result.stderr || result.stdout).trim().split('\n').pop() ?? '' };
}

export async function containerLogs(id: string, lines: number): Promise<string> {
  const result = await run('docker', ['logs', '--tail', String(lines), id]);
  return `${result.stdout}\n${result.stderr}`.trim();
}

/** Fault injection and healing, used by test-failover. */
export const containerAction = (
  action: 'kill' | 'stop' | 'start' | 'pause' | 'unpause' | 'restart',
  id: string,
  extra: string[] = [],
) => runChecked('docker', [action, ...extra, id], `docker ${action}`);

export const networkAction = (action: 'disconnect' | 'connect', network: string, id: string, extra: string[] = []) =>
  runChecked('docker', ['network', action, ...extra, network, id], `docker network ${action}`);
