// A compose project the bench writes itself (the floors, the tutorial file): its files in a
// temporary directory, `docker-compose up -d`, and a `down` that removes containers, networks,
// volumes and the directory. `up` cleans up after itself when it fails.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { NO_AUTH, withConnection } from '../src/probes/connect.js';
import { sleep } from '../src/wait.js';

export interface ComposeProject {
  project: string;
  dir: string;
  /** performance.now() just before `docker-compose up` was spawned. */
  startedAt: number;
  down(): Promise<void>;
}

/** Writes `files` (compose.yaml and what it mounts) and starts the project. */
export async function upProject(project: string, files: Record<string, string>): Promise<ComposeProject> {
  const dir = await mkdtemp(join(tmpdir(), `${project}-`));
  // Readable by the images' own users (haproxy, the exporter's 59000) through bind mounts.
  await chmod(dir, 0o755);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text, { mode: 0o644 });
  const compose = ['-p', project, '-f', join(dir, 'compose.yaml')];
  const down = async () => {
    await execa('docker-compose', [...compose, 'down', '-v', '--remove-orphans', '-t', '1'], { reject: false, stdin: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  };
  // A project of the same name that a broken run left behind.
  await execa('docker-compose', [...compose, 'down', '-v', '--remove-orphans', '-t', '1'], { reject: false, stdin: 'ignore' });
  const startedAt = performance.now();
  try {
    await execa('docker-compose', [...compose, 'up', '-d'], { stdin: 'ignore' });
  } catch (err) {
    await down();
    throw err;
  }
  return { project, dir, startedAt, down };
}

/** Whether a Redis or Sentinel on 127.0.0.1:`port` answers PING now. */
export const answersPing = (port: number) =>
  withConnection({ host: '127.0.0.1', port }, NO_AUTH, (r) => r.ping(), 500).then(
    () => true,
    () => false,
  );

/** Polls every 50 ms until every port answers PING; ms since `since`. */
export async function untilPing(ports: number[], since: number, limitMs = 120_000): Promise<number> {
  for (;;) {
    const answers = await Promise.all(ports.map(answersPing));
    if (answers.every(Boolean)) return performance.now() - since;
    if (performance.now() - since > limitMs) throw new Error(`ports ${ports.join(', ')} did not all answer PING within ${limitMs / 1000} s`);
    await sleep(50);
  }
}
