// One line of redis.conf, split into arguments exactly as Redis does it: sdssplitargs() in
// Redis's sds.c, after loadServerConfigFromString() in config.c has trimmed the line and
// skipped comments. Pure, so the rules can see the directive Redis will see (quotes and
// escapes included: `"replica\x6ff"` is `replicaof` to Redis).

export type ConfigLine =
  | { kind: 'blank' } // empty, blanks only, or a comment: Redis skips it
  | { kind: 'directive'; directive: string; args: string[] }
  | { kind: 'invalid'; reason: string };

// C isspace(): what sdssplitargs skips between arguments and accepts after a closing quote.
const isCSpace = (c: string | undefined) => c !== undefined && ' \t\n\v\f\r'.includes(c);
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

/**
 * sdssplitargs(): arguments separated by blanks; "double quotes" with the escapes \n \r \t
 * \b \a \xHH and \<any> for that character; 'single quotes' with only \' as an escape; a
 * quote may start mid-argument (a"b c" is `ab c`), and a closing quote must be followed by
 * a blank or the end of the line. Returns undefined where Redis reports "Unbalanced quotes".
 * A \xHH escape gives the character with code HH (Redis works on bytes; for ASCII the same).
 */
export function splitConfigLine(line: string): string[] | undefined {
  const args: string[] = [];
  let i = 0;
  for (;;) {
    while (isCSpace(line[i])) i++;
    if (i >= line.length) return args;
    let current = '';
    let inDouble = false;
    let inSingle = false;
    for (let done = false; !done; ) {
      const c = line[i];
      if (inDouble) {
        if (c === '\\' && line[i + 1] === 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
          current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < line.length) {
          i++;
          current += ESCAPES[line[i]!] ?? line[i];
        } else if (c === '"') {
          if (i + 1 < line.length && !isCSpace(line[i + 1])) return undefined;
          done = true;
        } else if (c === undefined) {
          return undefined;
        } else {
          current += c;
        }
      } else if (inSingle) {
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (c === "'") {
          if (i + 1 < line.length && !isCSpace(line[i + 1])) return undefined;
          done = true;
        } else if (c === undefined) {
          return undefined;
        } else {
          current += c;
        }
      } else if (c === undefined || c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\0') {
        done = true;
      } else if (c === '"') {
        inDouble = true;
      } else if (c === "'") {
        inSingle = true;
      } else {
        current += c;
      }
      if (i < line.length) i++;
    }
    args.push(current);
  }
}

/** ASCII-only lowercasing, as Redis's sdstolower() (so "İNCLUDE" stays what Redis sees). */
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** A config line as Redis's config loader reads it: trimmed, comments skipped, split, directive lowercased. */
export function parseConfigLine(line: string): ConfigLine {
  const trimmed = line.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'blank' };
  const args = splitConfigLine(trimmed);
  if (args === undefined) {
    return { kind: 'invalid', reason: 'unbalanced quotes (every quote must be closed, and a closing quote followed by a space or the end of the line)' };
  }
  const [first = '', ...rest] = args;
  return { kind: 'directive', directive: asciiLower(first), args: rest };
}
