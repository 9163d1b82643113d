// Loads a topology: preset data <- topology file <- CLI flags, then schema, normalize, rules.
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { ZodIssue } from 'zod';
import { PRESETS_DIR } from '../paths.js';
import { closest } from './did-you-mean.js';
import { normalize } from './normalize.js';
import { TopologyError, type Problem } from './problems.js';
import { checkRules } from './rules.js';
import { PRESETS, topologyInputSchema, type PresetName, type Topology } from './schema.js';

/** One value set on the command line, e.g. `--replicas 3` -> { path: 'replicas', value: 3, flag: '--replicas' }. */
export interface Override {
  path: string;
  value: unknown;
  flag: string;
}

export interface LoadOptions {
  preset?: string;
  file?: string;
  overrides?: Override[];
  /** Problems name the file relative to this directory (the CLI's working directory). */
  cwd?: string;
}

export interface LoadedTopology {
  topology: Topology;
  warnings: Problem[];
}

/** A parsed YAML document and how to point at a line in it. */
interface YamlSource {
  label: string;
  data: Record<string, unknown>;
  doc: Document;
  lines: LineCounter;
}

/**
 * How many alias resolutions a topology file may make (`yaml`'s maxAliasCount). A topology
 * needs few, if any; nested aliases that multiply past this are refused, not expanded.
 */
export const MAX_YAML_ALIASES = 100;

type Plain = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge(base: Plain, override: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function setPath(target: Plain, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Plain;
  }
  node[keys[keys.length - 1]!] = value;
}

async function readYaml(path: string, label: string): Promise<YamlSource> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TopologyError([
      {
        severity: 'error',
        path: '',
        source: label,
        message: code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`,
        hint: 'check the path given to --file',
      },
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TopologyError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return {
          severity: 'error' as const,
          path: '',
          source: `${label}:${pos.line}:${pos.col}`,
          message: `YAML syntax: ${e.message.split('\n')[0]}`,
          hint: 'fix the YAML syntax; indentation uses spaces, not tabs',
        };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {};
  } catch (err) {
    // `yaml` throws a ReferenceError when aliases expand past maxAliasCount: a "billion
    // laughs" document, which would otherwise take the process's memory.
    if (!(err instanceof ReferenceError)) throw err;
    const bomb = /excessive alias count/i.test(err.message);
    throw new TopologyError([
      {
        severity: 'error',
        path: '',
        source: label,
        message: bomb
          ? `YAML aliases expand past the limit of ${MAX_YAML_ALIASES} alias resolutions (a "billion laughs" document)`
          : `YAML aliases: ${err.message}`,
        hint: bomb
          ? 'write the values out instead of nesting aliases (*name) inside aliased collections'
          : 'define each anchor (&name) before its aliases (*name)',
      },
    ]);
  }
  if (!isPlainObject(data)) {
    throw new TopologyError([
      { severity: 'error', path: '', source: label, message: 'a topology file must be a YAML mapping (key: value)' },
    ]);
  }
  return { label, data, doc, lines };
}

/**
 * `file:line:col` of the deepest node along `path` that exists in a YAML source: its value,
 * or with `atKey` its key (so "unknown key" points at the misspelt word).
 */
function locate(source: YamlSource, path: (string | number)[], atKey = false): string | undefined {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = depth === 1 ? source.doc.contents : source.doc.getIn(path.slice(0, depth - 1), true);
    const key = path[depth - 1];
    let range: [number, number, number] | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
      const node = atKey || !pair?.value ? pair?.key : pair.value;
      range = (node as { range?: [number, number, number] } | undefined)?.range;
    } else if (isSeq(parent) && typeof key === 'number') {
      range = (parent.items[key] as { range?: [number, number, number] } | undefined)?.range;
    }
    if (range) {
      const pos = source.lines.linePos(range[0]);
      return `${source.label}:${pos.line}:${pos.col}`;
    }
  }
  return undefined;
}

function describeSource(
  path: string,
  overrides: Override[],
  userFile: YamlSource | undefined,
  preset: YamlSource,
  atKey = false,
): string | undefined {
  const byFlag = overrides.find((o) => path === o.path || path.startsWith(`${o.path}.`));
  if (byFlag) return byFlag.flag;
  const keys = path ? path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k)) : [];
  if (keys.length === 0) return userFile?.label;
  return (userFile && locate(userFile, keys, atKey)) ?? locate(preset, keys, atKey);
}

/** Keys allowed at a path in the schema, for "did you mean". */
function knownKeys(path: (string | number)[]): string[] {
  // Walk the zod object shapes (unwrapping defaults/optionals).
  // zod's internals (_def.innerType, shape) are not in its public types: walked untyped.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let schema: any = topologyInputSchema;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const unwrap = (s: any): any => (s?._def?.innerType ? unwrap(s._def.innerType) : s);
  for (const key of path) {
    schema = unwrap(schema);
    schema = schema?.shape?.[key];
  }
  schema = unwrap(schema);
  return schema?.shape ? Object.keys(schema.shape) : [];
}

function issueToProblems(issue: ZodIssue): (Omit<Problem, 'source'> & { atKey?: boolean })[] {
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const allowed = knownKeys(issue.path);
    return issue.keys.map((key) => {
      const suggestion = closest(key, allowed);
      return {
        severity: 'error' as const,
        path: path ? `${path}.${key}` : key,
        message: `unknown key "${key}"`,
        atKey: true,
        hint: suggestion ? `did you mean "${suggestion}"?` : `allowed keys here: ${allowed.join(', ')}`,
      };
    });
  }
  let hint: string | undefined;
  if (issue.code === 'invalid_enum_value') {
    const suggestion = closest(String(issue.received), issue.options.map(String));
    hint = suggestion ? `did you mean "${suggestion}"?` : `use one of: ${issue.options.join(', ')}`;
  } else if (issue.code === 'invalid_type' && issue.received === 'undefined') {
    hint = 'this field is required';
  } else if (issue.code === 'invalid_type') {
    hint = `write a ${issue.expected}`;
  }
  return [{ severity: 'error', path, message: issue.message, hint }];
}

function deletePath(target: Plain, path: (string | number)[]): void {
  let node: unknown = target;
  for (const key of path.slice(0, -1)) node = (node as Plain | undefined)?.[key as string];
  if (isPlainObject(node) || Array.isArray(node)) delete (node as Plain)[path[path.length - 1] as string];
}

/**
 * The rule problems of a topology that failed the schema: the offending values are removed
 * (their defaults stand in) and the rules run on the rest, so one round shows every problem.
 * Problems at a path the schema already reported are left out.
 */
function rulesDespite(merged: Plain, issues: ZodIssue[]): Omit<Problem, 'source'>[] {
  const pruned = structuredClone(merged);
  const reported: string[] = [];
  for (const issue of issues) {
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of paths) {
      deletePath(pruned, path);
      reported.push(path.join('.'));
    }
  }
  const retry = topologyInputSchema.safeParse(pruned);
  if (!retry.success) return [];
  return checkRules(normalize(retry.data), retry.data, pruned).filter((p) => !reported.some((r) => p.path === r || p.path.startsWith(`${r}.`)));
}

export async function loadPresetSource(name: PresetName): Promise<YamlSource> {
  const file = join(PRESETS_DIR, `${name}.yaml`);
  return readYaml(file, `presets/${name}.yaml`);
}

export async function loadTopology(options: LoadOptions): Promise<LoadedTopology> {
  const overrides = options.overrides ?? [];
  const userFile = options.file
    ? await readYaml(options.file, (options.cwd && relative(options.cwd, options.file)) || options.file)
    : undefined;

  const presetName = options.preset ?? userFile?.data.preset;
  if (presetName === undefined) {
    throw new TopologyError([
      {
        severity: 'error',
        path: 'preset',
        message: 'no preset given',
        hint: `name one: ${PRESETS.join(', ')} (as the first argument, or "preset:" in the topology file)`,
      },
    ]);
  }
  if (!PRESETS.includes(presetName as PresetName)) {
    const suggestion = closest(String(presetName), PRESETS);
    throw new TopologyError([
      {
        severity: 'error',
        path: 'preset',
        source: options.preset !== undefined ? 'argument' : userFile && locate(userFile, ['preset']),
        message: `unknown preset "${String(presetName)}"`,
        hint: suggestion ? `did you mean "${suggestion}"?` : `use one of: ${PRESETS.join(', ')}`,
      },
    ]);
  }
  const preset = await loadPresetSource(presetName as PresetName);

  const { description: _description, ...presetData } = preset.data;
  let merged = deepMerge(presetData, userFile?.data ?? {});
  for (const o of overrides) setPath(merged, o.path, o.value);
  merged = { ...merged, preset: presetName };

  const withSource = (p: Omit<Problem, 'source'> & { atKey?: boolean }): Problem => {
    const { atKey, ...problem } = p;
    return { ...problem, source: describeSource(p.path, overrides, userFile, preset, atKey) };
  };

  const parsed = topologyInputSchema.safeParse(merged);
  if (!parsed.success) {
    const schemaProblems = parsed.error.issues.flatMap(issueToProblems).map(withSource);
    throw new TopologyError([...schemaProblems, ...rulesDespite(merged, parsed.error.issues).map(withSource)]);
  }
  const topology = normalize(parsed.data);
  const problems = checkRules(topology, parsed.data, merged).map(withSource);
  if (problems.some((p) => p.severity === 'error')) throw new TopologyError(problems);
  return { topology, warnings: problems };
}
