import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FileTokenStore } from '../../api/auth/token-store';

/**
 * The token store shared by several processes at once: the API, `npm run token` and other stores on the same file.
 * Child processes write while this process creates, authenticates and revokes; nothing may be lost and each side
 * sees the others' tokens and revocations without a restart.
 */

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const BUILT_CLI = path.join(ROOT, 'dist/scripts/token.js');
const STORE_MODULE = path.join(ROOT, 'api/auth/token-store.ts');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** The real command line: the build when it exists, else the TypeScript source through tsx. */
function cli(dataDir: string, args: string[]): Promise<{ stdout: string }> {
  const env = { ...process.env, DATA_DIR: dataDir };
  return fs.existsSync(BUILT_CLI)
    ? run(process.execPath, [BUILT_CLI, ...args], { cwd: ROOT, env })
    : run(TSX, [path.join(ROOT, 'scripts/token.ts'), ...args], { cwd: ROOT, env });
}

const tokenOf = (stdout: string) => /iob_[a-z0-9]{12}_[A-Za-z0-9_-]{43}/.exec(stdout)?.[0] ?? '';
const idOf = (token: string) => token.slice(4, 16);

/** A child process creating `count` tokens in a loop on the same file and verifying each one it made. */
function writer(file: string, prefix: string, count: number): Promise<string[]> {
  const script = `
    const { FileTokenStore } = require(${JSON.stringify(STORE_MODULE)});
    const store = new FileTokenStore(${JSON.stringify(file)}, { lastUsedThrottleMs: 0 });
    const out = [];
    for (let i = 0; i < ${count}; i++) {
      const { token } = store.create({ name: '${prefix}-' + i, role: 'staff', createdBy: 'test' });
      if (!store.verify(token)) throw new Error('own token refused');
      out.push(token);
    }
    process.stdout.write(JSON.stringify(out));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(stdout) as string[]) : reject(new Error(`writer ${prefix}: ${stderr}`)),
    );
  });
}

describe('token store shared by several processes', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'token-store-'));
    file = path.join(dir, 'auth', 'tokens.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loses nothing when two stores, two writer processes and the CLI create tokens at once', async () => {
    const a = new FileTokenStore(file, { lastUsedThrottleMs: 0 });
    const b = new FileTokenStore(file, { lastUsedThrottleMs: 0 });
    const admin = a.create({ name: 'amministratore', role: 'admin', createdBy: 'primo avvio' }).token;

    const children = Promise.all([
      writer(file, 'w1', 15),
      writer(file, 'w2', 15),
      ...['Laura Conti', 'Marco Rossi', 'Anna Bianchi'].map((name) =>
        cli(dir, ['create', '--name', name, '--role', 'manager']).then(({ stdout }) => tokenOf(stdout)),
      ),
    ]);
    // Meanwhile this process creates from both stores and authenticates (each verify also writes lastUsedAt).
    const mine: string[] = [];
    let done = false;
    void children.finally(() => (done = true));
    for (let i = 0; !done || i < 10; i++) {
      mine.push((i % 2 ? a : b).create({ name: `in-process-${i}`, role: 'staff', createdBy: 'test' }).token);
      expect(b.verify(admin)?.role).toBe('admin');
      expect(a.verify(mine[mine.length - 1]!)).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [w1, w2, ...fromCli] = await children;
    const all = [admin, ...mine, ...w1!, ...w2!, ...(fromCli as string[])];
    expect(fromCli.every((t) => /^iob_/.test(t as string))).toBe(true);

    // Nothing lost: the file holds every token once, and every store (and a fresh one) accepts each of them.
    const fresh = new FileTokenStore(file);
    for (const store of [a, b, fresh]) {
      expect(
        store
          .list()
          .map((t) => t.id)
          .sort(),
      ).toEqual(all.map(idOf).sort());
      for (const token of all) expect(store.verify(token)).toBeDefined();
    }
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['tokens.json']); // no lock or temp file left
    // lastUsedAt was written under the same lock without clobbering: the admin's use is recorded.
    expect(fresh.list().find((t) => t.id === idOf(admin))?.lastUsedAt).toEqual(expect.any(String));

    // The CLI lists what the stores created.
    const listed = (await cli(dir, ['list'])).stdout;
    expect(listed).toContain('in-process-0');
    expect(listed).toContain('w2-14');
  }, 120_000);

  it('sees a revocation made by another process at once, both ways', async () => {
    const api = new FileTokenStore(file);
    const { token: made } = api.create({ name: 'Giulia Verdi', role: 'staff', createdBy: 'test' });

    // A token created by the CLI while the "API" store runs is accepted without a restart…
    const fromCli = tokenOf((await cli(dir, ['create', '--name', 'Laura Conti', '--role', 'staff'])).stdout);
    expect(api.verify(fromCli)?.name).toBe('Laura Conti');
    // …and refused once the CLI revokes it.
    expect((await cli(dir, ['revoke', idOf(fromCli)])).stdout).toContain('revocato');
    expect(api.verify(fromCli)).toBeUndefined();

    // The other way: revoked by the API, the CLI and another store see it revoked.
    const other = new FileTokenStore(file);
    expect(other.verify(made)).toBeDefined();
    expect(api.revoke(idOf(made))?.revokedAt).toEqual(expect.any(String));
    expect(other.verify(made)).toBeUndefined();
    expect((await cli(dir, ['list'])).stdout).toMatch(/Giulia Verdi {2}\(revocato\)/);
  }, 60_000);

  it('throttles lastUsedAt and never overwrites a token another store created meanwhile', () => {
    const a = new FileTokenStore(file, { lastUsedThrottleMs: 60_000 });
    const b = new FileTokenStore(file);
    const { token } = a.create({ name: 'Giulia Verdi', role: 'staff', createdBy: 'test' });
    const t0 = new Date();
    expect(a.verify(token, t0)).toBeDefined();
    const first = b.list()[0]!.lastUsedAt;
    expect(first).toBe(t0.toISOString());
    // b creates a token; a's next use must not drop it (read-modify-write under the lock).
    b.create({ name: 'Marco Rossi', role: 'manager', createdBy: 'test' });
    a.verify(token, new Date(t0.getTime() + 10_000)); // throttled: no write
    expect(b.list().find((t) => t.name === 'Giulia Verdi')?.lastUsedAt).toBe(first);
    const later = new Date(t0.getTime() + 61_000);
    a.verify(token, later);
    expect(b.list().map((t) => t.name)).toEqual(['Giulia Verdi', 'Marco Rossi']);
    expect(b.list()[0]!.lastUsedAt).toBe(later.toISOString());
  });

  it('waits for a held lock, takes over a stale one, and gives up after the timeout', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lock = `${file}.lock`;
    const store = new FileTokenStore(file, { staleLockMs: 10_000, lockTimeoutMs: 300 });

    // A lock held by a live writer: the write waits, then fails clearly rather than writing without it.
    fs.writeFileSync(lock, 'someone');
    expect(() => store.create({ name: 'x1', role: 'staff', createdBy: 'test' })).toThrow(/busy/);
    expect(store.list()).toEqual([]);

    // A lock left by a crashed process (older than 10 s) is taken over.
    const old = new Date(Date.now() - 11_000);
    fs.utimesSync(lock, old, old);
    const { token } = store.create({ name: 'x2', role: 'staff', createdBy: 'test' });
    expect(store.verify(token)?.name).toBe('x2');
    expect(fs.existsSync(lock)).toBe(false);

    // A valid token is still accepted while the lock is busy: only the lastUsedAt note is skipped.
    fs.writeFileSync(lock, 'someone');
    expect(new FileTokenStore(file, { lockTimeoutMs: 50 }).verify(token)?.name).toBe('x2');
    fs.rmSync(lock);
  });
});
