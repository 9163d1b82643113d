// Building topologies for tests: from a preset plus overrides, with or without the rules.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { deepMerge, loadTopology, type LoadOptions } from '../../src/model/load.js';
import { normalize } from '../../src/model/normalize.js';
import { TopologyError, type Problem } from '../../src/model/problems.js';
import { topologyInputSchema, type PresetName, type Topology } from '../../src/model/schema.js';
import { PRESETS_DIR } from '../../src/paths.js';

type Plain = Record<string, unknown>;

/**
 * A normalized topology: the preset's data <- `overrides`, through the schema and
 * normalize() but NOT the rules (so a test can hand checkRules() a bad topology).
 */
export function topologyOf(preset: PresetName, overrides: Plain = {}): Topology {
  const { description: _d, ...presetData } = parse(readFileSync(join(PRESETS_DIR, `${preset}.yaml`), 'utf8')) as Plain;
  return normalize(topologyInputSchema.parse({ ...deepMerge(presetData, overrides), preset }));
}

/** The warning every topology without redis.maxmemory gets (the default applies): tested in rules.test.ts. */
export const isDefaultMaxmemoryNotice = (p: Problem) => p.path === 'redis.maxmemory' && p.message.startsWith('no redis.maxmemory set');

/**
 * Every problem loadTopology() reports: the TopologyError's problems, or the warnings of a valid
 * topology. Without `withDefaultNotices`, less the default-maxmemory notice, which nearly every
 * test topology would otherwise carry beside the problems it is about.
 */
export async function problemsOf(options: LoadOptions, { withDefaultNotices = false } = {}): Promise<{ valid: boolean; problems: Problem[] }> {
  const keep = (problems: Problem[]) => (withDefaultNotices ? problems : problems.filter((p) => !isDefaultMaxmemoryNotice(p)));
  try {
    // Labels relative to the working directory, as the CLI gives them.
    const { warnings } = await loadTopology({ cwd: process.cwd(), ...options });
    return { valid: true, problems: keep(warnings) };
  } catch (err) {
    if (err instanceof TopologyError) return { valid: false, problems: keep(err.problems) };
    throw err;
  }
}

/** Writes `yaml` as topology.yaml in `dir` and returns its path. */
export async function writeTopologyFile(dir: string, yaml: string, name = 'topology.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
}

/**
 * A "billion laughs" topology file: 9 levels of aliases, each a list of 9 aliases to the
 * level below, so that expanding `i` would make 9^9 (387 million) strings.
 */
export function billionLaughsYaml(preset = 'basic'): string {
  const levels = 'abcdefghi'.split('');
  const lines = [`preset: ${preset}`, 'redis:', '  extraConfig: *i', 'x-lol:'];
  levels.forEach((level, n) => {
    const items = n === 0 ? Array(9).fill('"lol"') : Array(9).fill(`*${levels[n - 1]}`);
    lines.push(`  ${level}: &${level} [${items.join(', ')}]`);
  });
  // The alias must follow its anchor: move the extraConfig line to the end.
  const [first, , , ...rest] = lines;
  return [first, ...rest, 'redis:', '  extraConfig: *i', ''].join('\n');
}
