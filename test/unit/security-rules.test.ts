// Issue 8, "validation closes the holes": extraConfig read as Redis reads a config line,
// refused directives with their reasons, image references against Docker's grammar, `$`
// never reaching Compose unescaped, and auth disabled never passing in silence.
// The real redis-server agrees with the line table: test/integration/redis-config-lines.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { imageReferenceProblem, IMAGE_REFERENCE_HINT } from '../../src/model/image-reference.js';
import { parseConfigLine, splitConfigLine } from '../../src/model/redis-config-line.js';
import { REFUSED_REDIS_DIRECTIVES, REFUSED_REDIS_PREFIXES, refusedRedisDirective } from '../../src/model/redis-directives.js';
import { checkRules } from '../../src/model/rules.js';
import { escapeInterpolation } from '../../src/synth/compose.js';
import { COMPOSE_FILE, synthesize } from '../../src/synth/synthesize.js';
import { CONFIG_LINE_CASES, DISGUISED_REPLICAOF } from '../helpers/redis-config-lines.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { topologyOf } from '../helpers/topology.js';
import { FIXED_SECRETS } from '../helpers/secrets.js';

const extraConfigProblems = (...extraConfig: string[]) => checkRules(topologyOf('basic', { redis: { extraConfig } }));

describe('splitConfigLine: sdssplitargs', () => {
  for (const { line, value, why } of CONFIG_LINE_CASES) {
    it(`${why}: ${JSON.stringify(line)}`, () => {
      assert.deepEqual(splitConfigLine(line), value === undefined ? undefined : ['masteruser', value]);
    });
  }

  it('several arguments, blanks of every kind between them', () => {
    assert.deepEqual(splitConfigLine('save 3600 1\t300  100'), ['save', '3600', '1', '300', '100']);
  });

  it('a closing quote may be followed by any C blank, not only a space', () => {
    assert.deepEqual(splitConfigLine('a "b"\tc'), ['a', 'b', 'c']);
  });

  it('an empty line has no argument', () => {
    assert.deepEqual(splitConfigLine(''), []);
  });
});

describe('parseConfigLine: the config loader around it', () => {
  it('trims blanks, lowercases the directive (ASCII only), keeps the arguments as written', () => {
    assert.deepEqual(parseConfigLine('  NOTIFY-Keyspace-Events  "Ex" '), {
      kind: 'directive',
      directive: 'notify-keyspace-events',
      args: ['Ex'],
    });
  });

  it('a comment or a blank line is skipped, as Redis skips it', () => {
    assert.deepEqual(parseConfigLine('  # replicaof evil 6379'), { kind: 'blank' });
    assert.deepEqual(parseConfigLine(' \t '), { kind: 'blank' });
  });

  it('unbalanced quotes are invalid, with the reason', () => {
    assert.deepEqual(parseConfigLine('hz "10'), {
      kind: 'invalid',
      reason: 'unbalanced quotes (every quote must be closed, and a closing quote followed by a space or the end of the line)',
    });
  });

  for (const line of DISGUISED_REPLICAOF) {
    it(`sees replicaof through the disguise ${JSON.stringify(line)}`, () => {
      const parsed = parseConfigLine(line);
      assert.equal(parsed.kind === 'directive' && parsed.directive, 'replicaof');
    });
  }
});

describe('extraConfig: line breaks and control characters', () => {
  const lineBreak = (i: number) => ({
    severity: 'error',
    path: `redis.extraConfig.${i}`,
    message: 'holds a line break: an entry is one line of redis.conf, and a line break would add lines no check sees',
    hint: 'write each setting as its own entry; inside a double-quoted value write the escape \\n',
  });

  it('the injection from issue 8 (LF) is refused at its index, once', () => {
    assert.deepEqual(extraConfigProblems('hz 10', 'loglevel notice\nrequirepass x\nreplicaof evil.example 6379'), [lineBreak(1)]);
  });

  it('a lone CR is refused too (Redis trims it, but it would end the line for other readers)', () => {
    assert.deepEqual(extraConfigProblems('loglevel notice\rreplicaof evil.example 6379'), [lineBreak(0)]);
  });

  it('a line break wins over another control character before it', () => {
    assert.deepEqual(extraConfigProblems('hz\u0000 10\nport 1'), [lineBreak(0)]);
  });

  it('NUL (which ends the line for Redis, hiding the rest) is refused', () => {
    assert.deepEqual(extraConfigProblems('hz 10\u0000 whatever'), [
      {
        severity: 'error',
        path: 'redis.extraConfig.0',
        message: 'holds a control character (U+0000)',
        hint: 'remove it; inside a double-quoted value write it as a \\xHH escape',
      },
    ]);
  });

  it('other control characters are refused; a tab is a blank and passes', () => {
    assert.deepEqual(
      extraConfigProblems('hz\u000b10', 'hz\u001b10', 'hz\t10').map((p) => [p.path, p.message]),
      [
        ['redis.extraConfig.0', 'holds a control character (U+000B)'],
        ['redis.extraConfig.1', 'holds a control character (U+001B)'],
      ],
    );
  });

  it('an escaped \\n inside double quotes is one line, and passes', () => {
    assert.deepEqual(extraConfigProblems('notify-keyspace-events "Ex\\n"'), []);
  });
});

describe('extraConfig: what Redis cannot read', () => {
  it('unbalanced quotes are an error with the reason and a hint', () => {
    assert.deepEqual(extraConfigProblems('hz 10', 'notify-keyspace-events "Ex'), [
      {
        severity: 'error',
        path: 'redis.extraConfig.1',
        message:
          'Redis cannot read this line: unbalanced quotes (every quote must be closed, and a closing quote followed by a space or the end of the line)',
        hint: 'close every quote, or drop the quotes',
      },
    ]);
  });
});

describe('extraConfig: refused directives, each with its reason', () => {
  for (const [directive, { reason, hint }] of Object.entries(REFUSED_REDIS_DIRECTIVES)) {
    it(`${directive}`, () => {
      assert.deepEqual(extraConfigProblems(`${directive} x`), [
        { severity: 'error', path: 'redis.extraConfig.0', message: `"${directive}" cannot be set in extraConfig: ${reason}`, hint },
      ]);
    });
  }

  for (const [prefix, { reason }] of Object.entries(REFUSED_REDIS_PREFIXES)) {
    for (const directive of [`${prefix}port`, `${prefix}anything-new`]) {
      it(`${directive} (every ${prefix}* directive)`, () => {
        assert.deepEqual(
          extraConfigProblems(`${directive} 1`).map((p) => p.message),
          [`"${directive}" cannot be set in extraConfig: ${reason}`],
        );
      });
    }
  }

  it('the cases of issue 8, in one round', () => {
    const problems = extraConfigProblems(
      'user default on nopass',
      'include /etc/redis/other.conf',
      'loadmodule /tmp/evil.so',
      'enable-module-command yes',
      '"replicaof" evil.example 6379',
      'hz 100',
      'TLS-PORT 6380',
      'cluster-enabled yes',
    );
    assert.deepEqual(
      problems.map((p) => [p.path, p.message.split(':')[0]]),
      [
        ['redis.extraConfig.0', '"user" cannot be set in extraConfig'],
        ['redis.extraConfig.1', '"include" cannot be set in extraConfig'],
        ['redis.extraConfig.2', '"loadmodule" cannot be set in extraConfig'],
        ['redis.extraConfig.3', '"enable-module-command" cannot be set in extraConfig'],
        ['redis.extraConfig.4', '"replicaof" cannot be set in extraConfig'],
        ['redis.extraConfig.6', '"tls-port" cannot be set in extraConfig'],
        ['redis.extraConfig.7', '"cluster-enabled" cannot be set in extraConfig'],
      ],
    );
  });

  for (const line of DISGUISED_REPLICAOF) {
    it(`a disguised replicaof is refused: ${JSON.stringify(line)}`, () => {
      assert.deepEqual(
        extraConfigProblems(line).map((p) => p.message.split(':')[0]),
        ['"replicaof" cannot be set in extraConfig'],
      );
    });
  }

  it('docs/topology.md names every refused directive (the table is the source; the docs must keep up)', () => {
    const page = readFileSync(join(REPO_ROOT, 'docs', 'topology.md'), 'utf8');
    const section = page.slice(page.indexOf('## extraConfig'), page.indexOf('## Ports'));
    const named = [...section.matchAll(/`([a-z-]+\*?)`/g)].map((m) => m[1]!);
    const covered = (name: string) => named.some((n) => n === name || (n.endsWith('*') && name.startsWith(n.slice(0, -1))));
    const missing = [...Object.keys(REFUSED_REDIS_DIRECTIVES), ...Object.keys(REFUSED_REDIS_PREFIXES).map((p) => `${p}*`)].filter(
      (name) => !covered(name),
    );
    assert.deepEqual(missing, []);
  });

  it('directives that tune Redis pass, and so do unknown ones (Redis refuses those at start)', () => {
    for (const directive of ['hz', 'io-threads', 'appendfsync', 'repl-backlog-size', 'client-output-buffer-limit', 'frobnicate']) {
      assert.equal(refusedRedisDirective(directive), undefined, directive);
    }
  });

  it('a lookalike whose lowercasing is not ASCII is not the directive (Redis lowercases ASCII only)', () => {
    // U+212A KELVIN SIGN lowercases to "k" in JavaScript, not in Redis, which compares bytes.
    const parsed = parseConfigLine('\u212Aluster-enabled yes');
    assert.equal(parsed.kind === 'directive' && parsed.directive, '\u212Aluster-enabled');
  });
});

describe('image references: Docker\'s grammar', () => {
  const valid = [
    'redis',
    'redis:7.4-alpine',
    'oliver006/redis_exporter:v1.62.0',
    'redis-ha-local/redis:7.0',
    'ghcr.io/org/team/redis:7',
    'localhost:5000/redis',
    'registry.example.com:443/a/b__c/d--e:TAG_1.x',
    '[::1]:5000/redis:7',
    `redis@sha256:${'a'.repeat(64)}`,
    `redis:7@sha256:${'0123456789abcdef'.repeat(4)}`,
    `${'a'.repeat(255)}`,
  ];
  for (const ref of valid) {
    it(`accepts ${ref.length > 60 ? `${ref.slice(0, 40)}…` : ref}`, () => {
      assert.equal(imageReferenceProblem(ref), undefined);
    });
  }

  const invalid: [string, string][] = [
    ['x/redis:${REDIS_PASSWORD}', '"$" is not allowed: Compose would substitute a variable into the image name'],
    ['redis:$TAG', '"$" is not allowed: Compose would substitute a variable into the image name'],
    ['redis :7', 'blanks are not allowed'],
    ['redis:7\nprivileged: true', 'blanks are not allowed'],
    ['Redis:7', 'the repository name must be lowercase'],
    ['ghcr.io/Org/redis', 'the repository name must be lowercase'],
    ['redis:-7', '"-7" is not a tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")'],
    [`redis:${'a'.repeat(129)}`, `"${'a'.repeat(129)}" is not a tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`],
    ['redis@sha256:abc', '"sha256:abc" is not a digest (algorithm:hex, at least 32 hex digits)'],
    ['redis@latest', '"latest" is not a digest (algorithm:hex, at least 32 hex digits)'],
    ['-redis', '"-redis" is not a repository name (lowercase letters and digits, separated by ".", "_", "__", "-" or "/")'],
    ['a//b', '"a//b" is not a repository name (lowercase letters and digits, separated by ".", "_", "__", "-" or "/")'],
    ['redis/', '"redis/" is not a repository name (lowercase letters and digits, separated by ".", "_", "__", "-" or "/")'],
    ['a___b', '"a___b" is not a repository name (lowercase letters and digits, separated by ".", "_", "__", "-" or "/")'],
    [`${'a'.repeat(256)}`, 'the name is longer than 255 characters'],
  ];
  for (const [ref, problem] of invalid) {
    it(`refuses ${JSON.stringify(ref.length > 60 ? `${ref.slice(0, 40)}…` : ref)}: ${problem.slice(0, 50)}`, () => {
      assert.equal(imageReferenceProblem(ref), problem);
    });
  }

  it('every image of the topology is checked, each at its own path, with the hint', () => {
    const problems = checkRules(
      topologyOf('full', {
        redis: { image: 'x/redis:${REDIS_PASSWORD}' },
        haproxy: { image: 'HAProxy' },
        exporter: { image: 'exporter@x' },
      }),
    );
    assert.deepEqual(problems, [
      {
        severity: 'error',
        path: 'redis.image',
        message: '"x/redis:${REDIS_PASSWORD}" is not a valid image reference: "$" is not allowed: Compose would substitute a variable into the image name',
        hint: IMAGE_REFERENCE_HINT,
      },
      {
        severity: 'error',
        path: 'haproxy.image',
        message: '"HAProxy" is not a valid image reference: the repository name must be lowercase',
        hint: IMAGE_REFERENCE_HINT,
      },
      {
        severity: 'error',
        path: 'exporter.image',
        message: '"exporter@x" is not a valid image reference: "x" is not a digest (algorithm:hex, at least 32 hex digits)',
        hint: IMAGE_REFERENCE_HINT,
      },
    ]);
  });
});

describe('compose: "$" never reaches Compose unescaped', () => {
  it('escapeInterpolation doubles every "$" in values, deep, and leaves the rest alone', () => {
    assert.deepEqual(escapeInterpolation({ a: 'x$y', b: ['$${Z}', 3, true], c: { d: '$' }, e: null }), {
      a: 'x$$y',
      b: ['$$$${Z}', 3, true],
      c: { d: '$$' },
      e: null,
    });
  });

  it('a "$" that got past the model reaches compose.yaml as "$$" (Compose reads a literal "$")', () => {
    // topologyOf() skips the rules, as a future field without a rule would.
    const t = topologyOf('basic', { redis: { image: 'x/redis:${REDIS_PASSWORD}' } });
    const compose = parse(synthesize(t, FIXED_SECRETS).get(COMPOSE_FILE)!) as {
      services: Record<string, { image: string }>;
    };
    assert.equal(compose.services['redis-1']!.image, 'x/redis:$${REDIS_PASSWORD}');
  });

  it('the presets render no "$" at all into compose.yaml (nothing to escape today)', () => {
    for (const preset of ['basic', 'sentinel', 'full'] as const) {
      assert.doesNotMatch(synthesize(topologyOf(preset), FIXED_SECRETS).get(COMPOSE_FILE)!, /\$/, preset);
    }
  });
});
