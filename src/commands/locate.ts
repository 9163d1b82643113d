// Where a deployment's files are: --dir; else ./.redis-ha/<name>; else the directory its
// containers were started from (the compose working-dir label, as `docker compose ls` shows),
// so a deployment rendered with --out elsewhere, or run from another directory, is found.
import { deploymentDir, deploymentName, hasDeployment } from '../files/deployment.js';
import type { Runtime } from '../runtime/runtime.js';

export async function locateDeployment(options: { name?: string; dir?: string }, runtime: Runtime, cwd: string): Promise<string> {
  const local = deploymentDir(options, cwd);
  if (options.dir || hasDeployment(local)) return local;
  const name = deploymentName(options, cwd);
  // An engine that does not answer is reported by the command; here it only means "not found".
  const projects = await runtime.projects().catch(() => []);
  const dir = projects.find((p) => p.name === name)?.workingDir;
  return dir && hasDeployment(dir) ? dir : local;
}
