// A live task list for long operations: on a TTY one line per task with a spinner and the
// elapsed time, redrawn in place; otherwise one plain line when a task ends.
import type { Writer } from '../io.js';
import { style, symbols } from './style.js';
import { cutToWidth } from './width.js';

type TaskState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

interface Task {
  title: string;
  state: TaskState;
  detail: string;
  startedAt?: number;
  endedAt?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class TaskList {
  private readonly tasks = new Map<string, Task>();
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private drawnLines = 0;

  /** `live`: redraw in place (a terminal); else one plain line per finished task. */
  constructor(
    private readonly stream: Writer,
    private readonly live: boolean,
    private readonly enabled = true,
    private readonly columns = 100,
  ) {}

  add(id: string, title: string): void {
    this.tasks.set(id, { title, state: 'pending', detail: '' });
  }

  start(id: string, detail = ''): void {
    const t = this.get(id);
    if (t.state !== 'pending') return;
    Object.assign(t, { state: 'running', startedAt: performance.now(), detail });
    if (this.live && this.enabled && !this.timer) this.timer = setInterval(() => this.draw(), 100);
  }

  update(id: string, detail: string): void {
    this.get(id).detail = detail;
  }

  finish(id: string, state: 'done' | 'failed' | 'skipped', detail?: string): void {
    const t = this.get(id);
    if (t.startedAt === undefined) t.startedAt = performance.now();
    Object.assign(t, { state, endedAt: performance.now(), detail: detail ?? t.detail });
    if (!this.enabled) return;
    if (this.live) this.draw();
    else this.stream.write(`${this.line(t)}\n`);
  }

  /** Stops redrawing; leaves the final state on screen. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live && this.enabled) this.draw();
  }

  elapsedMs(id: string): number | undefined {
    const t = this.get(id);
    return t.startedAt !== undefined && t.endedAt !== undefined ? t.endedAt - t.startedAt : undefined;
  }

  private get(id: string): Task {
    const t = this.tasks.get(id);
    if (!t) throw new Error(`unknown task ${id}`);
    return t;
  }

  private line(t: Task): string {
    const elapsed =
      t.startedAt === undefined ? '' : style.dim(` ${(((t.endedAt ?? performance.now()) - t.startedAt) / 1000).toFixed(1)}s`);
    const icon = {
      pending: style.dim('·'),
      running: style.warn(FRAMES[this.frame % FRAMES.length]!),
      done: symbols.ok(),
      failed: symbols.fail(),
      skipped: style.dim('-'),
    }[t.state];
    const detail = t.detail ? style.dim(` (${t.detail})`) : '';
    return `${icon} ${t.title}${elapsed}${detail}`;
  }

  private draw(): void {
    this.frame++;
    // One column short of the terminal: a line that filled it could wrap, and the redraw would
    // then move up one row too few.
    const lines = [...this.tasks.values()].map((t) => cutToWidth(this.line(t), this.columns - 1));
    if (this.drawnLines) this.stream.write(`\x1b[${this.drawnLines}A`);
    for (const l of lines) this.stream.write(`\x1b[2K${l}\n`);
    this.drawnLines = lines.length;
  }
}
