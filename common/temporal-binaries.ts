import fs from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(
  __dirname,
  __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..',
);

export interface TemporalBinaries {
  /** The Temporal CLI (dev server), or undefined to let the SDK download it. */
  cliPath?: string;
  /** The time-skipping test server wrapper, or undefined to let the SDK download it. */
  testServerPath?: string;
}

/**
 * Where the provisioned servers are: the environment first (TEMPORAL_CLI_PATH, TEMPORAL_TEST_SERVER_PATH), then what
 * scripts/provision-temporal.sh recorded in .temporal/paths.env. A path that is recorded but gone is an error, not a
 * silent download.
 */
export function resolveTemporalBinaries(env: NodeJS.ProcessEnv = process.env): TemporalBinaries {
  const recorded: Record<string, string> = {};
  const pathsFile = path.join(PROJECT_ROOT, '.temporal', 'paths.env');
  if (fs.existsSync(pathsFile)) {
    for (const line of fs.readFileSync(pathsFile, 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match?.[2]) recorded[match[1]!] = match[2];
    }
  }
  const pick = (name: string): string | undefined => {
    const value = env[name]?.trim() || recorded[name];
    if (value && !fs.existsSync(value)) {
      throw new Error(`${name}=${value} does not exist: run scripts/provision-temporal.sh`);
    }
    return value || undefined;
  };
  return { cliPath: pick('TEMPORAL_CLI_PATH'), testServerPath: pick('TEMPORAL_TEST_SERVER_PATH') };
}
