/**
 * The records of a sandbox collection grouped by a key (an institution's services, its own manage subscription),
 * so a call finds its caller's records without reading every record of the sandbox. One index per collection object
 * (each sandbox in a process has its state; a restored or reset state is a new object), built on first use, then
 * kept whole by the code that adds records (`added`) or changes their key (`moved`).
 */
export class GroupIndex<T extends object> {
  private readonly indexes = new WeakMap<Record<string, T>, Map<string, T[]>>();

  /** `keyOf` answers undefined for a record the index leaves out. */
  constructor(private readonly keyOf: (record: T) => string | undefined) {}

  /** The records with this key, in the order they were added. */
  of(collection: Record<string, T>, key: string): readonly T[] {
    return this.index(collection).get(key) ?? [];
  }

  /** A record was just added to the collection. */
  added(collection: Record<string, T>, record: T): void {
    const index = this.indexes.get(collection);
    if (index) this.put(index, record);
  }

  /** A record's key changed from `previousKey`. */
  moved(collection: Record<string, T>, record: T, previousKey: string | undefined): void {
    const index = this.indexes.get(collection);
    if (!index || previousKey === this.keyOf(record)) return;
    if (previousKey !== undefined) {
      index.set(
        previousKey,
        (index.get(previousKey) ?? []).filter((other) => other !== record),
      );
    }
    this.put(index, record);
  }

  private index(collection: Record<string, T>): Map<string, T[]> {
    let index = this.indexes.get(collection);
    if (!index) {
      index = new Map();
      for (const record of Object.values(collection)) this.put(index, record);
      this.indexes.set(collection, index);
    }
    return index;
  }

  private put(index: Map<string, T[]>, record: T): void {
    const key = this.keyOf(record);
    if (key === undefined) return;
    const group = index.get(key);
    if (group) group.push(record);
    else index.set(key, [record]);
  }
}
