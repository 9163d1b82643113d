// What the CLI hands every command that talks to the engine, and the engine a command on a
// deployment talks to (the swarm's for a deployment that targets swarm).
import type { Argv } from 'yargs';
import { EnvironmentError, FailedError } from '../errors.js';
import type { Io } from '../io.js';
import type { Topology } from '../model/schema.js';
import type { CommandRunner } from '../runtime/exec.js';
import type { RuntimeFor } from '../runtime/factory.js';
import { readNodeHosts } from '../files/node-hosts.js';
import { appendText } from '../files/writer.js';
import { parseNodeHosts } from '../runtime/node-hosts.js';
import type { MultiNodeEngine, Runtime } from '../runtime/runtime.js';
import { swarmHostOf } from '../runtime/swarm-plan.js';

export interface CommandContext {
  runtime: Runtime;
  /** Aborted on the first Ctrl-C / SIGTERM; each command checks it at every stage. */
  signal: AbortSignal;
  io: Io;
  /** The runtime of a target (compose, swarm); absent in tests that hand one runtime. */
  runtimeFor?: RuntimeFor;
  /** Runs the programs that are not an engine's (the lab's); ended with the runtimes on a second Ctrl-C. */
  runner?: CommandRunner;
}

/** The options every command takes (yargs `global`). */
export interface GlobalArgs {
  json?: boolean;
  verbose?: boolean;
}

/**
 * What a command's yargs definition (src/commands/*-cli.ts) is handed by the command line: the
 * terminal, Ctrl-C, the exit code, and the engine context, built on first use so that a command
 * that starts no process loads no runtime.
 */
export interface CommandLine {
  io: Io;
  signal: AbortSignal;
  /** The runtime(s) and the rest, for the commands that talk to the engine. */
  context(): Promise<CommandContext>;
  /** The exit code when the command returns normally (0 unless set). */
  setExit(code: number): void;
}

/** The arguments a command's yargs builder hands its handler (typed from the options it declares). */
export type BuiltArgs<B> = B extends (y: never) => Argv<infer U> | PromiseLike<Argv<infer U>> ? U : never;

/** A swarm as a command sees it: the Runtime (through a manager) and its multi-node part. */
export interface SwarmEngine {
  runtime: Runtime;
  swarm: MultiNodeEngine;
}

/** The swarm runtime for a deployment directory: the hosts recorded there, overridden by --node-host. */
export async function swarmRuntimeFor(ctx: Pick<CommandContext, 'runtime' | 'runtimeFor'>, dir: string, nodeHost: string[] | undefined): Promise<SwarmEngine> {
  const given = parseNodeHosts(nodeHost);
  const recorded = parseNodeHosts(Object.entries(await readNodeHosts(dir)).map(([node, host]) => `${node}=${host}`));
  const runtime = ctx.runtimeFor ? ctx.runtimeFor('swarm', { ...recorded, ...given }) : ctx.runtime;
  const swarm = runtime.multiNode;
  if (!swarm) throw new EnvironmentError('this deployment targets swarm, but the runtime handed to the command reaches one engine, not a swarm');
  return { runtime, swarm };
}

/**
 * The swarm of a deployment for an operation that stops or moves its nodes (switchover,
 * restore), every node ready and active: a node down or drained may hold a Redis node or a
 * Sentinel the operation needs, and its tasks are about to move. Fails (exit 1) naming each such
 * node before anything changes. With the address each service answers at (its task's node).
 */
export async function availableSwarm(
  ctx: Pick<CommandContext, 'runtime' | 'runtimeFor'>,
  dir: string,
  t: Topology,
  nodeHost: string[] | undefined,
  operation: string,
): Promise<SwarmEngine & { hostOf: (service: string) => string }> {
  const { runtime, swarm } = await swarmRuntimeFor(ctx, dir, nodeHost);
  await runtime.checkEngine();
  const unavailable = (await swarm.nodes()).filter((n) => n.state !== 'ready' || n.availability !== 'active');
  if (unavailable.length) {
    throw new FailedError(
      `node ${unavailable.map((n) => `${n.hostname} is ${n.state !== 'ready' ? n.state : n.availability}`).join(', node ')}; no ${operation} of ${t.name} while a node is not ready and active (nothing was changed)`,
      `bring the node back (\`docker node update --availability active <node>\`, or restart its engine), wait for \`redis-ha status\` to say healthy, then run the ${operation} again`,
    );
  }
  // Listed once, so that the floating services (HAProxy) are found on their node.
  await runtime.containers(t.name);
  return { runtime, swarm, hostOf: await swarmHostOf(swarm, t) };
}

/** The engine a command on a live deployment talks to, checked: the swarm's when it targets swarm (--target overrides), with the node of each service. */
export async function liveEngine(
  ctx: Pick<CommandContext, 'runtime' | 'runtimeFor'>,
  dir: string,
  t: Topology,
  options: { target?: string; nodeHost?: string[] },
): Promise<{ runtime: Runtime; hostOf?: (service: string) => string }> {
  if ((options.target ?? t.target) !== 'swarm') {
    await ctx.runtime.checkEngine();
    return { runtime: ctx.runtime };
  }
  const { runtime, swarm } = await swarmRuntimeFor(ctx, dir, options.nodeHost);
  await runtime.checkEngine();
  return { runtime, hostOf: await swarmHostOf(swarm, t) };
}

/** Appends Markdown to the CI job's summary when there is one (GITHUB_STEP_SUMMARY); a failure to write is a warning. */
export async function appendStepSummary(io: Io, markdown: string): Promise<void> {
  if (!io.stepSummary) return;
  try {
    await appendText(io.stepSummary, `${markdown}\n`);
  } catch (err) {
    io.stderr.write(`warning: could not append to the step summary ${io.stepSummary}: ${(err as Error).message}\n`);
  }
}

