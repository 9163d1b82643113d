// Label keys: redis-ha's own (written by synth, read by the runtime) and the ones the engine
// sets. The one module both sides import, so a key cannot drift between writer and reader.

/** On every container, network and volume redis-ha creates: cleanup touches nothing else. */
export const LABEL_MANAGED = 'io.redis-ha.managed';
/** Hash of the inputs a service reads: a changed config re-creates exactly that service. */
export const LABEL_CONFIG_HASH = 'io.redis-ha.config-hash';
export const LABEL_PRESET = 'io.redis-ha.preset';

/** Set by Docker Compose (v1 and v2) on what it creates. */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  /** The --project-directory of the `up` that created the container (what `docker compose ls` shows). */
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
} as const;

/** Set by Docker Swarm (`docker stack deploy`) on what a stack creates. */
export const SWARM_LABELS = {
  /** The stack name, on services, containers, networks, volumes, configs, secrets. */
  project: 'com.docker.stack.namespace',
  /** `<stack>_<service>` on containers. */
  service: 'com.docker.swarm.service.name',
} as const;
