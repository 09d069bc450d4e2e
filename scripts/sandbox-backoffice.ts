/**
 * PagoPA's part in the embedded demo, against the running local sandbox (`npm start` without IO_MANAGE_BASE_URL):
 *   npm run sandbox -- onboard <fiscal code> [--name "Comune di …"]   Selfcare: the Comune active on prod-io
 *   npm run sandbox -- keys <fiscal code>                           IO back office: «Chiavi API di gestione»
 *   npm run sandbox -- regenerate <fiscal code> primary|secondary    IO back office: «Rigenera»
 *   npm run sandbox -- cidrs <fiscal code> [cidr;cidr…]              IO back office: authorised addresses
 *   npm run sandbox -- reject <fiscal code>                          Selfcare: the onboarding rejected
 *   npm run sandbox -- unpublish <fiscal code> "<nome del servizio>"   IO back office: the service taken off the app
 * The keys are printed in clear, as the IO back office shows them to the Comune's administrator: this command
 * talks only to the local sandbox, never to PagoPA.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../common/config';
import { createLogger } from '../common/logger';
import { createIoManageClient } from '../integrations/io';

const config = loadConfigOrExit();
if (!config.embeddedSandbox) {
  console.error('IO_MANAGE_BASE_URL è impostato: questo comando serve solo con la sandbox locale.');
  process.exit(2);
}
const secretsFile = path.join(config.dataDir, 'sandbox', 'secrets.json');
if (!fs.existsSync(secretsFile)) {
  console.error(`Sandbox mai avviata in ${config.dataDir}: esegui prima npm start.`);
  process.exit(2);
}
const secrets = JSON.parse(fs.readFileSync(secretsFile, 'utf8')) as { adminToken: string };
const base = `http://127.0.0.1:${config.SANDBOX_PORT}/__admin`;
const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' } } });
const [command, fiscalCode, extra] = positionals;

async function call(method: string, route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${config.SANDBOX_ADMIN_TOKEN ?? secrets.adminToken}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function setOnboarding(status: 'ACTIVE' | 'REJECTED'): Promise<void> {
  const { institutions } = (await call('GET', '/selfcare/institutions')) as {
    institutions: {
      taxCode?: string;
      description?: string;
      digitalAddress?: string;
      onboarding: unknown[];
    }[];
  };
  const known = institutions.find((i) => i.taxCode === fiscalCode);
  await call('PUT', `/selfcare/institutions/${fiscalCode}`, {
    description: values.name ?? known?.description ?? `Ente ${fiscalCode}`,
    ...(known?.digitalAddress ? { digitalAddress: known.digitalAddress } : {}),
    onboarding: [
      ...(known?.onboarding ?? []).filter((o) => (o as { productId?: string }).productId !== 'prod-io'),
      { productId: 'prod-io', status },
    ],
  });
}

async function main(): Promise<void> {
  if (!fiscalCode || !/^[0-9]{11}$/.test(fiscalCode)) throw new Error('codice fiscale dell’ente: 11 cifre');
  switch (command) {
    case 'onboard':
      await setOnboarding('ACTIVE');
      console.log(
        `Selfcare: ${fiscalCode} aderisce ad App IO (prod-io ACTIVE). Chiavi: npm run sandbox -- keys ${fiscalCode}`,
      );
      return;
    case 'reject':
      await setOnboarding('REJECTED');
      console.log(`Selfcare: adesione di ${fiscalCode} ad App IO rifiutata.`);
      return;
    case 'keys': {
      const keys = (await call('GET', `/institutions/${fiscalCode}/manage-keys`)) as Record<string, string>;
      console.log(
        `Chiavi API di gestione di ${fiscalCode}\n  primaria:   ${keys.primary_key}\n  secondaria: ${keys.secondary_key}`,
      );
      return;
    }
    case 'regenerate': {
      if (extra !== 'primary' && extra !== 'secondary') throw new Error('quale chiave: primary o secondary');
      await call('PUT', `/institutions/${fiscalCode}/manage-keys/${extra}`);
      console.log(
        `Chiave ${extra === 'primary' ? 'primaria' : 'secondaria'} rigenerata: la precedente non vale più.`,
      );
      return;
    }
    case 'cidrs': {
      const cidrs = (extra ?? '')
        .split(';')
        .map((c) => c.trim())
        .filter(Boolean);
      const answer = (await call('PUT', `/institutions/${fiscalCode}/manage-keys/cidrs`, {
        cidrs,
      })) as unknown;
      console.log(`Indirizzi autorizzati: ${JSON.stringify(answer)}`);
      return;
    }
    case 'unpublish': {
      // As the Comune's administrator would in its IO back office, with the Comune's own manage key.
      if (!extra) throw new Error('nome del servizio da togliere da App IO, tra virgolette');
      const keys = (await call('GET', `/institutions/${fiscalCode}/manage-keys`)) as Record<string, string>;
      const io = createIoManageClient({
        baseUrl: `http://127.0.0.1:${config.SANDBOX_PORT}`,
        manageKey: keys.primary_key!,
        logger: createLogger('sandbox', 'silent'),
      });
      // The client's own search: every page, deleted services skipped (PagoPA keeps them listed).
      const service = await io.findServiceByName(fiscalCode, extra);
      if (!service) throw new Error(`nessun servizio «${extra}» (non eliminato) per ${fiscalCode}`);
      await io.unpublish(service.id);
      console.log(`Servizio «${service.name}» (${service.id}) tolto da App IO.`);
      return;
    }
    default:
      throw new Error(
        'comandi: onboard | reject | keys | regenerate primary|secondary | cidrs "a.b.c.d/32;…" | unpublish "<servizio>"',
      );
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
});
