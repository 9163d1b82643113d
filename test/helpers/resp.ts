// RESP2 as the fake servers of the tests speak it: commands parsed from a socket's data, bulk replies.

export const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;

/** Commands (arrays of bulk strings) parsed from `buf`; returns them and the unparsed rest. */
export function parse(buf: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  let at = 0;
  for (;;) {
    const start = at;
    const head = /^\*(\d+)\r\n/.exec(buf.slice(at));
    if (!head) return { commands, rest: buf.slice(start) };
    at += head[0].length;
    const args: string[] = [];
    for (let i = 0; i < Number(head[1]); i++) {
      const len = /^\$(\d+)\r\n/.exec(buf.slice(at));
      if (!len || buf.length < at + len[0].length + Number(len[1]) + 2) return { commands, rest: buf.slice(start) };
      at += len[0].length;
      args.push(buf.slice(at, at + Number(len[1])));
      at += Number(len[1]) + 2;
    }
    commands.push(args);
  }
}
