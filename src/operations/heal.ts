// Every injected fault pushes the action that undoes it; the stack is run in reverse on
// the normal path, on an error, and on SIGINT/SIGTERM, so nothing stays broken.

export interface HealAction {
  label: string;
  run: () => Promise<unknown>;
}

export class HealStack {
  private readonly actions: HealAction[] = [];
  private running?: Promise<string[]>;

  push(label: string, run: () => Promise<unknown>): void {
    this.actions.push({ label, run });
  }

  get size(): number {
    return this.actions.length;
  }

  /**
   * Runs every pending action, newest first; one failing does not stop the others.
   * Concurrent calls share the same run. Returns the failures, one line each.
   */
  runAll(onAction?: (label: string) => void): Promise<string[]> {
    if (!this.running) {
      this.running = (async () => {
        const failures: string[] = [];
        while (this.actions.length) {
          const a = this.actions.pop()!;
          onAction?.(a.label);
          try {
            await a.run();
          } catch (err) {
            failures.push(`${a.label}: ${(err as Error).message}`);
          }
        }
        return failures;
      })().finally(() => (this.running = undefined));
    }
    return this.running;
  }
}
