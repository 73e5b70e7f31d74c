// Setup pushes an undo step for every change it makes; on failure the steps run
// in reverse so a half-applied setup leaves nothing behind.
import { errorMessage } from './errors.js';
import type { Log } from './log.js';

export class UndoStack {
  private readonly steps: { what: string; fn: () => Promise<unknown> }[] = [];

  push(what: string, fn: () => Promise<unknown>): void {
    this.steps.push({ what, fn });
  }

  /** Runs every step, newest first; a failing step is logged and the rest still run. */
  async run(log: Log): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.fn();
      } catch (e) {
        log.warn(`rollback: failed to ${step.what}: ${errorMessage(e)}`);
      }
    }
  }
}
