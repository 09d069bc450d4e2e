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
});
export type StoredToken = z.infer<typeof storedTokenSchema>;
export type TokenInfo = Omit<StoredToken, 'hash'>;

const TOKEN = /^iob_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * API tokens, stored hashed in one JSON file (atomic writes). A token reads `iob_<id>_<secret>`: the id finds the
 * record, the secret is compared in constant time against the stored hash.
 */
export class FileTokenStore {
  private tokens: StoredToken[];

  constructor(private readonly file: string) {
    this.tokens = fs.existsSync(file)
      ? z.array(storedTokenSchema).parse(JSON.parse(fs.readFileSync(file, 'utf8')))
      : [];
  }

  list(): TokenInfo[] {
    return this.tokens.map(({ hash: _hash, ...info }) => info);
  }

  hasActiveAdmin(now = new Date()): boolean {
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
    this.tokens.push(stored);
    this.save();
    const { hash: _hash, ...info } = stored;
    return { token, info };
  }

  revoke(id: string): TokenInfo | undefined {
    const stored = this.tokens.find((t) => t.id === id);
    if (!stored) return undefined;
    stored.revokedAt ??= new Date().toISOString();
    this.save();
    const { hash: _hash, ...info } = stored;
    return info;
  }

  /** The token's record when it is well formed, known, not revoked and not expired. */
  verify(token: string, now = new Date()): TokenInfo | undefined {
    const match = TOKEN.exec(token);
    if (!match) return undefined;
    const stored = this.tokens.find((t) => t.id === match[1]);
    if (!stored || !this.isActive(stored, now)) return undefined;
    const expected = Buffer.from(stored.hash, 'hex');
    const actual = Buffer.from(sha256(match[2]!), 'hex');
    if (!timingSafeEqual(expected, actual)) return undefined;
    const { hash: _hash, ...info } = stored;
    return info;
  }

  private isActive(t: StoredToken, now: Date): boolean {
    return !t.revokedAt && (!t.expiresAt || Date.parse(t.expiresAt) > now.getTime());
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.tokens, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
