// Tricky redis.conf lines and how Redis splits them: one table, read by the unit test of
// splitConfigLine() and by the integration test that feeds every line to the real
// redis-server. Each line sets `masteruser` (a free-form string that CONFIG GET returns
// verbatim), so the argument Redis kept can be read back; `undefined` means Redis refuses the
// line ("Unbalanced quotes in configuration line").

export interface ConfigLineCase {
  line: string;
  /** The value after `masteruser`, or undefined when the line is refused. */
  value: string | undefined;
  why: string;
}

export const CONFIG_LINE_CASES: ConfigLineCase[] = [
  { line: 'masteruser plain', value: 'plain', why: 'a bare word' },
  { line: 'masteruser    spaced\t', value: 'spaced', why: 'blanks and tabs around arguments' },
  { line: 'masteruser "two words"', value: 'two words', why: 'double quotes keep blanks' },
  { line: 'masteruser ""', value: '', why: 'an empty quoted argument' },
  { line: 'masteruser "a\\tb"', value: 'a\tb', why: '\\t in double quotes' },
  { line: 'masteruser "a\\\\b"', value: 'a\\b', why: '\\\\ in double quotes' },
  { line: 'masteruser "say \\"hi\\""', value: 'say "hi"', why: '\\" in double quotes' },
  { line: 'masteruser "\\x41\\x42"', value: 'AB', why: '\\xHH in double quotes' },
  { line: 'masteruser "\\x41\\x"', value: 'Ax', why: '\\x without two hex digits is a plain x' },
  { line: 'masteruser "\\q"', value: 'q', why: 'an unknown escape is the character itself' },
  { line: "masteruser 'it\\'s'", value: "it's", why: "\\' in single quotes" },
  { line: "masteruser 'a\\nb'", value: 'a\\nb', why: 'no other escape in single quotes' },
  { line: 'masteruser a"b c"', value: 'ab c', why: 'a quote may open mid-argument' },
  { line: "masteruser a'b c'", value: 'ab c', why: 'a single quote may open mid-argument' },
  { line: 'masteruser "a\\ b"', value: 'a b', why: 'an escaped blank' },
  { line: 'masteruser a\\nb', value: 'a\\nb', why: 'outside quotes a backslash is literal' },
  { line: 'masteruser a\\"b', value: undefined, why: 'outside quotes \\" is no escape: the quote opens and never closes' },
  { line: 'masteruser "abc', value: undefined, why: 'an unterminated double quote' },
  { line: "masteruser 'abc", value: undefined, why: 'an unterminated single quote' },
  { line: 'masteruser "a"b', value: undefined, why: 'a closing quote followed by a letter' },
  { line: "masteruser 'a'b", value: undefined, why: 'a closing single quote followed by a letter' },
  { line: 'masteruser "a\\"', value: undefined, why: 'the only closing quote is escaped' },
];

/** `replicaof 127.0.0.1 1` written so that a check on the raw text would miss it; Redis reads each as replicaof. */
export const DISGUISED_REPLICAOF = [
  'REPLICAOF 127.0.0.1 1',
  '"replicaof" 127.0.0.1 1',
  "'ReplicaOf' 127.0.0.1 1",
  're"plicaof" 127.0.0.1 1',
  '"replica\\x6ff" 127.0.0.1 1',
  '  \t replicaof 127.0.0.1 1',
];
