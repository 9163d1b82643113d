// src/yaml.ts against the yaml library: the same text for every golden compose, stack and
// Grafana provisioning file, and any string read back as itself.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { toYaml } from '../../src/yaml.js';
import { GOLDEN_DIR } from '../helpers/repo.js';

/** The golden files toYaml writes (after their comment header). */
async function goldenYaml(): Promise<{ path: string; body: string }[]> {
  const out: { path: string; body: string }[] = [];
  for (const entry of await readdir(GOLDEN_DIR, { recursive: true })) {
    if (!/(^|\/)(compose\.yaml|stack\.yaml)$|grafana\/provisioning\/.*\.ya?ml$/.test(entry)) continue;
    const text = await readFile(join(GOLDEN_DIR, entry), 'utf8');
    out.push({ path: entry, body: text.replace(/^(#.*\n)+/, '') });
  }
  return out;
}

const TRICKY = [
  '', ' ', ' a', 'a ', 'a  b', 'yes', 'No', 'on', 'OFF', 'y', 'true', 'False', 'null', 'Null', '~', '1', '-1', '+1', '1.0', '.5', '1.', '1e3', '-2E-3',
  '0x1F', '0o17', '.inf', '-.Inf', '.nan', '22:22', '1:30:00', '127.0.0.1:7001:6379', 'redis:7.4-alpine', '-', '- a', '-a', '?', '? a', ':', ': a', 'a:',
  'a: b', 'a:b', 'a #b', 'a#b', '#a', '@x', '`x', '%x', '!tag', '&anchor', '*alias', '|', '>', '[x]', '{x}', 'a,b', "it's", 'say "hi"', `both ' and "`,
  'line1\nline2', 'trailing\n', '\nleading', 'tab\there', '---', '--- a', '...', 'x\n---\ny', 'ü unicode', '\\back\\slash', 'bell\u0007', 'nul\u0000',
  '/usr/local/etc/redis.conf:/data:ro', 'no-new-privileges:true', 'CMD-SHELL', '${VAR}', '$$', '"', "'", 'say "hi"\nagain', 'a "tab"\there',
];

describe('toYaml', () => {
  it('writes every golden compose, stack and provisioning file exactly as the yaml library does', async () => {
    const files = await goldenYaml();
    assert.ok(files.length >= 10, `golden YAML files found: ${files.length}`);
    for (const { path, body } of files) {
      const data = parse(body);
      assert.equal(toYaml(data), stringify(data, { lineWidth: 0, aliasDuplicateObjects: false }), `${path}: toYaml differs from the yaml library`);
      assert.equal(toYaml(data), body, `${path}: toYaml does not give the golden text back`);
    }
  });

  it('reads back every string as itself, as a value, a list item and a key', () => {
    for (const s of TRICKY) {
      const data = { value: s, list: [s, [s], { [s]: s }], [s]: { nested: [s] } };
      assert.deepEqual(parse(toYaml(data)), data, `${JSON.stringify(s)} as written:\n${toYaml(data)}`);
    }
  });

  it('quotes what YAML 1.1 readers (Compose v1) take for a boolean or a base-60 number', () => {
    for (const s of ['yes', 'no', 'on', 'off', 'Y', '22:22']) assert.equal(toYaml({ k: s }), `k: ${JSON.stringify(s)}\n`);
  });

  it('writes empty maps and lists, null, numbers, booleans, nested lists and skips undefined', () => {
    assert.equal(toYaml({ a: {}, b: [], c: null, d: 3, e: 0.5, f: false, g: [[1, 2], []], h: undefined, i: [{ x: 1, z: [2] }] }),
      'a: {}\nb: []\nc: null\nd: 3\ne: 0.5\nf: false\ng:\n  - - 1\n    - 2\n  - []\ni:\n  - x: 1\n    z:\n      - 2\n');
    assert.throws(() => toYaml({ a: Number.NaN }), /finite/);
  });
});
