// The flags every topology-taking command shares (render, validate, deploy), and how they
// become overrides of the preset and topology file.
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { LoadOptions, Override } from '../model/load.js';
import { PRESETS, PROFILES, TARGETS } from '../model/names.js';
import { defaultOutDir } from '../paths.js';

export interface TopologyArgs {
  preset?: string;
  file?: string;
  target?: string;
  name?: string;
  replicas?: number;
  shards?: number;
  replicasPerShard?: number;
  sentinels?: number;
  quorum?: number;
  profile?: string;
  bind?: string;
  hostAddress?: string;
  portBase?: number;
  persistence?: string;
  redisImage?: string;
  haproxyImage?: string;
  exporterImage?: string;
  tls?: boolean;
  monitoring?: boolean;
  prometheusImage?: string;
  alertmanager?: boolean;
  alertmanagerImage?: string;
  grafana?: boolean;
  grafanaImage?: string;
  out?: string;
}

/** flag -> dot-path in the topology. */
const FLAG_PATHS: [keyof TopologyArgs, string, string][] = [
  ['name', 'name', '--name'],
  ['target', 'target', '--target'],
  ['replicas', 'replicas', '--replicas'],
  ['shards', 'cluster.shards', '--shards'],
  ['replicasPerShard', 'cluster.replicasPerShard', '--replicas-per-shard'],
  ['sentinels', 'sentinel.count', '--sentinels'],
  ['quorum', 'sentinel.quorum', '--quorum'],
  ['profile', 'profile', '--profile'],
  ['bind', 'bind', '--bind'],
  ['hostAddress', 'hostAddress', '--host-address'],
  ['portBase', 'portBase', '--port-base'],
  ['persistence', 'redis.persistence', '--persistence'],
  ['redisImage', 'redis.image', '--redis-image'],
  ['haproxyImage', 'haproxy.image', '--haproxy-image'],
  ['exporterImage', 'exporter.image', '--exporter-image'],
  ['tls', 'tls.enabled', '--tls'],
  ['monitoring', 'monitoring.enabled', '--monitoring'],
  ['prometheusImage', 'monitoring.prometheus.image', '--prometheus-image'],
  ['alertmanager', 'monitoring.alertmanager.enabled', '--alertmanager'],
  ['alertmanagerImage', 'monitoring.alertmanager.image', '--alertmanager-image'],
  ['grafana', 'monitoring.grafana.enabled', '--grafana'],
  ['grafanaImage', 'monitoring.grafana.image', '--grafana-image'],
];

export function toLoadOptions(args: TopologyArgs, cwd: string): LoadOptions {
  const overrides: Override[] = [];
  for (const [key, path, flag] of FLAG_PATHS) {
    if (args[key] !== undefined) overrides.push({ path, value: args[key], flag });
  }
  return { preset: args.preset, file: args.file ? resolve(cwd, args.file) : undefined, overrides, cwd };
}

export function outDir(args: TopologyArgs, name: string, cwd: string): string {
  return args.out ? resolve(cwd, args.out) : defaultOutDir(name, cwd);
}

export function withTopologyOptions<T>(yargs: Argv<T>) {
  return yargs
    .option('file', { alias: 'f', type: 'string', describe: 'Topology file (YAML) overriding the preset', group: 'Topology:' })
    .option('target', { type: 'string', choices: TARGETS, describe: 'compose (one Docker host) or swarm (a stack file for docker stack deploy) [default: compose]', group: 'Topology:' })
    .option('name', { type: 'string', describe: 'Deployment (compose project) name [default: redis-ha]', group: 'Topology:' })
    .option('replicas', { type: 'number', describe: 'Number of replicas', group: 'Topology:' })
    .option('shards', { type: 'number', describe: 'cluster: number of shards (masters) [default: 3, at least 3]', group: 'Topology:' })
    .option('replicas-per-shard', { type: 'number', describe: 'cluster: replicas of each shard\'s master [default: 1]', group: 'Topology:' })
    .option('sentinels', { type: 'number', describe: 'Number of Sentinels', group: 'Topology:' })
    .option('quorum', { type: 'number', describe: 'Sentinels needed to agree the master is down', group: 'Topology:' })
    .option('profile', { type: 'string', choices: PROFILES, describe: 'Timing: default (down-after 5 s) or fast (1 s)', group: 'Topology:' })
    .option('bind', { type: 'string', describe: 'Host address for published ports [default: 127.0.0.1]', group: 'Topology:' })
    .option('host-address', { type: 'string', describe: "Where this machine reaches the published ports when the engine is remote (DOCKER_HOST's host; docker for a GitLab docker:dind service) [default: bind]", group: 'Topology:' })
    .option('port-base', { type: 'number', describe: 'First port of the published range [default: 7000]', group: 'Topology:' })
    .option('persistence', { type: 'string', choices: ['none', 'rdb', 'aof'], describe: 'Redis persistence [default: aof]', group: 'Topology:' })
    .option('tls', { type: 'boolean', describe: 'TLS on every Redis, Sentinel and HAProxy port; a private CA in <out>/tls/ [default: off]', group: 'Topology:' })
    .option('monitoring', { type: 'boolean', describe: 'A Prometheus in the deployment (scrapes every node, Sentinel and HAProxy; alert rules; login stats) [default: on in full]', group: 'Topology:' })
    .option('alertmanager', { type: 'boolean', describe: 'An Alertmanager beside Prometheus (needs monitoring); it notifies only monitoring.alertmanager.receiver, nobody by default [default: off]', group: 'Topology:' })
    .option('grafana', { type: 'boolean', describe: "A Grafana beside Prometheus (needs monitoring), provisioned with the deployment's dashboard; login stats [default: off]", group: 'Topology:' })
    .option('redis-image', { type: 'string', describe: 'Image for Redis and Sentinel', group: 'Images:' })
    .option('haproxy-image', { type: 'string', describe: 'Image for HAProxy', group: 'Images:' })
    .option('exporter-image', { type: 'string', describe: 'Image for redis_exporter', group: 'Images:' })
    .option('prometheus-image', { type: 'string', describe: 'Image for Prometheus (monitoring)', group: 'Images:' })
    .option('alertmanager-image', { type: 'string', describe: 'Image for Alertmanager (monitoring.alertmanager)', group: 'Images:' })
    .option('grafana-image', { type: 'string', describe: 'Image for Grafana (monitoring.grafana)', group: 'Images:' })
    .option('out', { type: 'string', describe: 'Output directory [default: ./.redis-ha/<name>]', group: 'Output:' });
}

export const PRESET_CHOICES = PRESETS;

/** The `[preset]` positional of render, validate and deploy (validate may take it from --file). */
export const presetPositional = <T>(y: Argv<T>, required: boolean) =>
  y.positional('preset', {
    type: 'string',
    describe: `Preset: ${PRESET_CHOICES.join(', ')}${required ? '' : ' (or "preset:" in --file)'}`,
  });

/** --force of the commands that write a deployment directory (render, deploy). */
export const forceOption = { type: 'boolean', describe: 'Write into a directory holding files redis-ha did not create' } as const;
