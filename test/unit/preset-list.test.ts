// listPresets as tsc builds it (no descriptions known from a build): every preset file parsed.
// The bundle's descriptions, read at build time, are checked against the files in test/e2e/cli.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { listPresets } from '../../src/model/preset-list.js';
import { BUILT_DESCRIPTIONS } from '../../src/model/preset-descriptions.js';
import { REPO_ROOT } from '../helpers/repo.js';

describe('listPresets', () => {
  it('without descriptions from a build, parses each preset file for its own', async () => {
    assert.equal(BUILT_DESCRIPTIONS.size, 0, 'tsc output knows no preset text');
    const list = await listPresets();
    assert.deepEqual(list.map((p) => p.name), ['basic', 'sentinel', 'full', 'cluster']);
    for (const p of list) {
      const description = (parse(readFileSync(join(REPO_ROOT, 'presets', `${p.name}.yaml`), 'utf8')) as { description: string }).description;
      assert.equal(p.description, description, p.name);
      assert.ok(p.description.length > 10, p.name);
    }
  });
});
