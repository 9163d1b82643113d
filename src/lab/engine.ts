// One node's Docker engine: start it detached in the node's namespaces, wait until it answers,
// stop it (SIGTERM, then SIGKILL), or kill it with everything it runs (a host losing power).
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { EnvironmentError } from '../errors.js';
import { waitFor, WaitTimeoutError } from '../wait.js';
import { run } from './exec.js';
import { tail } from '../runtime/exec.js';
import { dockerArgv, engineArgv } from './engine-argv.js';
import { LAB_CGROUP_PREFIX, type LabNodePlan } from './plan.js';
import { alive, findProcesses, killNow, stopProcesses, waitGone, type ProcessMatch } from './processes.js';

export const ENGINE_START_TIMEOUT_MS = 60_000;

/** What marks a process as this node's: its roots in args/cwd, or its containers' cgroup. */
export function nodeProcessMatch(node: Pick<LabNodePlan, 'dataRoot' | 'runRoot' | 'index'>): ProcessMatch {
  return { roots: [node.dataRoot, node.runRoot], cgroup: new RegExp(`^/${LAB_CGROUP_PREFIX}${node.index}(/|$)`) };
}

/** `docker -H <node>` with a time limit: a wedged engine must not hang the caller. */
export async function nodeDocker(node: Pick<LabNodePlan, 'dockerHost'>, args: string[], timeoutMs = 15_000) {
  const { file, args: argv } = dockerArgv(node, args);
  return run(file, argv, { timeoutMs });
}

export async function engineAnswers(node: Pick<LabNodePlan, 'dockerHost'>): Promise<boolean> {
  const r = await nodeDocker(node, ['version', '--format', '{{.Server.Version}}'], 5000).catch(() => undefined);
  return r?.exitCode === 0;
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export interface EnginePids {
  dockerd?: number;
  containerd?: number;
}

export async function enginePids(node: LabNodePlan): Promise<EnginePids> {
  return { dockerd: await readPid(node.pidFile), containerd: await readPid(node.containerdPidFile) };
}

/**
 * Starts the node's engine detached (own session, output to its log file, so no pipe of the
 * caller stays open) and waits until it answers on its socket.
 */
export async function startEngine(node: LabNodePlan, signal?: AbortSignal): Promise<EnginePids> {
  await mkdir(node.etcDir, { recursive: true, mode: 0o700 });
  await mkdir(node.runRoot, { recursive: true, mode: 0o700 });
  await writeFile(node.configFile, '{}\n', { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  // Pidfiles naming a dead process are removed: a killed engine's (or its containerd's) pid
  // may linger as a zombie, which dockerd takes for "running" (it then refuses to start, or
  // waits for a containerd that will never answer). A live engine means it runs already.
  const engine = await readPid(node.pidFile);
  if (engine !== undefined && (await alive(engine))) {
    throw new EnvironmentError(`the Docker engine of ${node.name} runs already (pid ${engine})`, 'stop it first (`redis-ha lab down`)');
  }
  for (const file of [node.pidFile, node.containerdPidFile]) {
    const pid = await readPid(file);
    if (pid !== undefined && !(await alive(pid))) await rm(file, { force: true });
  }
  const log = openSync(node.logFile, 'a', 0o600);
  const { file, args } = engineArgv(node);
  let exited: string | undefined;
  try {
    const child = spawn(file, args, { cwd: '/', detached: true, stdio: ['ignore', log, log] });
    child.on('error', (err) => (exited = err.message));
    child.on('exit', (code, sig) => (exited = `exited (${sig ?? `code ${code}`})`));
    child.unref();
  } finally {
    closeSync(log);
  }
  try {
    await waitFor(
      `the Docker engine of ${node.name}`,
      async () => {
        if (await engineAnswers(node)) return { verdict: 'done', value: undefined, state: 'answers' };
        return { verdict: exited ? 'fatal' : 'waiting', value: undefined, state: exited ?? 'does not answer' };
      },
      { timeoutMs: ENGINE_START_TIMEOUT_MS, intervalMs: 200, signal },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const logTail = tail(await readFile(node.logFile, 'utf8').catch(() => ''), 8);
    throw new EnvironmentError(
      `the Docker engine of ${node.name} ${exited ?? `did not answer on ${node.socket} within ${ENGINE_START_TIMEOUT_MS / 1000} s`}; last lines of ${node.logFile}:\n${logTail}`,
      'see the log above; `redis-ha lab down` removes what was built',
    );
  }
  return enginePids(node);
}

/** Stops the engine (SIGTERM, SIGKILL after graceMs) and every process left of the node. */
export async function stopEngine(node: LabNodePlan, graceMs = 10_000): Promise<number[]> {
  const dockerd = await readPid(node.pidFile);
  const graceful = dockerd && (await findProcesses(nodeProcessMatch(node))).includes(dockerd) ? [dockerd] : [];
  return stopProcesses(graceful, nodeProcessMatch(node), graceMs);
}

/**
 * SIGKILL, at the same instant, the node's dockerd, containerd, shims and container
 * processes: a host that lost power. Returns the pids it killed.
 */
export async function killEngine(node: LabNodePlan): Promise<number[]> {
  const pids = await findProcesses(nodeProcessMatch(node));
  killNow(pids);
  const left = await waitGone(pids, 10_000);
  if (left.length) throw new EnvironmentError(`${node.name}: processes ${left.join(', ')} survived SIGKILL`);
  return pids;
}
