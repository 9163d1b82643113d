// The docs work as written: every redis-ha command line shown in a code block of README.md,
// CONTRIBUTING.md or docs/*.md parses with the CLI's own parser (the registry main() uses;
// unknown options, missing positionals and wrong choices fail, named by file:line), and
// every relative link leads to a file (and heading) that exists. Parsing runs no command:
// a yargs middleware, which runs after validation and before any handler, stops there.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildCli } from '../../src/cli/registry.js';
import type { CommandLine } from '../../src/commands/context.js';
import { captureIo } from '../helpers/io.js';
import { codeBlockLines, headingAnchors, markdownLinks, redisHaArgs, shellCommands } from '../helpers/markdown.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { makeTempDir, removeDir } from '../helpers/tmp.js';

const DOC_FILES = [
  join(REPO_ROOT, 'README.md'),
  join(REPO_ROOT, 'CONTRIBUTING.md'),
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(REPO_ROOT, 'docs', name)),
];

const where = (file: string, line: number) => `${relative(REPO_ROOT, file)}:${line}`;

/** Thrown by the middleware once yargs has validated the command line, before the handler. */
const PARSED = new Error('parsed, not run');

/** Why redis-ha would refuse this command line, or undefined when it parses. Runs no command. */
async function parseError(argv: string[], cwd: string): Promise<string | undefined> {
  const cli: CommandLine = {
    io: captureIo(cwd),
    signal: new AbortController().signal,
    context: () => Promise.reject(new Error('a command ran: the docs test must only parse')),
    setExit: () => undefined,
  };
  let output = '';
  try {
    await buildCli(argv, cli)
      .middleware(() => {
        throw PARSED;
      })
      .parseAsync(argv, {}, (_err, _argv, text) => void (output = text));
  } catch (err) {
    if (err === PARSED) return undefined;
    return err instanceof Error ? err.message.replace(/\s+/g, ' ') : String(err);
  }
  // No middleware ran: yargs answered --help or --version itself (and printed nothing).
  return output ? undefined : 'neither parsed nor answered (did a handler run?)';
}

interface ShownCommand {
  where: string;
  text: string;
  argv: string[];
}

function shownCommands(file: string): ShownCommand[] {
  return codeBlockLines(readFileSync(file, 'utf8')).flatMap(({ line, text }) =>
    shellCommands(text).flatMap((command) => {
      const argv = redisHaArgs(command);
      return argv ? [{ where: where(file, line), text: text.trim(), argv }] : [];
    }),
  );
}

describe('docs: every command line shown parses with the CLI\'s own parser', () => {
  let cwd: string;
  before(async () => (cwd = await makeTempDir()));
  after(() => removeDir(cwd));

  const shown = DOC_FILES.flatMap(shownCommands);

  it('finds the command lines (README\'s main job and the Debian deploy among them)', () => {
    const lines = shown.map((c) => c.argv.join(' '));
    assert.ok(lines.includes('deploy sentinel'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('deploy full --redis-image redis-ha-local/redis:7.0 --haproxy-image')), lines.join('\n'));
    assert.ok(shown.length >= 20, `only ${shown.length} command lines found`);
  });

  it('each one parses (unknown options, missing arguments and wrong choices fail, by file:line)', async () => {
    const failures: string[] = [];
    for (const command of shown) {
      const error = await parseError(command.argv, cwd);
      if (error) failures.push(`${command.where}: ${command.text}\n    ${error}`);
    }
    assert.equal(failures.length, 0, `command lines that redis-ha refuses:\n${failures.join('\n')}`);
  });

  it('parsing runs nothing: a render shown in the docs writes no file', async () => {
    assert.equal(await parseError(['render', 'full', '--out', 'out'], cwd), undefined);
    assert.equal(existsSync(join(cwd, 'out')), false);
  });

  it('a broken line fails: unknown option, missing positional, wrong choice, unknown command', async () => {
    assert.match((await parseError(['deploy', 'sentinel', '--replicaz', '3'], cwd)) ?? '', /Unknown argument: replicaz/);
    assert.match((await parseError(['restore', '--yes'], cwd)) ?? '', /Not enough non-option arguments/);
    assert.match((await parseError(['deploy', 'full', '--strategy', 'bluegreen'], cwd)) ?? '', /Invalid values/);
    assert.match((await parseError(['deplyo', 'full'], cwd)) ?? '', /Unknown argument|Did you mean/);
  });

  it('the README keeps the commands CI and newcomers copy, exactly as written', () => {
    const readme = codeBlockLines(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).map((l) => l.text.trim());
    for (const line of ['npm ci && npm run build && node dist/src/cli.js deploy sentinel', 'npm ci && npm test', 'sudo bash test/support/setup-docker.sh']) {
      assert.ok(readme.includes(line), `README.md has no code line \`${line}\``);
    }
  });

  it('every `npm run X` shown is a script of package.json, every `bash FILE` a file', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts);
    const failures: string[] = [];
    for (const file of DOC_FILES) {
      for (const { line, text } of codeBlockLines(readFileSync(file, 'utf8'))) {
        for (let words of shellCommands(text)) {
          while (words[0] === 'sudo' || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) words = words.slice(1);
          if (words[0] === 'npm' && words[1] === 'run' && !scripts.includes(words[2] ?? '')) failures.push(`${where(file, line)}: no script ${words[2]}`);
          if (words[0] === 'bash' && words[1] && !existsSync(join(REPO_ROOT, words[1]))) failures.push(`${where(file, line)}: no file ${words[1]}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });
});

describe('docs: every relative link resolves', () => {
  it('to an existing file, and to an existing heading when it names one', () => {
    const failures: string[] = [];
    for (const file of DOC_FILES) {
      for (const { line, target } of markdownLinks(readFileSync(file, 'utf8'))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const to = path ? join(dirname(file), decodeURIComponent(path)) : file;
        if (!existsSync(to)) {
          failures.push(`${where(file, line)}: ${target}: no file ${relative(REPO_ROOT, to)}`);
        } else if (anchor && to.endsWith('.md') && !headingAnchors(readFileSync(to, 'utf8')).has(anchor)) {
          failures.push(`${where(file, line)}: ${target}: no heading #${anchor} in ${relative(REPO_ROOT, to)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('each docs page says what it is and links back to the README, and the README links to each page', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    for (const file of DOC_FILES.filter((f) => dirname(f) === join(REPO_ROOT, 'docs'))) {
      const page = readFileSync(file, 'utf8');
      assert.match(page, /^# .+\n\n.+\]\(\.\.\/README\.md\)/, `${relative(REPO_ROOT, file)}: a title, then a one-line summary linking to ../README.md`);
      assert.ok(readme.includes(`](docs/${relative(join(REPO_ROOT, 'docs'), file)})`), `README.md does not link to ${relative(REPO_ROOT, file)}`);
    }
  });
});

describe('docs test helpers: the shell as the docs write it', () => {
  it('joins continuation lines and numbers them by their first', () => {
    assert.deepEqual(codeBlockLines('text\n```sh\nredis-ha deploy full \\\n  --profile fast\n```\n'), [{ line: 3, text: 'redis-ha deploy full --profile fast' }]);
  });

  it('drops comments, redirections and what follows a pipe; keeps quoted words whole', () => {
    assert.deepEqual(shellCommands('redis-ha status --json | jq .natMap   # for clients'), [['redis-ha', 'status', '--json'], ['jq', '.natMap']]);
    assert.deepEqual(shellCommands('redis-ha status --name shop >/dev/null 2>&1 && echo ready'), [['redis-ha', 'status', '--name', 'shop'], ['echo', 'ready']]);
    assert.deepEqual(shellCommands(`redis-ha validate --file 'my topology.yaml' --name "a#b"`), [['redis-ha', 'validate', '--file', 'my topology.yaml', '--name', 'a#b']]);
  });

  it('finds redis-ha behind sudo, variables and the built path; not elsewhere', () => {
    assert.deepEqual(redisHaArgs(['sudo', 'redis-ha', 'lab', 'up']), ['lab', 'up']);
    assert.deepEqual(redisHaArgs(['DOCKER_HOST=unix:///x', 'node', 'dist/src/cli.js', 'status']), ['status']);
    assert.equal(redisHaArgs(['ls', '.redis-ha']), undefined);
  });

  it('gives headings GitHub\'s anchors', () => {
    const anchors = headingAnchors('# A\n## Lab: several hosts (one machine)\n```\n# not a heading\n```\n## `deploy`\n## deploy\n');
    assert.deepEqual([...anchors], ['a', 'lab-several-hosts-one-machine', 'deploy', 'deploy-1']);
  });
});
