// Each preset's text with its one-line description, as the bundle read them at build time
// (scripts/bundle-cli.mjs puts presets/*.yaml here). tsc's own output, which the tests run,
// knows none: preset-list.ts then parses every file.
export const BUILT_DESCRIPTIONS: ReadonlyMap<string, string> = new Map();
