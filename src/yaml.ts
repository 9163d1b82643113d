// The compose and stack files as YAML: plain data (maps, lists, strings, numbers, booleans,
// null) in block style, written here rather than by the yaml library's stringify(), which is
// ~25 ms of every `render` and `deploy` on a cold start (it builds a document of nodes first);
// this walk is well under 1 ms. The library still parses every YAML redis-ha reads.
//
// The style is the library's with { lineWidth: 0 }: 2-space indent, lists indented under their
// key, a string plain unless it would read back as something else (then double-quoted, or
// single-quoted when it holds a double quote and no single one); unlike the library, YAML 1.1's
// booleans and base-60 numbers are quoted too. A unit test holds the two
// equal on every golden compose and stack file, and reads tricky strings back through the
// library.

type Data = string | number | boolean | null | undefined | Data[] | { [key: string]: Data };

/**
 * Strings a reader would take for null, a boolean or a number: the YAML 1.2 core schema's, and
 * YAML 1.1's booleans and base-60 numbers, which Compose v1 (PyYAML) still reads ("on", "22:22").
 */
const NOT_A_STRING = [
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];

/** What a plain scalar may not start with, hold or end with (the library's own test). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?:[\s]|$)/m;

function quoted(value: string): string {
  // Single quotes escape nothing but themselves, so only for a line of printable characters.
  if (value.includes('"') && !value.includes("'") && !/[\x00-\x1f\x7f]/.test(value)) return `'${value}'`;
  // JSON's escapes are YAML's double-quoted ones.
  return JSON.stringify(value);
}

function scalarString(value: string): string {
  if (value.includes('\n') || NOT_PLAIN.test(value) || DOCUMENT_MARKER.test(value) || NOT_A_STRING.some((re) => re.test(value))) {
    return quoted(value);
  }
  return value;
}

function scalar(value: Data): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return scalarString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`YAML: ${value} is not a finite number`);
      return String(value);
    case 'boolean':
      return String(value);
    default:
      if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
      if (typeof value === 'object') return entries(value).length === 0 ? '{}' : undefined;
      throw new Error(`YAML: cannot write a ${typeof value}`);
  }
}

const entries = (map: { [key: string]: Data }) => Object.entries(map).filter(([, v]) => v !== undefined);

/** Lines of `value` (a non-empty map or list) at `indent`; the first line without its indent, for "- " to prefix. */
function block(value: Data, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      const s = scalar(item === undefined ? null : item);
      if (s !== undefined) out.push(`${indent}- ${s}`);
      else {
        const start = out.length;
        block(item, `${indent}  `, out);
        out[start] = `${indent}- ${out[start]!.slice(indent.length + 2)}`;
      }
    }
    return;
  }
  for (const [key, v] of entries(value as { [key: string]: Data })) {
    const k = scalarString(key);
    const s = scalar(v);
    if (s !== undefined) out.push(`${indent}${k}: ${s}`);
    else {
      out.push(`${indent}${k}:`);
      block(v, `${indent}  `, out);
    }
  }
}

/** `value` as a YAML document (a trailing newline, no `---`). */
export function toYaml(value: Data | object): string {
  const s = scalar(value as Data);
  if (s !== undefined) return `${s}\n`;
  const out: string[] = [];
  block(value as Data, '', out);
  return `${out.join('\n')}\n`;
}
