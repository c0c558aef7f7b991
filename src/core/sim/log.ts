export type DisruptionKind =
  /** Paused for the switch-over of a live migration. */
  | 'migration-pause'
  /** A migration failed or timed out; the guest kept running on its source. Logged so failures per guest can be counted. */
  | 'migration-failed'
  /** Shut down on request, until started again. */
  | 'stopped'
  /** Was running on a host that rebooted: down until the host came back (open while the host is down). */
  | 'rebooted-with-host'
  /** Lost network while its host's virtual switch restarted. */
  | 'network-blip';

export interface Disruption {
  readonly kind: DisruptionKind;
  readonly guest: string;
  readonly host: string;
  readonly start: number;
  /** Undefined while it lasts. */
  durationMs: number | undefined;
  /** The migration or job that caused it. */
  readonly cause: string;
}

export interface EventRecord {
  readonly time: number;
  readonly kind: string;
}

/** Counts for throughput figures; the full list of events only when asked for, as it grows large. */
export interface EventStats {
  total: number;
  readonly byKind: Map<string, number>;
  /** Present when the simulation was created with `recordEvents`. */
  readonly records: EventRecord[] | undefined;
}

/** Every guest disruption, in the order they began; at most one open "guest is down" entry per guest. */
export class DisruptionLog {
  readonly entries: Disruption[] = [];
  private readonly down = new Map<string, Disruption>();

  record(
    kind: DisruptionKind,
    guest: string,
    host: string,
    start: number,
    durationMs: number,
    cause: string,
  ): void {
    this.entries.push({ kind, guest, host, start, durationMs, cause });
  }

  /** The guest is down from `start` until `closeDown` is called for it; a guest already down stays in its first entry. */
  openDown(
    kind: 'stopped' | 'rebooted-with-host',
    guest: string,
    host: string,
    start: number,
    cause: string,
  ): void {
    if (this.down.has(guest)) return;
    const entry: Disruption = { kind, guest, host, start, durationMs: undefined, cause };
    this.entries.push(entry);
    this.down.set(guest, entry);
  }

  closeDown(guest: string, end: number): void {
    const entry = this.down.get(guest);
    if (!entry) return;
    entry.durationMs = end - entry.start;
    this.down.delete(guest);
  }
}
