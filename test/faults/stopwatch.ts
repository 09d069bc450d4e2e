/**
 * Timings of a fault test's phases (when each fault was injected, how long recovery took), written to stderr at the
 * end of the file so a slow run shows where the time went. FAULTS_QUIET=1 silences it.
 */
export function stopwatch(name: string) {
  const started = Date.now();
  const lines: string[] = [];
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`;
  return {
    mark(what: string): void {
      lines.push(`${elapsed()}  ${what}`);
    },
    note(what: string): void {
      lines.push(`          ${what}`);
    },
    report(): void {
      if (process.env.FAULTS_QUIET === '1' || lines.length === 0) return;
      process.stderr.write(`\n[faults/${name}]\n${lines.join('\n')}\n`);
    },
  };
}
