/**
 * The pages' read model from the command line (README «Pages read without waiting on a worker»):
 *   npm run read-model -- write    asks every open journey to write its documents again (after the upgrade to
 *                                  0.9.0, or a read-model folder restored or deleted by hand)
 * Safe while the back office runs: each journey writes at its own next task.
 */
import { parseArgs } from 'node:util';
import { askEveryJourneyToWrite } from '../api/read-model-refresh';
import { loadConfigOrExit } from '../common/config';
import { connectClient } from '../common/temporal';

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true });
  if (positionals[0] !== 'write') {
    console.error('comandi: write');
    process.exit(2);
  }
  const client = await connectClient(loadConfigOrExit());
  const outcome = await askEveryJourneyToWrite(client, {
    onProgress: (o) => console.log(`  ${o.signalled + o.failed} percorsi…`),
  });
  console.log(
    `Richiesti i documenti a ${outcome.signalled === 1 ? '1 percorso aperto' : `${outcome.signalled} percorsi aperti`}` +
      (outcome.failed > 0
        ? `; ${outcome.failed} non raggiunti (chiusi nel frattempo o Temporal non disponibile)`
        : '') +
      '.',
  );
  await client.connection.close();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
