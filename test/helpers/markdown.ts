// What docs.test.ts reads out of a Markdown file: the shell lines in its code blocks (split
// into commands the way a shell would), its relative links, and the anchors of its headings.

/** A line of a fenced code block; a line ending in `\` is joined with the next (numbered by its first). */
export interface CodeLine {
  line: number;
  text: string;
}

/** One command of a shell line: its words, with comments, redirections and operators taken off. */
export type ShellCommand = string[];

const FENCE = /^\s*(```|~~~)/;

/** Every line inside a fenced code block, continuation lines joined. */
export function codeBlockLines(markdown: string): CodeLine[] {
  const lines: CodeLine[] = [];
  let inBlock = false;
  let pending: CodeLine | undefined;
  markdown.split('\n').forEach((raw, index) => {
    if (FENCE.test(raw)) {
      inBlock = !inBlock;
      pending = undefined;
      return;
    }
    if (!inBlock) return;
    const current: CodeLine = pending ? { line: pending.line, text: `${pending.text} ${raw.trim()}` } : { line: index + 1, text: raw };
    if (/\\\s*$/.test(current.text) && !/^\s*#/.test(current.text)) {
      pending = { line: current.line, text: current.text.replace(/\s*\\\s*$/, '') };
    } else {
      pending = undefined;
      lines.push(current);
    }
  });
  return lines;
}

/**
 * The commands of one shell line: words split on blanks (quotes and backslashes as a shell
 * reads them), cut at `|`, `||`, `&&`, `;` and `&`, without `# comments` and without
 * redirections (`>/dev/null`, `2>&1`, `< file`). No expansion: `$X` stays as written.
 */
export function shellCommands(text: string): ShellCommand[] {
  const commands: ShellCommand[] = [[]];
  let word: string | undefined;
  let dropNextWord = false;
  const endWord = () => {
    if (word === undefined) return;
    if (dropNextWord) dropNextWord = false;
    else commands[commands.length - 1]!.push(word);
    word = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unbalanced ' in: ${text}`);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        value += text[j];
      }
      if (j >= text.length) throw new Error(`unbalanced " in: ${text}`);
      word = (word ?? '') + value;
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (c === '#' && word === undefined) {
      break;
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (c === '|' || c === '&' || c === ';') {
      endWord();
      if (text[i + 1] === c) i++;
      commands.push([]);
    } else if (c === '>' || c === '<') {
      if (word !== undefined && /^\d+$/.test(word)) word = undefined; // the fd of 2>
      endWord();
      if (text[i + 1] === '>' || text[i + 1] === '&') i++;
      dropNextWord = true;
    } else {
      word = (word ?? '') + c;
    }
  }
  endWord();
  return commands.filter((command) => command.length > 0);
}

/** The arguments given to redis-ha by a command (`redis-ha ...`, `node dist/src/cli.js ...`), if it runs redis-ha. */
export function redisHaArgs(command: ShellCommand): string[] | undefined {
  let words = command;
  while (words[0] === 'sudo' || words[0] === 'env' || (words[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]))) {
    words = words.slice(1);
  }
  if (words[0] === '$') words = words.slice(1);
  if (words[0] === 'redis-ha') return words.slice(1);
  if (words[0] === 'node' && words[1] === 'dist/src/cli.js') return words.slice(2);
  if (words[0] === 'npm' && words[1] === 'run' && words[2] === 'redis-ha') return words.slice(words[3] === '--' ? 4 : 3);
  return undefined;
}

export interface Link {
  line: number;
  target: string;
}

/** Inline links `[text](target)` outside code blocks and code spans. */
export function markdownLinks(markdown: string): Link[] {
  const links: Link[] = [];
  let inBlock = false;
  markdown.split('\n').forEach((raw, index) => {
    if (FENCE.test(raw)) inBlock = !inBlock;
    if (inBlock || FENCE.test(raw)) return;
    const prose = raw.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: index + 1, target: match[1]! });
    }
  });
  return links;
}

/** The anchors GitHub gives a file's headings (lowercase, punctuation dropped, blanks to `-`, `-1` on repeats). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inBlock = false;
  for (const raw of markdown.split('\n')) {
    if (FENCE.test(raw)) inBlock = !inBlock;
    const heading = !inBlock && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (!heading) continue;
    const text = heading[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
