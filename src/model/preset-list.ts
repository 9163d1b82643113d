// `redis-ha presets`: each preset's one-line description, from presets/*.yaml. Apart from
// load.ts (yaml, zod), which a listing needs only for a preset edited after the build: the
// bundle knows each preset's text and description (preset-descriptions.ts), and a file that
// still holds that text is answered from it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRESETS_DIR } from '../paths.js';
import { PRESETS, type PresetName } from './names.js';
import { BUILT_DESCRIPTIONS } from './preset-descriptions.js';

/** Preset names with their one-line descriptions, from presets/*.yaml. */
export async function listPresets(): Promise<{ name: PresetName; description: string }[]> {
  return Promise.all(
    PRESETS.map(async (name) => {
      const text = await readFile(join(PRESETS_DIR, `${name}.yaml`), 'utf8').catch(() => undefined);
      const built = text === undefined ? undefined : BUILT_DESCRIPTIONS.get(text);
      if (built !== undefined) return { name, description: built };
      // Edited since the build (or unreadable: load.ts says why).
      const { loadPresetSource } = await import('./load.js');
      const source = await loadPresetSource(name);
      return { name, description: String(source.data.description ?? '') };
    }),
  );
}
