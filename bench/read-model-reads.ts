/**
 * What a page's read of the read model costs the API's process: a Comune's journey document (a journey of 11
 * services, bench/fixtures/comune-document.json) written for `--comuni` Comuni, then read over and over, plain and
 * sealed with the payload codec, two ways: opened at every read (as a document changed since its last read is), and
 * kept while its file stands still (common/opened-files.ts). Also the heap a kept document holds, for the README's
 * sizing. Prints; asserts nothing.
 *
 *   npx tsx bench/read-model-reads.ts [--comuni 200] [--reads 20000]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AesGcmPayloadCodec } from '../common/payload-codec';
import { ReadModelStore } from '../common/read-model-store';
import { DEFAULT_DB_DIR } from './environment';

const { values: flags } = parseArgs({
  options: {
    comuni: { type: 'string', default: '200' },
    reads: { type: 'string', default: '20000' },
  },
});

function positive(name: 'comuni' | 'reads'): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** Far enough after every write that each document has stood still past the racy margin. */
const A_MINUTE_LATER = () => Date.now() + 60_000;
/** Before every write: no document ever stands still long enough, so each read opens its file. */
const BEFORE_EVERY_WRITE = () => 0;

async function main(): Promise<void> {
  const comuni = positive('comuni');
  const reads = positive('reads');
  const json = fs.readFileSync(path.join(__dirname, 'fixtures', 'comune-document.json'), 'utf8');
  const document = JSON.stringify(JSON.parse(json));
  const ipas = Array.from({ length: comuni }, (_, i) => `c_x${String(i).padStart(4, '0')}`);
  const held: ReadModelStore[] = [];
  console.log(`${comuni} Comuni's journey documents (${document.length} bytes of JSON each), ${reads} reads`);
  for (const sealed of [false, true]) {
    const dir = fs.mkdtempSync(path.join(DEFAULT_DB_DIR, 'read-model-reads-'));
    try {
      const codec = sealed
        ? new AesGcmPayloadCodec({ current: { id: 'bench', key: randomBytes(32) } })
        : undefined;
      const writer = new ReadModelStore(dir, codec);
      for (const ipa of ipas)
        await writer.write({
          ipa,
          asOf: new Date().toISOString(),
          documents: [{ key: 'comune', json: document }],
        });
      await writer.idle();
      for (const [label, now] of [
        ['opened at every read', BEFORE_EVERY_WRITE],
        ['kept while unchanged', A_MINUTE_LATER],
      ] as const) {
        const reader = new ReadModelStore(dir, codec, now);
        for (const ipa of ipas) await reader.read(ipa, 'comune'); // warm: the first read opens each file
        const cpu = process.cpuUsage();
        const started = performance.now();
        for (let i = 0; i < reads; i++) await reader.read(ipas[i % ipas.length]!, 'comune');
        const used = process.cpuUsage(cpu);
        const wallUs = ((performance.now() - started) * 1000) / reads;
        const cpuUs = (used.user + used.system) / reads;
        console.log(
          `${sealed ? 'sealed' : 'plain '}  ${label.padEnd(22)} ${cpuUs.toFixed(1).padStart(6)} µs of CPU per read, ` +
            `${wallUs.toFixed(1).padStart(6)} µs of wall clock`,
        );
      }
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) {
        gc();
        const before = process.memoryUsage().heapUsed;
        const reader = new ReadModelStore(dir, codec, A_MINUTE_LATER);
        for (const ipa of ipas) await reader.read(ipa, 'comune');
        gc();
        const perDocument = (process.memoryUsage().heapUsed - before) / ipas.length / 1024;
        console.log(`${sealed ? 'sealed' : 'plain '}  heap per kept document  ${perDocument.toFixed(1)} KiB`);
        held.push(reader); // alive until measured, with what it keeps
      } else console.log('(heap per document: run with node --expose-gc, as `npm run bench:reads` does)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
