import { timingSafeEqual } from 'node:crypto';
import { digest } from './auth';

/**
 * Finds the record a subscription key belongs to, as an API gateway does: one lookup by the key's SHA-256, not a
 * comparison with every key it has issued. PagoPA's gateway does not slow down with its number of subscriptions and
 * services; the sandbox, which scanned all of them at each call (7,904 manage subscriptions, thousands of services at
 * national scale), did. Looking a digest up in a map tells a caller nothing about the other keys; the key of the
 * record found is then compared in constant time.
 *
 * The index is rebuilt when a key is not found in it: keys are issued and regenerated in several places (service
 * creation, key rotation, a state restored or reset), and a rebuild on a miss is always right. A regenerated key's
 * old entry is refused by the comparison with the record's current keys, and a record no longer in the collection
 * (a reset state) by the identity check.
 */
export class KeyIndex<T extends object> {
  /** One map per collection (each sandbox in a process has its own state). */
  private readonly indexes = new WeakMap<Record<string, T>, Map<string, { id: string; record: T }>>();

  constructor(private readonly keysOf: (record: T) => readonly string[]) {}

  find(collection: Record<string, T>, key: string): T | undefined {
    const presented = digest(key);
    const hex = presented.toString('hex');
    const found = this.verified(collection, hex, presented);
    if (found) return found;
    this.rebuild(collection);
    return this.verified(collection, hex, presented);
  }

  private verified(collection: Record<string, T>, hex: string, presented: Buffer): T | undefined {
    const entry = this.indexes.get(collection)?.get(hex);
    if (!entry || collection[entry.id] !== entry.record) return undefined;
    return this.keysOf(entry.record).some((k) => timingSafeEqual(digest(k), presented))
      ? entry.record
      : undefined;
  }

  private rebuild(collection: Record<string, T>): void {
    const byDigest = new Map<string, { id: string; record: T }>();
    for (const [id, record] of Object.entries(collection)) {
      for (const k of this.keysOf(record)) byDigest.set(digestHex(k), { id, record });
    }
    this.indexes.set(collection, byDigest);
  }
}

/** Digests of keys already seen: a rebuild hashes only the keys issued since the last one. */
const digestsOfKeys = new Map<string, string>();

function digestHex(key: string): string {
  let hex = digestsOfKeys.get(key);
  if (hex === undefined) {
    hex = digest(key).toString('hex');
    if (digestsOfKeys.size > 200_000) digestsOfKeys.clear();
    digestsOfKeys.set(key, hex);
  }
  return hex;
}
