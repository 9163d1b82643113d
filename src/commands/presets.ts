// `redis-ha presets`: what each preset is, in one line.
import { listPresets } from '../model/load.js';
import { printJson, style } from '../report/style.js';

export async function presets() {
  return listPresets();
}

export function printPresets(list: Awaited<ReturnType<typeof presets>>, json: boolean): void {
  if (json) return printJson(list);
  const width = Math.max(...list.map((p) => p.name.length));
  for (const p of list) console.log(`${style.bold(p.name.padEnd(width))}  ${p.description}`);
}
