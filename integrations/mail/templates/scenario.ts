import { type Inline, link, strong, ui } from '../document';
import type { Delegate, Scenario } from '../schemas';
import { fullName } from './common';

/**
 * The Selfcare steps of the consortium's letter (seed 000), for scenario A (the Comune has not yet
 * adhered to prod-io: full onboarding) and B (already adherent: only a new administrator).
 */

export const SELFCARE_ONBOARDING_URL = 'https://selfcare.pagopa.it/onboarding/prod-io';

export const DEFAULT_LINK_VALIDITY_DAYS = 30;

export interface ScenarioOptions {
  trackingFormUrl?: string | undefined;
  linkValidityDays?: number | undefined;
}

const formName = (scenario: Scenario): string =>
  scenario === 'A' ? 'modulo di adesione e nomina' : 'modulo di sola nomina';

const accessStep = (): Inline[] => [
  "Accedere con SPID o CIE alla pagina di adesione a IO dell'Area Riservata (Selfcare) di PagoPA " +
    "(l'operazione può essere svolta dal Segretario comunale o da un referente dell'ufficio): ",
  link(SELFCARE_ONBOARDING_URL),
];

const searchStep = (): Inline[] => [
  'Selezionare il tipo di ente ',
  ui('Pubblica Amministrazione'),
  ', scegliere nel menù a tendina la voce ',
  ui('Ragione Sociale'),
  ' e digitare il nome del Comune.',
];

function delegateSteps(scenario: Scenario): Inline[][] {
  if (scenario === 'A') {
    return [
      [
        'Inserire tutti i dati richiesti relativi al Comune e i dati del Sindaco quale Legale Rappresentante.',
      ],
      [
        'Selezionare la voce ',
        ui('Inserisci me come Amministratore'),
        ': anche chi esegue la procedura disporrà così di un proprio utente.',
      ],
      [
        'Cliccare su ',
        ui('Aggiungi un altro amministratore'),
        ' e inserire i dati della persona delegata riportati di seguito.',
      ],
    ];
  }
  return [
    [
      "Nella pagina che riporta l'indicazione ",
      ui("L'Ente selezionato ha già aderito"),
      ', cliccare su ',
      ui('Aggiungi un nuovo Amministratore'),
      ' (in basso nella pagina) e inserire i dati della persona delegata riportati di seguito.',
    ],
  ];
}

function signedFormStep(scenario: Scenario, validityDays: number): Inline[] {
  return [
    'Al termine, Selfcare invierà una PEC alla casella principale del Comune. Aprire il link contenuto nel messaggio, scaricare il ',
    formName(scenario),
    ' in formato PDF ',
    strong('senza rinominarlo'),
    ', farlo firmare digitalmente dal Sindaco in formato ',
    strong('CAdES (file .p7m)'),
    ` e caricare il file firmato nella stessa pagina. Il link resta valido per ${validityDays} giorni.`,
  ];
}

const trackingStep = (url: string): Inline[] => [
  'Compilare infine il modulo online con cui tracciare la richiesta di delega: ',
  link(url),
];

/** The complete procedure, as in the letter. */
export function scenarioSteps(scenario: Scenario, options: ScenarioOptions): Inline[][] {
  const validity = options.linkValidityDays ?? DEFAULT_LINK_VALIDITY_DAYS;
  return [
    accessStep(),
    searchStep(),
    ...delegateSteps(scenario),
    signedFormStep(scenario, validity),
    ...(options.trackingFormUrl ? [trackingStep(options.trackingFormUrl)] : []),
  ];
}

/** The same procedure in three steps, to repeat a request. */
export function briefScenarioSteps(scenario: Scenario, options: ScenarioOptions): Inline[][] {
  const validity = options.linkValidityDays ?? DEFAULT_LINK_VALIDITY_DAYS;
  const delegateStep: Inline[] =
    scenario === 'A'
      ? [
          'Inserire i dati del Comune e del Sindaco quale Legale Rappresentante, selezionare ',
          ui('Inserisci me come Amministratore'),
          ' e poi ',
          ui('Aggiungi un altro amministratore'),
          ' con i dati della persona delegata riportati di seguito.',
        ]
      : [
          'Cliccare su ',
          ui('Aggiungi un nuovo Amministratore'),
          ' e inserire i dati della persona delegata riportati di seguito.',
        ];
  return [
    [
      'Accedere con SPID o CIE alla pagina di adesione ',
      link(SELFCARE_ONBOARDING_URL),
      ' e cercare il Comune per ',
      ui('Ragione Sociale'),
      '.',
    ],
    delegateStep,
    [
      'Aprire il link contenuto nella nuova PEC di Selfcare, scaricare il ',
      formName(scenario),
      ' senza rinominarlo, farlo firmare digitalmente dal Sindaco in formato CAdES (.p7m) e caricarlo ',
      strong(`entro ${validity} giorni`),
      '.',
    ],
    ...(options.trackingFormUrl ? [trackingStep(options.trackingFormUrl)] : []),
  ];
}

/** What the Comune still owes when nothing more specific is given. */
export function defaultAwaitedItems(
  scenario: Scenario,
  delegate: Delegate,
  options: ScenarioOptions,
): string[] {
  const name = fullName(delegate);
  const items =
    scenario === 'A'
      ? [
          `adesione dell'Ente a IO su Selfcare, con il Sindaco quale Legale Rappresentante e ${name} quale Amministratore`,
          'modulo di adesione e nomina firmato digitalmente dal Sindaco in formato CAdES (.p7m) e caricato tramite il link ricevuto via PEC',
        ]
      : [
          `nomina di ${name} quale nuovo Amministratore di IO su Selfcare`,
          'modulo di nomina firmato digitalmente dal Sindaco in formato CAdES (.p7m) e caricato tramite il link ricevuto via PEC',
        ];
  if (options.trackingFormUrl) items.push('compilazione del modulo online di tracciamento della delega');
  return items;
}
