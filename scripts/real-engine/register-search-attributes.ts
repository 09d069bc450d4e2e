/**
 * Registers the project's search attributes (contracts/search-attributes.ts) on the real engine, through the same
 * registerSearchAttributes the API and the worker run at start, then checks that every one is there with its type.
 * Run by scripts/real-engine/setup.sh: `TEMPORAL_ENGINE_ADDRESS=127.0.0.1:27233 tsx <this file>`.
 */
import { Connection } from '@temporalio/client';
import { createLogger } from '../../common/logger';
import { registerSearchAttributes } from '../../common/temporal';
import { allSearchAttributeKeys } from '../../contracts/search-attributes';

const address = process.env.TEMPORAL_ENGINE_ADDRESS ?? '127.0.0.1:27233';
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const logger = createLogger('real-engine', process.env.LOG_LEVEL ?? 'warn');

/** "KEYWORD" and INDEXED_VALUE_TYPE_KEYWORD (or its number) name the same type. */
function typeName(value: unknown): string {
  const names: Record<number, string> = {
    1: 'TEXT',
    2: 'KEYWORD',
    3: 'INT',
    4: 'DOUBLE',
    5: 'BOOL',
    6: 'DATETIME',
    7: 'KEYWORD_LIST',
  };
  return typeof value === 'number'
    ? (names[value] ?? String(value))
    : String(value).replace(/^INDEXED_VALUE_TYPE_/, '');
}

async function main(): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    // A namespace just created reaches the services' caches within seconds: retry until all are listed.
    const deadline = Date.now() + 60_000;
    for (;;) {
      let problem: string;
      try {
        // Probe first: registerSearchAttributes would log the not-yet-visible namespace as a warning.
        await connection.operatorService.listSearchAttributes({ namespace });
        await registerSearchAttributes(connection, namespace, logger);
        const { customAttributes = {} } = await connection.operatorService.listSearchAttributes({
          namespace,
        });
        const wrong = allSearchAttributeKeys.filter(
          (k) => !(k.name in customAttributes) || typeName(customAttributes[k.name]) !== k.type,
        );
        if (wrong.length === 0) {
          process.stderr.write(
            `[real-engine] ${allSearchAttributeKeys.length} search attributes registered in ${namespace}\n`,
          );
          return;
        }
        problem = `missing or mistyped: ${wrong.map((k) => k.name).join(', ')}`;
      } catch (err) {
        problem = String(err);
      }
      if (Date.now() > deadline)
        throw new Error(`search attributes not registered on ${address}: ${problem}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[real-engine] ${String(err)}\n`);
  process.exit(1);
});
