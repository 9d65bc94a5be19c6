/** What a build made of a run of records, with the tag it was made under. */
type Made<T> = { tag: string; records: readonly object[]; value: T };

const sameRecords = (a: readonly object[], b: readonly object[]) =>
  a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * What builds make of runs of records (compressed text, hash bytes), kept from one build to the
 * next while the same records (the same objects, in the same order) come again under the same tag.
 * A run is known by its first record: a build that changes one record of a large config makes that
 * record's run again and reuses the others.
 */
export class RunCache<T> {
  private kept = new Map<object, Made<T>>();
  private used = new Map<object, Made<T>>();
  private made = 0;
  private reused = 0;

  /** What `make` makes of the run, or what the last build (or this one) made of the same run. */
  get(tag: string, records: readonly object[], make: () => T): T {
    const first = records[0] ?? records;
    const old = this.used.get(first) ?? this.kept.get(first);
    if (old && old.tag === tag && sameRecords(old.records, records)) {
      this.used.set(first, old);
      this.reused++;
      return old.value;
    }
    const value = make();
    this.used.set(first, { tag, records, value });
    this.made++;
    return value;
  }

  /**
   * Ends a build: runs it did not use are forgotten. Returns how many runs the build made and how
   * many it reused.
   */
  commit(): { made: number; reused: number } {
    this.kept = this.used;
    this.used = new Map();
    return this.resetCounts();
  }

  /**
   * Ends a build that failed: what it made is dropped (a failed compression must not be reused),
   * and the runs of the build before are kept.
   */
  abandon(): void {
    this.used = new Map();
    this.resetCounts();
  }

  private resetCounts(): { made: number; reused: number } {
    const counts = { made: this.made, reused: this.reused };
    this.made = 0;
    this.reused = 0;
    return counts;
  }
}
