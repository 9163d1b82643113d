// The command line in-process for tests that only need its exit code and output: main(argv)
// with a captured Io and a fake runtime (commands that refuse their input never reach it).
import { main, type CliEnvironment } from '../../src/cli/main.js';
import { FakeRuntime } from './fake-runtime.js';
import { captureIo } from './io.js';

export async function runMain(argv: string[], cwd: string) {
  const io = captureIo(cwd);
  const env: CliEnvironment = {
    io,
    signal: new AbortController().signal,
    context: async () => ({ runtime: new FakeRuntime(), signal: new AbortController().signal, io }),
  };
  return { code: await main(argv, env), io };
}
