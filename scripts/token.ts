/**
 * Token administration from the command line (the API offers the same under /api/v1/admin/tokens):
 *   npm run token -- create --name "Laura Conti" --role staff
 *   npm run token -- list
 *   npm run token -- revoke <id>
 * Safe while the back office runs: the store locks the file for each write and the API re-reads it when it changes.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { roleSchema } from '../api/auth/roles';
import { FileTokenStore } from '../api/auth/token-store';
import { loadConfigOrExit } from '../common/config';

const config = loadConfigOrExit();
const store = new FileTokenStore(path.join(config.dataDir, 'auth', 'tokens.json'));
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, role: { type: 'string' } },
});
const [command, id] = positionals;

if (command === 'create') {
  const role = roleSchema.safeParse(values.role);
  if (!values.name || !role.success) {
    console.error('uso: npm run token -- create --name <nome> --role staff|manager|admin');
    process.exit(2);
  }
  const { token, info } = store.create({ name: values.name, role: role.data, createdBy: 'riga di comando' });
  console.log(`token per ${info.name} (${info.role}), mostrato una sola volta:\n${token}`);
} else if (command === 'list') {
  for (const t of store.list())
    console.log(
      `${t.id}  ${t.role.padEnd(7)}  ${t.name}${t.revokedAt ? '  (revocato)' : ''}${t.lastUsedAt ? `  ultimo uso ${t.lastUsedAt}` : ''}`,
    );
} else if (command === 'revoke' && id) {
  console.log(store.revoke(id) ? `revocato ${id}` : `nessun token ${id}`);
} else {
  console.error('comandi: create --name <nome> --role <ruolo> | list | revoke <id>');
  process.exit(2);
}
