import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { roleSchema, type Role } from './roles';

const storedTokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  /** sha256 of the secret: the token itself is shown once and never stored. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().optional(),
  revokedAt: z.string().optional(),
  lastUsedAt: z.string().optional(),
});
export type StoredToken = z.infer<typeof storedTokenSchema>;
export type TokenInfo = Omit<StoredToken, 'hash'>;

const TOKEN = /^iob_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface TokenStoreOptions {
  /** A lock file older than this is left over by a dead process and taken over (default 10 s). */
  staleLockMs?: number;
  /** How long a write waits for the lock before failing (default 15 s). */
  lockTimeoutMs?: number;
  /** `lastUsedAt` is written at most this often per token (default one minute). */
  lastUsedThrottleMs?: number;
}

/** Sleeps synchronously (the store's API is synchronous; waits are a few milliseconds). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * API tokens, stored hashed in one JSON file shared by every process (the API, `npm run token`). A token reads
 * `iob_<id>_<secret>`: the id finds the record, the secret is compared in constant time against the stored hash.
 *
 * Several processes: every read first checks the file's mtime, size and inode and re-reads it when they changed, so
 * a token created or revoked elsewhere counts at once. Every write is a read-modify-write under an exclusive lock
 * (`tokens.json.lock`, created with `wx`; retried with a short backoff; a lock older than `staleLockMs` is taken
 * over) and replaces the file atomically (temp file + rename).
 */
export class FileTokenStore {
  private tokens: StoredToken[] = [];
  private stamp = '';
  private readonly lockFile: string;
  private readonly staleLockMs: number;
  private readonly lockTimeoutMs: number;
  private readonly lastUsedThrottleMs: number;
  /** When this process last wrote each token's `lastUsedAt`. */
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly file: string,
    options: TokenStoreOptions = {},
  ) {
    this.lockFile = `${file}.lock`;
    this.staleLockMs = options.staleLockMs ?? 10_000;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
    this.lastUsedThrottleMs = options.lastUsedThrottleMs ?? 60_000;
    this.refresh();
  }

  list(): TokenInfo[] {
    this.refresh();
    return this.tokens.map(({ hash: _hash, ...info }) => info);
  }

  hasActiveAdmin(now = new Date()): boolean {
    this.refresh();
    return this.tokens.some((t) => t.role === 'admin' && this.isActive(t, now));
  }

  create(input: { name: string; role: Role; createdBy: string; expiresAt?: string }): {
    token: string;
    info: TokenInfo;
  } {
    const id = randomBytes(9)
      .toString('base64url')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '0')
      .slice(0, 12)
      .padEnd(12, '0');
    const secret = randomBytes(32).toString('base64url');
    const token = `iob_${id}_${secret}`;
    const stored: StoredToken = {
      id,
      name: input.name,
      role: input.role,
      hash: sha256(secret),
      createdAt: new Date().toISOString(),
      createdBy: input.createdBy,
      ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
    };
    this.update((tokens) => {
      tokens.push(stored);
      return true;
    });
    const { hash: _hash, ...info } = stored;
    return { token, info };
  }

  revoke(id: string): TokenInfo | undefined {
    let found: StoredToken | undefined;
    this.update((tokens) => {
      found = tokens.find((t) => t.id === id);
      if (!found || found.revokedAt) return false;
      found.revokedAt = new Date().toISOString();
      return true;
    });
    if (!found) return undefined;
    const { hash: _hash, ...info } = found;
    return info;
  }

  /** The token's record when it is well formed, known, not revoked and not expired; notes its use. */
  verify(token: string, now = new Date()): TokenInfo | undefined {
    const match = TOKEN.exec(token);
    if (!match) return undefined;
    this.refresh();
    const stored = this.tokens.find((t) => t.id === match[1]);
    if (!stored || !this.isActive(stored, now)) return undefined;
    const expected = Buffer.from(stored.hash, 'hex');
    const actual = Buffer.from(sha256(match[2]!), 'hex');
    if (!timingSafeEqual(expected, actual)) return undefined;
    this.noteUse(stored.id, now);
    const { hash: _hash, ...info } = stored;
    return info;
  }

  /** Writes `lastUsedAt` under the lock, at most once per `lastUsedThrottleMs` per token; never fails a request. */
  private noteUse(id: string, now: Date): void {
    const last = this.lastUsedWritten.get(id);
    if (last !== undefined && now.getTime() - last < this.lastUsedThrottleMs) return;
    this.lastUsedWritten.set(id, now.getTime());
    try {
      this.update(
        (tokens) => {
          const t = tokens.find((x) => x.id === id);
          if (!t) return false;
          if (t.lastUsedAt && now.getTime() - Date.parse(t.lastUsedAt) < this.lastUsedThrottleMs)
            return false;
          t.lastUsedAt = now.toISOString();
          return true;
        },
        // A request never waits long for bookkeeping: a busy lock skips this note until the next period.
        Math.min(this.lockTimeoutMs, 250),
      );
    } catch {
      // Bookkeeping only: a busy lock must not refuse a valid token.
    }
  }

  private isActive(t: StoredToken, now: Date): boolean {
    return !t.revokedAt && (!t.expiresAt || Date.parse(t.expiresAt) > now.getTime());
  }

  /** Re-reads the file when it changed since the last read (mtime, size, inode: a rename gives a new inode). */
  private refresh(): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.tokens = [];
      this.stamp = 'missing';
      return;
    }
    const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (stamp === this.stamp) return;
    this.tokens = z.array(storedTokenSchema).parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    this.stamp = stamp;
  }

  /** Read-modify-write under the lock; `change` returns whether it changed anything worth writing. */
  private update(change: (tokens: StoredToken[]) => boolean, lockTimeoutMs = this.lockTimeoutMs): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const release = this.lock(lockTimeoutMs);
    try {
      this.stamp = '';
      this.refresh();
      if (!change(this.tokens)) return;
      const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.tokens, null, 2), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
      this.stamp = '';
      this.refresh();
    } finally {
      release();
    }
  }

  /** Takes the lock file (`wx`: fails if it exists), retrying with a short backoff; returns its release. */
  private lock(timeoutMs: number): () => void {
    const deadline = Date.now() + timeoutMs;
    const owner = `${process.pid}.${randomBytes(6).toString('hex')}`;
    for (let attempt = 0; ; attempt++) {
      try {
        fs.writeFileSync(this.lockFile, owner, { flag: 'wx', mode: 0o600 });
        return () => {
          try {
            if (fs.readFileSync(this.lockFile, 'utf8') === owner) fs.unlinkSync(this.lockFile);
          } catch {
            // Already gone (taken over as stale): nothing to release.
          }
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      this.breakStaleLock();
      if (Date.now() > deadline) throw new Error(`token store busy: ${this.lockFile} held too long`);
      sleepSync(Math.min(5 * 2 ** Math.min(attempt, 5), 100) + Math.random() * 5);
    }
  }

  /** Removes a lock left by a process that died while holding it (older than `staleLockMs`). */
  private breakStaleLock(): void {
    try {
      const stat = fs.statSync(this.lockFile);
      if (Date.now() - stat.mtimeMs < this.staleLockMs) return;
      // Rename first so that two processes breaking the same stale lock cannot delete a fresh one.
      const aside = `${this.lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
      fs.renameSync(this.lockFile, aside);
      const moved = fs.statSync(aside);
      if (Date.now() - moved.mtimeMs < this.staleLockMs) {
        // Someone took the lock between our stat and rename: put it back if the slot is still free.
        try {
          fs.linkSync(aside, this.lockFile);
        } catch {
          // The slot was taken again meanwhile; that holder owns it.
        }
      }
      fs.unlinkSync(aside);
    } catch {
      // Gone or renamed by another process: just retry.
    }
  }
}
