// Prints one plain closing line ("tests: N passed, N failed") that CI reads whatever the runner. Under
// scripts/test.sh (several Jest runs) it also appends the counts to TEST_SUMMARY_FILE, which the script totals.
const { appendFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line =
      `tests: ${results.numPassedTests} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '');
    process.stdout.write(`\n${line}\n`);
    if (process.env.TEST_SUMMARY_FILE) {
      appendFileSync(process.env.TEST_SUMMARY_FILE, `${results.numPassedTests} ${failed} ${skipped}\n`);
    }
  }
}
module.exports = SummaryReporter;
