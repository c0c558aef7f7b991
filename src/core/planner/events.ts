/**
 * The planner's clock: things that happen at a time in planner milliseconds, in time
 * order and, at one instant, in the order they were scheduled, so that the same input
 * always yields the same plan.
 */
export class EventQueue {
  private readonly times: number[] = [];
  private readonly order: number[] = [];
  private readonly actions: (() => void)[] = [];
  private sequence = 0;

  get size(): number {
    return this.times.length;
  }

  /** Time of the next event; Infinity when there is none. */
  peek(): number {
    return this.times.length === 0 ? Infinity : this.times[0]!;
  }

  at(time: number, action: () => void): void {
    this.times.push(time);
    this.order.push(this.sequence++);
    this.actions.push(action);
    this.up(this.times.length - 1);
  }

  /** Runs the earliest event. */
  runNext(): void {
    const action = this.actions[0]!;
    const lastTime = this.times.pop()!;
    const lastOrder = this.order.pop()!;
    const lastAction = this.actions.pop()!;
    if (this.times.length > 0) {
      this.times[0] = lastTime;
      this.order[0] = lastOrder;
      this.actions[0] = lastAction;
      this.down(0);
    }
    action();
  }

  private before(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.order[a]! < this.order[b]!);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.times.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.before(right, left) ? right : left;
      if (!this.before(child, i)) return;
      this.swap(i, child);
      i = child;
    }
  }

  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b]!, this.times[a]!];
    [this.order[a], this.order[b]] = [this.order[b]!, this.order[a]!];
    [this.actions[a], this.actions[b]] = [this.actions[b]!, this.actions[a]!];
  }
}
