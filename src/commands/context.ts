// What the CLI hands every command that talks to the engine.
import type { Io } from '../io.js';
import type { RuntimeFor } from '../runtime/factory.js';
import type { Runtime } from '../runtime/runtime.js';

export interface CommandContext {
  runtime: Runtime;
  /** Aborted on the first Ctrl-C / SIGTERM; each command checks it at every stage. */
  signal: AbortSignal;
  io: Io;
  /** The runtime of a target (compose, swarm); absent in tests that hand one runtime. */
  runtimeFor?: RuntimeFor;
}
