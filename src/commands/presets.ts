// `redis-ha presets`: what each preset is, in one line.
import { lines, type Io } from '../io.js';
import { listPresets } from '../model/preset-list.js';
import { printJson, style } from '../report/style.js';

export async function presets() {
  return listPresets();
}

export function printPresets(list: Awaited<ReturnType<typeof presets>>, json: boolean, io: Io): void {
  const { out } = lines(io);
  if (json) return printJson(io.stdout, list);
  const width = Math.max(...list.map((p) => p.name.length));
  for (const p of list) out(`${style.bold(p.name.padEnd(width))}  ${p.description}`);
}
