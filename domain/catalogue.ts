import type { ServiceCardInput } from './service-card';

/**
 * The partner's catalogue of services a Comune can activate on App IO, with ready-to-review card texts. The first
 * eleven are the package the seed's consortium promises each Comune; PNRR's minimum is 3 or 5 by population band.
 */
export interface CatalogueEntry {
  slug: string;
  service_name: string;
  topic_id: number;
  description: string;
}

export const catalogue: readonly CatalogueEntry[] = [
  {
    slug: 'tari',
    service_name: 'Tassa sui rifiuti (TARI)',
    topic_id: 10,
    description:
      'Avvisi di pagamento, promemoria delle scadenze e comunicazioni sulla tassa sui rifiuti (TARI) della tua utenza.',
  },
  {
    slug: 'imu',
    service_name: 'Imposta municipale propria (IMU)',
    topic_id: 10,
    description: 'Promemoria delle scadenze di acconto e saldo IMU e comunicazioni dell’ufficio tributi.',
  },
  {
    slug: 'anagrafe',
    service_name: 'Servizi anagrafici',
    topic_id: 11,
    description:
      'Comunicazioni sulle pratiche anagrafiche: residenza, certificati, cambi di indirizzo e stato civile.',
  },
  {
    slug: 'cie',
    service_name: 'Carta d’identità elettronica (CIE)',
    topic_id: 11,
    description:
      'Promemoria della scadenza della carta d’identità e conferme degli appuntamenti per il rinnovo.',
  },
  {
    slug: 'mensa',
    service_name: 'Mensa scolastica',
    topic_id: 6,
    description:
      'Iscrizioni, ricariche, avvisi di pagamento e comunicazioni sul servizio di refezione scolastica.',
  },
  {
    slug: 'trasporto-scolastico',
    service_name: 'Trasporto scolastico',
    topic_id: 6,
    description:
      'Esito delle iscrizioni, avvisi di pagamento e variazioni del servizio di trasporto scolastico.',
  },
  {
    slug: 'asilo-nido',
    service_name: 'Asilo nido',
    topic_id: 6,
    description:
      'Graduatorie, esiti delle domande e avvisi di pagamento delle rette dell’asilo nido comunale.',
  },
  {
    slug: 'sanzioni-cds',
    service_name: 'Sanzioni al codice della strada',
    topic_id: 9,
    description:
      'Notifiche e avvisi di pagamento dei verbali della polizia locale per violazioni al codice della strada.',
  },
  {
    slug: 'elettorale',
    service_name: 'Servizi elettorali',
    topic_id: 12,
    description:
      'Comunicazioni su tessera elettorale, seggi, iscrizioni agli albi di scrutatori e presidenti.',
  },
  {
    slug: 'suap',
    service_name: 'Sportello unico attività produttive (SUAP)',
    topic_id: 2,
    description:
      'Aggiornamenti sullo stato delle pratiche presentate allo sportello unico per le attività produttive.',
  },
  {
    slug: 'edilizia',
    service_name: 'Pratiche edilizie',
    topic_id: 8,
    description: 'Aggiornamenti sullo stato delle pratiche edilizie e richieste di integrazione documentale.',
  },
  {
    slug: 'servizi-sociali',
    service_name: 'Servizi sociali',
    topic_id: 3,
    description: 'Esito delle domande di contributo e comunicazioni dei servizi sociali comunali.',
  },
  {
    slug: 'suolo-pubblico',
    service_name: 'Occupazione di suolo pubblico',
    topic_id: 14,
    description: 'Autorizzazioni, scadenze e avvisi di pagamento per l’occupazione di suolo pubblico.',
  },
  {
    slug: 'protezione-civile',
    service_name: 'Protezione civile',
    topic_id: 13,
    description: 'Avvisi personali della protezione civile comunale su allerte e misure che ti riguardano.',
  },
  {
    slug: 'biblioteca',
    service_name: 'Biblioteca comunale',
    topic_id: 5,
    description: 'Promemoria delle scadenze dei prestiti e disponibilità dei libri prenotati in biblioteca.',
  },
  {
    slug: 'lampade-votive',
    service_name: 'Lampade votive',
    topic_id: 0,
    description:
      'Avvisi di pagamento e scadenze del canone per l’illuminazione votiva nei cimiteri comunali.',
  },
  {
    slug: 'servizio-idrico',
    service_name: 'Servizio idrico',
    topic_id: 4,
    description: 'Bollette, letture dei contatori e comunicazioni sul servizio idrico comunale.',
  },
  {
    slug: 'appuntamenti',
    service_name: 'Appuntamenti agli sportelli',
    topic_id: 11,
    description:
      'Conferme, promemoria e variazioni degli appuntamenti prenotati presso gli sportelli comunali.',
  },
];

export const DEFAULT_PACKAGE_SIZE = 11;

export function catalogueEntry(slug: string): CatalogueEntry | undefined {
  return catalogue.find((entry) => entry.slug === slug);
}

/** Partner-wide defaults for every card (contacts and the portal's egress addresses). */
export interface CardDefaults {
  authorizedCidrs: string;
  logoRef: string;
  supportUrl?: string;
  phone?: string;
}

/** A complete card for a catalogue entry, filled with the Comune's data. */
export function cardFromCatalogue(
  entry: CatalogueEntry,
  comune: { name: string; fiscalCode: string; pec: string; website?: string },
  defaults: CardDefaults,
): ServiceCardInput {
  const site = comune.website?.replace(/\/+$/, '');
  return {
    service_name: entry.service_name,
    organization_name: comune.name,
    organization_fiscal_code: comune.fiscalCode,
    description: entry.description,
    privacy_url: site ? `${site}/privacy` : `https://www.${slugForHost(comune.name)}.it/privacy`,
    topic_id: entry.topic_id,
    service_scope: 'local',
    authorized_cidrs: defaults.authorizedCidrs,
    logo_ref: defaults.logoRef,
    pec: comune.pec,
    support_url: defaults.supportUrl,
    phone: defaults.phone,
    web_url: site,
  };
}

function slugForHost(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/^comune\s+di\s+/, 'comune.')
    .replace(/[^a-z0-9.]+/g, '');
}
