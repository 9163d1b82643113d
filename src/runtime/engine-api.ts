// The Docker Engine API over its unix socket, for the reads every command makes (the engine's
// version, the deployment's containers, whether an image is there): one HTTP request each
// instead of starting the docker CLI, which costs 55-100 ms of CPU per call on a 2-core machine;
// a deploy's preflight makes five such calls and every health poll two, beside the containers
// that are starting. Used only where the CLI would reach the same engine the same way:
// DOCKER_HOST unset (the default socket) or unix://..., and no docker context selected.
// tcp:// and ssh:// hosts, TLS settings, contexts, and every write stay with the docker CLI.
// REDIS_HA_DOCKER=cli turns it off (the docker CLI for everything).
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

export interface ApiResponse<T> {
  status: number;
  /** The body as JSON (undefined when it is not JSON). */
  body: T | undefined;
  text: string;
}

export class EngineApi {
  constructor(readonly socketPath: string) {}

  /** GET `path` (unversioned: the engine answers in its own API version, as the CLI negotiates). */
  get<T>(path: string, timeoutMs = 30_000): Promise<ApiResponse<T>> {
    return new Promise((resolve, reject) => {
      // No agent: one connection per request (a unix socket costs nothing to open), none left
      // open to keep the process alive.
      const req = request({ socketPath: this.socketPath, path, method: 'GET', agent: false, headers: { Host: 'docker' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: T | undefined;
          try {
            body = JSON.parse(text) as T;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end();
    });
  }
}

/** The API client for the engine the docker CLI would use with `env`, when it is a unix socket; else undefined (use the CLI). */
export function engineApiFor(env: Record<string, string | undefined>): EngineApi | undefined {
  if (env.REDIS_HA_DOCKER === 'cli') return undefined;
  if (env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default') return undefined;
  const host = env.DOCKER_HOST;
  if (host) return host.startsWith('unix://') && host.length > 'unix://'.length ? new EngineApi(host.slice('unix://'.length)) : undefined;
  // `docker context use` is kept in the CLI's config file: a context other than the default
  // may point anywhere (Docker Desktop, rootless, a remote host).
  const configDir = env.DOCKER_CONFIG || (env.HOME ? join(env.HOME, '.docker') : undefined);
  if (configDir) {
    let current: string | undefined;
    try {
      current = (JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { currentContext?: string }).currentContext;
    } catch {
      current = undefined; // no config file, or not JSON: the CLI uses the default too
    }
    if (current && current !== 'default') return undefined;
  }
  return new EngineApi('/var/run/docker.sock');
}
