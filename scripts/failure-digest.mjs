// Prints the failures of a TAP file (node --test's TAP reporter) compactly: each failing test
// that has an error of its own (not a suite failing because a child did), its path of names,
// and the first lines of its error. At most MAX_LINES lines in all. Failed TODO tests (known
// intermittent: reported, not failing the run) under a heading of their own.
//
//   node scripts/failure-digest.mjs FILE.tap [--todo-only]
import { readFileSync } from 'node:fs';
import { argv, stdout } from 'node:process';

const printed = [];
const print = (line) => printed.push(line);

const MAX_LINES = 80;
const ERROR_LINES = 6;
const WIDTH = 220;

const lines = readFileSync(argv[2], 'utf8').split('\n');
const todoOnly = argv.includes('--todo-only');
const out = [];
const todo = [];
const names = []; // names by depth
for (let i = 0; i < lines.length; i++) {
  // A test's "# Subtest: name" comes before its children, its "ok" line after them: the path
  // of names is kept from the former.
  const sub = lines[i].match(/^( *)# Subtest: (.*)$/);
  if (sub) {
    const depth = sub[1].length / 4;
    names.length = depth;
    names[depth] = sub[2];
    continue;
  }
  const m = lines[i].match(/^( *)(not ok|ok) \d+ - (.*)$/);
  if (!m) continue;
  const depth = m[1].length / 4;
  names.length = depth;
  names[depth] = m[3];
  if (m[2] !== 'not ok') continue;
  // The YAML block under it: failureType, error.
  const yaml = [];
  for (let j = i + 1; j < lines.length && !/^ *\.\.\.$/.test(lines[j]); j++) yaml.push(lines[j]);
  const failureType = yaml.find((l) => /^\s*failureType:/.test(l))?.split(':')[1]?.trim().replace(/'/g, '');
  if (failureType === 'subtestsFailed') continue;
  const errorAt = yaml.findIndex((l) => /^\s*error:/.test(l));
  const error = [];
  if (errorAt >= 0) {
    const first = yaml[errorAt].replace(/^\s*error:\s*/, '');
    if (first && first !== '|-' && first !== '|') error.push(first);
    const indent = (yaml[errorAt + 1] ?? '').match(/^ */)[0].length;
    for (let k = errorAt + 1; k < yaml.length && error.length < ERROR_LINES; k++) {
      const l = yaml[k];
      if (l.trim() && l.match(/^ */)[0].length < indent) break;
      if (l.trim()) error.push(l.trim());
    }
  }
  const list = / # TODO\b/.test(m[3]) ? todo : out;
  list.push(`✖ ${names.filter(Boolean).join(' > ')}`);
  for (const e of error) list.push(`    ${e.length > WIDTH ? `${e.slice(0, WIDTH)}…` : e}`);
}
if (todo.length) {
  print('\n# failed TODO tests (known intermittent: reported, not failing the run):');
  for (const l of todo.slice(0, MAX_LINES)) print(`# ${l}`);
}
if (out.length && !todoOnly) {
  print('\n# failures (digest):');
  const shown = out.slice(0, MAX_LINES);
  for (const l of shown) print(`# ${l}`);
  if (out.length > shown.length) print(`# ... ${out.length - shown.length} more lines`);
}
if (printed.length) stdout.write(`${printed.join('\n')}\n`);
