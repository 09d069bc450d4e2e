import fs from 'node:fs';
import path from 'node:path';
import { domainLabelsModule } from '../../api/domain-labels';
import { CONSOLE_DIR, consoleTypeFiles } from '../../scripts/generate-console-types';

/**
 * The console's JavaScript is type-checked (tsconfig.console.json) against declarations generated from the API:
 * they must be the ones the current code generates, or the check would pass against a stale API.
 */
describe('console type declarations', () => {
  let generated: Record<string, string>;

  beforeAll(async () => {
    generated = await consoleTypeFiles();
  });

  it.each(['api-types.d.ts', 'domain-labels.d.ts'])('api/console/%s is up to date', (name) => {
    const checkedIn = fs.readFileSync(path.join(CONSOLE_DIR, name), 'utf8');
    if (checkedIn !== generated[name]) {
      throw new Error(
        `api/console/${name} differs from what the API generates: run \`npm run gen:console-types\``,
      );
    }
  });

  it('declares exactly the names /domain-labels.js exports', () => {
    const served = [...domainLabelsModule().matchAll(/^export const (\w+) =/gm)].map((m) => m[1]);
    const declaration = fs.readFileSync(path.join(CONSOLE_DIR, 'domain-labels.d.ts'), 'utf8');
    const declared = [...declaration.matchAll(/^export declare const (\w+):/gm)].map((m) => m[1]);
    expect(served.length).toBeGreaterThan(0);
    expect(declared).toEqual(served);
  });
});
