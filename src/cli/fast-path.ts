// The two command lines answered without yargs, whose loading alone takes longer than either
// (its string-width builds an Intl.Segmenter on import): `--version` and `presets [--json]`,
// spelled exactly so. Anything else, `presets --help` or a typo included, goes through yargs.
import { runPresets } from '../commands/presets-cli.js';
import type { CommandLine } from '../commands/context.js';
import { packageVersion } from './version.js';

export function fastPath(argv: string[]): ((cli: CommandLine) => Promise<void>) | undefined {
  const args = [...argv].sort();
  if (args.length === 1 && args[0] === '--version') {
    return async (cli) => void cli.io.stdout.write(`${packageVersion()}\n`);
  }
  if (args.join(' ') === 'presets' || args.join(' ') === '--json presets') {
    return (cli) => runPresets(args.includes('--json'), cli);
  }
  return undefined;
}
