// Problems found in a topology, and the error that carries all of them at once.

export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Dot-path into the topology, e.g. `sentinel.quorum`. Empty for the whole document. */
  path: string;
  message: string;
  /** What to do about it. */
  hint?: string;
  /** Where the offending value came from: `topology.yaml:12:3`, `--quorum`, `presets/full.yaml:4:1`. */
  source?: string;
}

/** Thrown when a topology has at least one error; carries every problem found, warnings too. */
export class TopologyError extends Error {
  constructor(readonly problems: Problem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(`the topology has ${errors.length} error${errors.length === 1 ? '' : 's'}`);
    this.name = 'TopologyError';
  }
}

export function formatProblem(p: Problem): string {
  const where = [p.path || '(topology)', p.source ? `(${p.source})` : ''].filter(Boolean).join(' ');
  return `${p.severity}: ${where}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`;
}
