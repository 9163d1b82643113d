// The names a topology can take (presets, targets, profiles), apart from the schema: the command
// line lists them in its help without loading zod.

export const PRESETS = ['basic', 'sentinel', 'full', 'cluster'] as const;
export type PresetName = (typeof PRESETS)[number];

export const TARGETS = ['compose', 'swarm'] as const;
export type TargetName = (typeof TARGETS)[number];

export const PROFILES = ['default', 'fast'] as const;
export type ProfileName = (typeof PROFILES)[number];
