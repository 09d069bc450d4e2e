/**
 * What one write to visibility costs the engine on this box: the minimal workflow (7 no-op activities) run in
 * rounds, alternately without and with a memo upsert in each of its first workflow tasks, on the same server and
 * worker as the scale bench. The difference of the rounds' durations, per upsert, is the engine's cost of one
 * visibility write (a history event, a task of the server's visibility queue and a row written). Prints; asserts
 * nothing.
 *
 *   npx tsx bench/visibility-cost.ts [--count 660] [--upserts 6] [--rounds 3]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { runBaseline } from './baseline';
import { DEFAULT_DB_DIR, DEFAULT_TUNING, startEnvironment, TASK_QUEUE } from './environment';
import { formatMs } from './stats';

const { values: flags } = parseArgs({
  options: {
    count: { type: 'string', default: '660' },
    upserts: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
  },
});

function positive(name: 'count' | 'upserts' | 'rounds'): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const count = positive('count');
  const upserts = positive('upserts');
  const rounds = positive('rounds');
  const activities = Math.max(7, upserts);
  const log = (line: string) => console.log(line);
  const env = await startEnvironment({
    tuning: DEFAULT_TUNING,
    institutions: {},
    sandboxLatencyMs: 0,
    dbDir: DEFAULT_DB_DIR,
    servicesTaskQueue: `${TASK_QUEUE}-services`,
    log: () => undefined,
  });
  const perRound: { upserts: number; ms: number }[] = [];
  try {
    log(
      `${count} minimal workflows of ${activities} activities per round, without and with ${upserts} memo upserts`,
    );
    for (let round = 1; round <= rounds; round++) {
      for (const memoUpserts of [0, upserts]) {
        const outcome = await runBaseline({
          client: env.client,
          count,
          input: { activities, timers: 0, memoUpserts },
          startConcurrency: 16,
          timeoutMs: 600_000,
          log,
        });
        if (!outcome.completed) throw new Error(outcome.errors.join('; '));
        perRound.push({ upserts: memoUpserts, ms: outcome.window.ms });
        log(
          `round ${round}, ${memoUpserts} upserts each: ${count} in ${formatMs(outcome.window.ms)} = ` +
            `${outcome.window.perSecond.toFixed(2)}/s (load ${os.loadavg()[0]!.toFixed(2)})`,
        );
      }
    }
  } finally {
    await env.close();
  }
  const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
  const without = mean(perRound.filter((r) => r.upserts === 0).map((r) => r.ms));
  const withUpserts = mean(perRound.filter((r) => r.upserts > 0).map((r) => r.ms));
  const perWrite = (withUpserts - without) / (count * upserts);
  log(
    `mean ${formatMs(without)} without, ${formatMs(withUpserts)} with: ` +
      `${formatMs(perWrite)} of the box per visibility write ` +
      `(${((withUpserts / without - 1) * 100).toFixed(0)} % slower for ${upserts} writes per workflow)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
