// The lab's programs go through the runner the command line hands the lab commands, and that
// runner's children are ended with the runtimes' (the second Ctrl-C). A recording runner stands
// in for the real one: no lab program runs here (its own test file: the lab's runner is per process).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labStatus } from '../../src/commands/lab.js';
import { CommandRunner, type RunResult } from '../../src/runtime/exec.js';
import { RuntimeFactory } from '../../src/runtime/factory.js';
import { waitFor } from '../helpers/binaries.js';

/** Records each program it is asked to run and runs none (an empty, failed result). */
class RecordingRunner extends CommandRunner {
  readonly ran: string[] = [];
  constructor() {
    super({});
  }
  override async run(file: string, args: string[]): Promise<RunResult> {
    this.ran.push([file, ...args].join(' '));
    return { stdout: '', stderr: 'not run (recording runner)', exitCode: 1 };
  }
}

describe("the lab's runner", () => {
  it('lab status runs its programs through the runner in the command context', async () => {
    const runner = new RecordingRunner();
    await labStatus({}, { runner });
    // With or without a lab on this machine, status asks `ip` (namespaces, or each node's link).
    assert.ok(runner.ran.some((r) => r.startsWith('ip ')), `ran: ${runner.ran.join('; ')}`);
  });

  it("the factory's runner is ended with the runtimes (a second Ctrl-C ends the lab's children too)", async () => {
    const factory = new RuntimeFactory(process.env);
    const started = Date.now();
    const sleeping = factory.runner.run('sleep', ['30']);
    assert.ok(await waitFor(() => factory.runner.running === 1, 5000), 'sleep started');
    assert.equal(factory.killChildren(), 1);
    const result = await sleeping;
    assert.notEqual(result.exitCode, 0);
    assert.ok(Date.now() - started < 10_000, 'ended, not waited out');
    assert.equal(factory.runner.running, 0);
  });
});
