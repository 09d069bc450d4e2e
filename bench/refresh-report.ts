/**
 * Refreshes BENCHMARKS.md's hand-written findings (bench/findings.md) and its table of runs (bench/results.jsonl)
 * without running the bench again. The generated figures above them stay those of the run that wrote the report.
 *
 *   npm run bench:refresh
 */
import path from 'node:path';
import { refreshReport } from './report';

const root = path.join(__dirname, '..');
refreshReport(
  path.join(root, 'BENCHMARKS.md'),
  path.join(__dirname, 'results.jsonl'),
  path.join(__dirname, 'findings.md'),
).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
