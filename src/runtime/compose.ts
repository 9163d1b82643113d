// Docker Compose behind a small interface. `docker compose` (v2) when present, else
// `docker-compose` (v1); every call names the project, the file and the project directory.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { run, runChecked, type RunResult } from './exec.js';

export interface ComposeProject {
  /** Compose project name (the deployment name). */
  name: string;
  /** Directory holding compose.yaml and .env. */
  dir: string;
  file: string;
}

export interface ComposeClient {
  readonly variant: 'v2' | 'v1';
  /** Resolved lazily for v1: asking docker-compose (Python) costs half a second. */
  version(): Promise<string>;
  up(project: ComposeProject): Promise<void>;
  down(project: ComposeProject, options: { volumes: boolean }): Promise<void>;
}

/** The argv for one compose call; exported for tests of both variants. */
export function composeArgv(variant: 'v1' | 'v2', project: ComposeProject, args: string[]): [string, string[]] {
  const common = ['-p', project.name, '-f', project.file, '--project-directory', project.dir, ...args];
  return variant === 'v2' ? ['docker', ['compose', ...common]] : ['docker-compose', common];
}

class CliCompose implements ComposeClient {
  constructor(
    readonly variant: 'v1' | 'v2',
    private readonly versionOf: () => Promise<string>,
  ) {}

  private cachedVersion?: Promise<string>;
  version(): Promise<string> {
    this.cachedVersion ??= this.versionOf();
    return this.cachedVersion;
  }

  private exec(project: ComposeProject, args: string[], what: string): Promise<RunResult> {
    const [file, argv] = composeArgv(this.variant, project, args);
    return runChecked(file, argv, `${what} of ${project.name}`, { cwd: project.dir });
  }

  async up(project: ComposeProject): Promise<void> {
    // Only changed services are re-created; orphans are services a previous render had.
    await this.exec(project, ['up', '-d', '--remove-orphans'], 'compose up');
  }

  async down(project: ComposeProject, options: { volumes: boolean }): Promise<void> {
    await this.exec(project, ['down', '--remove-orphans', ...(options.volumes ? ['--volumes'] : [])], 'compose down');
  }
}

/**
 * Finds Compose: v2 plugin first, then v1. REDIS_HA_COMPOSE=v1|v2 forces one.
 */
export async function detectCompose(): Promise<ComposeClient> {
  const forced = process.env.REDIS_HA_COMPOSE;
  if (forced !== 'v1') {
    const v2 = await run('docker', ['compose', 'version', '--short']).catch(() => undefined);
    if (v2 && v2.exitCode === 0 && v2.stdout.trim()) {
      const version = v2.stdout.trim();
      return new CliCompose('v2', async () => version);
    }
    if (forced === 'v2') throw new EnvironmentError('Docker Compose v2 (`docker compose`) is not available', 'unset REDIS_HA_COMPOSE to fall back to docker-compose v1');
  }
  if (onPath('docker-compose')) {
    return new CliCompose('v1', async () => {
      const v1 = await run('docker-compose', ['version', '--short']);
      return v1.stdout.trim() || 'unknown';
    });
  }
  throw new EnvironmentError(
    'Docker Compose is not installed: neither `docker compose` (v2) nor `docker-compose` (v1) answers',
    'install the Compose plugin (e.g. `apt-get install docker-compose-plugin`) or `apt-get install docker-compose`',
  );
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
