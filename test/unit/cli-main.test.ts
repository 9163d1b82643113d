// The command line in-process: main(argv, environment) -> exit code, with a captured Io and a
// fake runtime. What a user sees of each error type, the exit codes the help promises, and
// that commands which talk to no engine build no runtime.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main, type CliEnvironment } from '../../src/cli/main.js';
import { EXIT } from '../../src/errors.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { captureIo, type CapturedIo } from '../helpers/io.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

interface Run {
  code: number;
  io: CapturedIo;
  /** How many times the command asked for the engine context. */
  contexts: number;
}

async function run(argv: string[], options: { runtime?: FakeRuntime; cwd?: string } = {}): Promise<Run> {
  const io = captureIo(options.cwd ?? REPO_ROOT);
  const runtime = options.runtime ?? new FakeRuntime();
  let contexts = 0;
  const env: CliEnvironment = {
    io,
    signal: new AbortController().signal,
    context: async () => {
      contexts++;
      return { runtime, signal: new AbortController().signal, io };
    },
  };
  const code = await main(argv, env);
  return { code, io, contexts };
}

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('main(): argv in, exit code and output out', () => {
  it('--version prints the package version (answered before yargs)', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, EXIT.ok);
    assert.equal(r.io.out(), `${version}\n`);
  });

  it('presets and presets --json, with no engine context', async () => {
    const text = await run(['presets']);
    assert.equal(text.code, EXIT.ok);
    assert.match(text.io.out(), /^basic\s+\S/m);
    const json = await run(['--json', 'presets']);
    assert.deepEqual((JSON.parse(json.io.out()) as { name: string }[]).map((p) => p.name), ['basic', 'sentinel', 'full', 'cluster']);
    assert.equal(text.contexts + json.contexts, 0);
  });

  it('through yargs: --help lists the commands and the exit codes, exit 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, EXIT.ok);
    assert.match(r.io.out(), /redis-ha presets/);
    assert.match(r.io.out(), /70 internal error \(a bug\)/);
    const render = await run(['render', '--help']);
    assert.equal(render.code, EXIT.ok);
    assert.match(render.io.out(), /Examples:\n\s+redis-ha render sentinel/);
    assert.equal(r.contexts + render.contexts, 0);
  });

  it('validate: a valid preset exits 0, an invalid topology 2, with no engine context', async () => {
    const ok = await run(['validate', 'sentinel']);
    assert.equal(ok.code, EXIT.ok, ok.io.err());
    assert.match(ok.io.out(), /redis-ha is valid: preset sentinel/);
    const bad = await run(['validate', 'sentinel', '--quorum', '9']);
    assert.equal(bad.code, EXIT.usage);
    assert.match(bad.io.err(), /sentinel\.quorum/);
    assert.equal(ok.contexts + bad.contexts, 0);
  });

  it('render writes the files and builds no runtime', async (t) => {
    const cwd = await makeTempDir('redis-ha-cli-main-');
    t.after(() => removeDir(cwd));
    const r = await run(['render', 'basic', '--out', 'out'], { cwd });
    assert.equal(r.code, EXIT.ok, r.io.err());
    assert.match(r.io.out(), /wrote {5}compose\.yaml/);
    assert.equal(r.contexts, 0);
  });

  it('a usage error (unknown command, unknown option) exits 2 with a hint', async () => {
    for (const argv of [['bogus'], ['render', '--bogus'], []]) {
      const r = await run(argv);
      assert.equal(r.code, EXIT.usage, argv.join(' '));
      assert.match(r.io.err(), /hint: run `redis-ha --help`/);
    }
  });

  it('an EnvironmentError from the runtime exits 3 with its hint; as JSON with --json', async () => {
    const runtime = new FakeRuntime();
    const { EnvironmentError } = await import('../../src/errors.js');
    runtime.script.checkEngine = async () => {
      throw new EnvironmentError('the Docker engine is not running', 'start it');
    };
    const text = await run(['cleanup', '--all'], { runtime });
    assert.equal(text.code, EXIT.environment);
    assert.match(text.io.err(), /redis-ha: the Docker engine is not running\n {2}hint: start it/);
    assert.equal(text.contexts, 1);
    const json = await run(['cleanup', '--all', '--json'], { runtime });
    assert.equal(json.code, EXIT.environment);
    assert.deepEqual(JSON.parse(json.io.out()), { ok: false, error: 'the Docker engine is not running', hint: 'start it' });
  });

  it('an error of no type of ours is a bug: exit 70 as the help says; the stack only with --verbose', async () => {
    const runtime = new FakeRuntime();
    runtime.script.checkEngine = async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'id')");
    };
    const quiet = await run(['cleanup', '--all'], { runtime });
    assert.equal(quiet.code, EXIT.internal);
    assert.match(quiet.io.err(), /redis-ha: internal error \(a bug in redis-ha; please report it\): Cannot read properties of undefined/);
    assert.match(quiet.io.err(), /run again with --verbose for the stack/);
    assert.doesNotMatch(quiet.io.err(), /\n\s+at /);
    const verbose = await run(['cleanup', '--all', '--verbose'], { runtime });
    assert.equal(verbose.code, EXIT.internal);
    assert.match(verbose.io.err(), /TypeError: Cannot read properties of undefined[^\n]*\n\s+at /);
  });

  it('an abort (Ctrl-C before the command said where it stopped) exits 130', async () => {
    const runtime = new FakeRuntime();
    runtime.script.checkEngine = async () => {
      throw new DOMException('This operation was aborted', 'AbortError');
    };
    const r = await run(['cleanup', '--all'], { runtime });
    assert.equal(r.code, EXIT.interrupted);
    assert.match(r.io.err(), /redis-ha: interrupted/);
  });
});
