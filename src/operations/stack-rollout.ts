// The steps of a rolling deploy on swarm (rolling.ts runs the plan; this carries out its
// changes): each changed service is updated alone by deploying a staged stack file
// (runtime/stack-stage.ts) in which only the services done so far have their new definition,
// and waited for until its new task runs; a removed service is pruned from the stack with its
// data volume. The staged file lives beside stack.yaml (its `file:` paths are relative) and is
// removed once the whole new file is deployed; a rollout that stopped half-way leaves it as the
// record of what runs (the next render reads it).
import { join } from 'node:path';
import { parse } from 'yaml';
import { FailedError } from '../errors.js';
import { STACK_STAGE_FILE } from '../paths.js';
import { LABEL_CONFIG_HASH } from '../labels.js';
import type { ProjectSpec, Runtime } from '../runtime/runtime.js';
import { stageStack, type StackFile } from '../runtime/stack-stage.js';
import { waitFor } from '../wait.js';

export interface StackRollout {
  /** Deploys `service` with its new definition and waits until its new task runs. */
  update(service: string): Promise<void>;
  /** Takes `services` out of the stack, waits until their tasks are gone, removes their data volumes. */
  remove(services: string[]): Promise<void>;
  /** Writes the staged file before any step: what runs now. */
  record(): Promise<void>;
  /** Removes the staged file (once the whole new file is deployed). */
  close(): Promise<void>;
}

/** Writing and removing the staged file (the command hands the files layer's writer). */
export interface StageFileWriter {
  write(path: string, text: string): Promise<void>;
  remove(dir: string): Promise<void>;
}

export function stackRollout(runtime: Runtime, project: ProjectSpec, liveText: string, nextText: string, options: { timeoutMs: number; files: StageFileWriter }): StackRollout {
  const updated = new Set<string>();
  const removed = new Set<string>();
  const next = parse(nextText) as StackFile;
  const staged = { ...project, file: join(project.dir, STACK_STAGE_FILE) };
  const deploy = async () => {
    await options.files.write(staged.file, stageStack(liveText, nextText, updated, removed));
    await runtime.up(staged);
  };
  const tasksOf = async (service: string) => (await runtime.containers(project.name)).filter((c) => c.service === service && c.state === 'running');
  return {
    async update(service) {
      // The tasks that run now: the new ones are others. (The config-hash label alone cannot
      // tell them apart: it leaves out the secrets, so a rotation's tasks carry the old hash.)
      const before = new Set((await tasksOf(service)).map((c) => c.id));
      updated.add(service);
      await deploy();
      const hash = (next.services?.[service]?.labels as Record<string, string> | undefined)?.[LABEL_CONFIG_HASH];
      await waitFor(
        `the new task of ${service}`,
        async () => {
          const running = await tasksOf(service);
          const done = running.length > 0 && running.every((c) => !before.has(c.id) && (hash === undefined || c.labels[LABEL_CONFIG_HASH] === hash));
          return { verdict: done ? 'done' : 'waiting', value: undefined, state: running.map((c) => `${c.id.slice(0, 12)} ${c.labels[LABEL_CONFIG_HASH] ?? '?'}`).join(', ') || 'no task running' };
        },
        { timeoutMs: options.timeoutMs, intervalMs: 250 },
      ).catch((err: Error) => {
        throw new FailedError(`${service} was not replaced by a task of its new definition: ${err.message}`, `see \`docker service ps ${project.name}_${service} --no-trunc\``);
      });
    },
    async remove(services) {
      for (const s of services) removed.add(s);
      await deploy();
      await waitFor(
        `the tasks of ${services.join(', ')} to end`,
        async () => {
          const left = (await runtime.containers(project.name)).filter((c) => services.includes(c.service) && c.state === 'running');
          return { verdict: left.length ? 'waiting' : 'done', value: undefined, state: left.map((c) => c.service).join(', ') || 'gone' };
        },
        { timeoutMs: options.timeoutMs, intervalMs: 250 },
      );
      // Their data goes too: a node added again later starts clean. A stopped task's container
      // may still hold the volume for a moment: retried until the wait's end.
      const volumes = (await runtime.volumes(project.name)).filter((v) => services.some((s) => v.endsWith(`_${s}-data`)));
      for (const v of volumes) {
        await waitFor(
          `volume ${v} to be removed`,
          async () => {
            const ok = await runtime.removeVolume(v).then(() => true, () => false);
            return { verdict: ok ? 'done' : 'waiting', value: undefined, state: ok ? 'removed' : 'in use' };
          },
          { timeoutMs: options.timeoutMs, intervalMs: 500 },
        );
      }
    },
    record: () => options.files.write(staged.file, stageStack(liveText, nextText, [])),
    close: () => options.files.remove(project.dir),
  };
}
