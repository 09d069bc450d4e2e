import { validateOrganizationFiscalCode } from '../../domain/fiscal-code';
import { TOPICS as PAGOPA_TOPICS } from '../../sandbox/service-ops';
import {
  CARD_LIMITS,
  type CardIssue,
  type ServiceCard,
  type ServiceCardInput,
  cidrIssues,
  isShouting,
  serviceCardIssues,
  serviceCardSchema,
  topicIds,
} from '../../domain/service-card';

/** Comune di Trento: a real organisation fiscal code with a correct check digit. */
const TRENTO_FISCAL_CODE = '00355870221';

function validInput(overrides: Partial<ServiceCardInput> = {}): ServiceCardInput {
  return {
    service_name: 'Prenotazione sale comunali',
    organization_name: 'Comune di Trento',
    organization_fiscal_code: TRENTO_FISCAL_CODE,
    description:
      'Conferme, promemoria e variazioni delle prenotazioni delle sale comunali per riunioni, mostre ed eventi.',
    privacy_url: 'https://www.comune.trento.it/privacy',
    topic_id: 14,
    service_scope: 'local',
    authorized_cidrs: '192.168.10.11/32;172.16.30.24/32',
    logo_ref: 'a'.repeat(64),
    phone: '+39 0461 884111',
    email: 'servizi.sale@comune.trento.it',
    pec: 'protocollo@pec.comune.trento.it',
    support_url: 'https://www.comune.trento.it/contatti',
    tos_url: 'https://www.comune.trento.it/termini',
    web_url: 'https://www.comune.trento.it/sale',
    app_ios: 'https://apps.apple.com/it/app/comune-di-trento/id000000000',
    app_android: 'https://play.google.com/store/apps/details?id=it.comune.trento',
    address: 'Via Belenzani 19, 38122 Trento',
    ...overrides,
  };
}

/** A parsed card: valid unless an override breaks it. */
function validCard(overrides: Partial<ServiceCardInput> = {}): ServiceCard {
  return serviceCardSchema.parse(validInput(overrides));
}

function fieldsOf(issues: CardIssue[]): string[] {
  return issues.map((issue) => issue.field);
}

/** Exactly one issue, naming `field` both in `field` and at the start of its message. */
function expectSingleIssue(issues: CardIssue[], field: string): CardIssue {
  expect(fieldsOf(issues)).toEqual([field]);
  const issue = issues[0]!;
  expect(issue.message.startsWith(`${field}: `)).toBe(true);
  expect(issue.message.length).toBeGreaterThan(`${field}: `.length);
  return issue;
}

describe('fixture', () => {
  it('uses a fiscal code with a correct check digit', () => {
    expect(validateOrganizationFiscalCode(TRENTO_FISCAL_CODE)).toBe(true);
  });

  it('is a fully valid card: no issues, with or without the expected fiscal code', () => {
    expect(serviceCardIssues(validCard())).toEqual([]);
    expect(serviceCardIssues(validCard(), { organizationFiscalCode: TRENTO_FISCAL_CODE })).toEqual([]);
  });

  it('is valid with only the mandatory fields and one contact', () => {
    const minimal = serviceCardSchema.parse({
      service_name: 'Tassa sui rifiuti (TARI)',
      organization_name: 'Comune di Trento',
      organization_fiscal_code: TRENTO_FISCAL_CODE,
      description: 'Avvisi di pagamento e scadenze della tassa sui rifiuti.',
      privacy_url: 'https://www.comune.trento.it/privacy',
      topic_id: 10,
      authorized_cidrs: '203.0.113.10/32',
      logo_ref: '0123456789abcdef'.repeat(4),
      pec: 'protocollo@pec.comune.trento.it',
    });
    expect(serviceCardIssues(minimal)).toEqual([]);
  });
});

describe('serviceCardSchema', () => {
  it('defaults service_scope to local', () => {
    const { service_scope: _omitted, ...rest } = validInput();
    expect(serviceCardSchema.parse(rest).service_scope).toBe('local');
  });

  it('trims text fields', () => {
    const card = validCard({
      service_name: '  Prenotazione sale comunali  ',
      organization_fiscal_code: ` ${TRENTO_FISCAL_CODE}\n`,
      email: ' servizi@comune.trento.it ',
    });
    expect(card.service_name).toBe('Prenotazione sale comunali');
    expect(card.organization_fiscal_code).toBe(TRENTO_FISCAL_CODE);
    expect(card.email).toBe('servizi@comune.trento.it');
    expect(serviceCardIssues(card, { organizationFiscalCode: TRENTO_FISCAL_CODE })).toEqual([]);
  });

  it.each([
    'service_name',
    'organization_name',
    'organization_fiscal_code',
    'description',
    'privacy_url',
    'topic_id',
    'authorized_cidrs',
    'logo_ref',
  ] as const)('requires %s', (field) => {
    const input: Record<string, unknown> = { ...validInput() };
    delete input[field];
    expect(serviceCardSchema.safeParse(input).success).toBe(false);
  });

  it.each(['service_name', 'organization_name', 'description', 'privacy_url', 'authorized_cidrs'] as const)(
    'refuses a blank %s',
    (field) => {
      expect(serviceCardSchema.safeParse(validInput({ [field]: '   ' })).success).toBe(false);
    },
  );

  it('accepts every topic id and nothing outside them', () => {
    expect(topicIds).toHaveLength(18);
    for (let topic = 0; topic < topicIds.length; topic++) {
      expect(serviceCardSchema.safeParse(validInput({ topic_id: topic })).success).toBe(true);
    }
    for (const topic of [-1, topicIds.length, 1.5]) {
      expect(serviceCardSchema.safeParse(validInput({ topic_id: topic })).success).toBe(false);
    }
  });

  it('names each topic as PagoPA does (the sandbox serves PagoPA’s list at GET /api/v1/manage/topics)', () => {
    // Staff read these names on the card and in the dossier: «Redditi, patrimoni e fisco», with PagoPA's commas.
    expect([...topicIds]).toEqual([...PAGOPA_TOPICS]);
  });

  it('accepts only local or national as scope', () => {
    expect(serviceCardSchema.safeParse(validInput({ service_scope: 'national' })).success).toBe(true);
    const bad: Record<string, unknown> = { ...validInput(), service_scope: 'regional' };
    expect(serviceCardSchema.safeParse(bad).success).toBe(false);
  });

  it.each(['', 'a'.repeat(63), 'a'.repeat(65), 'A'.repeat(64), 'g'.repeat(64), 'logo.png'])(
    'refuses logo_ref %p (not a sha256 hex digest)',
    (logoRef) => {
      expect(serviceCardSchema.safeParse(validInput({ logo_ref: logoRef })).success).toBe(false);
    },
  );
});

describe('serviceCardIssues: one rule broken at a time', () => {
  describe('service_name', () => {
    it('refuses a name in capitals ("SERVIZI SCOLASTICI")', () => {
      expectSingleIssue(serviceCardIssues(validCard({ service_name: 'SERVIZI SCOLASTICI' })), 'service_name');
    });

    it('allows acronyms in capitals', () => {
      for (const name of [
        'Tassa sui rifiuti (TARI)',
        'Pagamento TARI',
        'Imposta municipale propria (IMU)',
        'Sportello unico attività produttive (SUAP)',
        'Permessi ZTL',
      ]) {
        expect(serviceCardIssues(validCard({ service_name: name }))).toEqual([]);
      }
    });

    it('refuses a name over 100 characters, accepts exactly 100', () => {
      const at = (length: number) => `Servizi ${'a'.repeat(length - 'Servizi '.length)}`;
      expect(at(CARD_LIMITS.nameMax)).toHaveLength(100);
      expect(serviceCardIssues(validCard({ service_name: at(100) }))).toEqual([]);
      expectSingleIssue(serviceCardIssues(validCard({ service_name: at(101) })), 'service_name');
    });

    it.each(['Prenota sale comunali', 'Paga la mensa', 'Richiedi certificati', 'Iscriviti al nido'])(
      'refuses the imperative %p',
      (name) => {
        const issue = expectSingleIssue(serviceCardIssues(validCard({ service_name: name })), 'service_name');
        expect(issue.message).toContain(name);
      },
    );

    it.each([
      'Pagare la TARI',
      'Prenotare sale comunali',
      'Ricevere avvisi',
      'Iscrivere i figli',
      'Seguire le pratiche',
    ])('refuses the infinitive %p', (name) => {
      expectSingleIssue(serviceCardIssues(validCard({ service_name: name })), 'service_name');
    });

    it('accepts the noun phrase "Prenotazione sale comunali"', () => {
      expect(serviceCardIssues(validCard({ service_name: 'Prenotazione sale comunali' }))).toEqual([]);
    });
  });

  describe('organization_name', () => {
    it('refuses "Varese" and accepts "Comune di Varese"', () => {
      expectSingleIssue(serviceCardIssues(validCard({ organization_name: 'Varese' })), 'organization_name');
      expect(serviceCardIssues(validCard({ organization_name: 'Comune di Varese' }))).toEqual([]);
    });

    it.each([
      'comune di Varese',
      'Unione dei comuni della Valsugana',
      'Consorzio dei comuni trentini',
      'Citta di Torino',
    ])('accepts %p', (name) => {
      expect(serviceCardIssues(validCard({ organization_name: name }))).toEqual([]);
    });

    it('refuses a name that only starts like "Comune"', () => {
      expectSingleIssue(
        serviceCardIssues(validCard({ organization_name: 'Comunemente Varese' })),
        'organization_name',
      );
    });

    it('refuses the organisation name in capitals', () => {
      expectSingleIssue(
        serviceCardIssues(validCard({ organization_name: 'COMUNE DI VARESE' })),
        'organization_name',
      );
    });

    // Known bug (see report): `\b` after an accented final letter never matches in a non-unicode regex, so the
    // accented forms listed in the module's own pattern are refused. Drop `.failing` once the module is fixed.
    it.each(['Città di Torino', 'Comunità della Val di Non'])('accepts %p (accented prefix)', (name) => {
      expect(serviceCardIssues(validCard({ organization_name: name }))).toEqual([]);
    });
  });

  describe('organization_fiscal_code', () => {
    it.each(['00355870220', '0035587022', '003558702211', 'RSSMRA85T10A562S', 'abcdefghijk', ''])(
      'refuses %p',
      (code) => {
        expectSingleIssue(
          serviceCardIssues(validCard({ organization_fiscal_code: code })),
          'organization_fiscal_code',
        );
      },
    );

    it('refuses a valid code that is not the Comune’s', () => {
      const issues = serviceCardIssues(validCard(), { organizationFiscalCode: '00000000000' });
      const issue = expectSingleIssue(issues, 'organization_fiscal_code');
      expect(issue.message).toMatch(/non corrisponde/);
    });

    it('reports an invalid code once, not also as mismatching', () => {
      const issues = serviceCardIssues(validCard({ organization_fiscal_code: '00355870220' }), {
        organizationFiscalCode: TRENTO_FISCAL_CODE,
      });
      const issue = expectSingleIssue(issues, 'organization_fiscal_code');
      expect(issue.message).toMatch(/non valido/);
    });
  });

  describe('description', () => {
    it('refuses fewer than 20 characters, accepts exactly 20', () => {
      expect(serviceCardIssues(validCard({ description: 'a'.repeat(CARD_LIMITS.descriptionMin) }))).toEqual(
        [],
      );
      expectSingleIssue(serviceCardIssues(validCard({ description: 'Avvisi comunali.' })), 'description');
      expectSingleIssue(serviceCardIssues(validCard({ description: 'a'.repeat(19) })), 'description');
    });

    it('counts length after trimming', () => {
      expectSingleIssue(
        serviceCardIssues(validCard({ description: `   ${'a'.repeat(19)}   ` })),
        'description',
      );
    });

    it('refuses more than 1000 characters, accepts exactly 1000', () => {
      const text = (length: number) => 'avvisi e scadenze '.repeat(100).slice(0, length - 1) + '.';
      expect(text(1000)).toHaveLength(1000);
      expect(serviceCardIssues(validCard({ description: text(1000) }))).toEqual([]);
      expectSingleIssue(serviceCardIssues(validCard({ description: text(1001) })), 'description');
    });

    it('refuses a description in capitals', () => {
      expectSingleIssue(
        serviceCardIssues(validCard({ description: 'AVVISI DI PAGAMENTO DELLA TASSA SUI RIFIUTI.' })),
        'description',
      );
    });

    it('accepts acronyms in a description', () => {
      expect(
        serviceCardIssues(
          validCard({ description: 'Avvisi di pagamento TARI e IMU, con promemoria delle scadenze.' }),
        ),
      ).toEqual([]);
    });
  });

  describe('privacy_url and other URLs', () => {
    it.each([
      'ftp://www.comune.trento.it/privacy',
      'www.comune.trento.it/privacy',
      'https://',
      'https:// spazio.it',
    ])('refuses privacy_url %p', (url) => {
      expectSingleIssue(serviceCardIssues(validCard({ privacy_url: url })), 'privacy_url');
    });

    it('accepts http and https privacy URLs', () => {
      expect(serviceCardIssues(validCard({ privacy_url: 'http://comune.trento.it/privacy' }))).toEqual([]);
      expect(
        serviceCardIssues(validCard({ privacy_url: 'HTTPS://WWW.comune.trento.it/Privacy?x=1' })),
      ).toEqual([]);
    });

    it.each(['support_url', 'tos_url', 'web_url', 'app_ios', 'app_android'] as const)(
      'refuses an invalid %s and accepts it missing',
      (field) => {
        expectSingleIssue(serviceCardIssues(validCard({ [field]: 'ftp://example.org' })), field);
        expect(serviceCardIssues(validCard({ [field]: undefined }))).toEqual([]);
      },
    );
  });

  describe('contacts', () => {
    const noContacts = { phone: undefined, email: undefined, pec: undefined, support_url: undefined };

    it('requires at least one contact', () => {
      expectSingleIssue(serviceCardIssues(validCard(noContacts)), 'contacts');
    });

    it('does not count blank contacts', () => {
      expectSingleIssue(serviceCardIssues(validCard({ ...noContacts, email: '   ', phone: '' })), 'contacts');
    });

    it.each([
      { phone: '0461 884111' },
      { email: 'servizi@comune.trento.it' },
      { pec: 'protocollo@pec.comune.trento.it' },
      { support_url: 'https://www.comune.trento.it/contatti' },
    ])('is satisfied by %p alone', (contact) => {
      expect(serviceCardIssues(validCard({ ...noContacts, ...contact }))).toEqual([]);
    });

    it.each(['servizi.comune.trento.it', 'servizi@comune', 'a b@comune.it', '@comune.trento.it'])(
      'refuses email %p',
      (email) => {
        expectSingleIssue(serviceCardIssues(validCard({ email })), 'email');
      },
    );

    it.each(['protocollo.pec.comune.trento.it', 'protocollo@pec'])('refuses pec %p', (pec) => {
      expectSingleIssue(serviceCardIssues(validCard({ pec })), 'pec');
    });

    it.each(['123', 'chiamaci', '+39 0461 abc', '0461-884111-', '+39 0461 884111 884111 884111'])(
      'refuses phone %p',
      (phone) => {
        expectSingleIssue(serviceCardIssues(validCard({ phone })), 'phone');
      },
    );

    it.each(['0461884111', '+39 0461 884111', '0461/884111', '0461-884.111', '800 123456'])(
      'accepts phone %p',
      (phone) => {
        expect(serviceCardIssues(validCard({ phone }))).toEqual([]);
      },
    );
  });

  describe('address', () => {
    it('refuses an address over 100 characters, accepts exactly 100', () => {
      const at = (length: number) => `Via ${'b'.repeat(length - 4)}`;
      expect(serviceCardIssues(validCard({ address: at(CARD_LIMITS.addressMax) }))).toEqual([]);
      expectSingleIssue(serviceCardIssues(validCard({ address: at(101) })), 'address');
    });

    it('refuses an address in capitals', () => {
      expectSingleIssue(serviceCardIssues(validCard({ address: 'VIA BELENZANI 19, TRENTO' })), 'address');
    });
  });

  describe('service_scope', () => {
    it('refuses national scope for a Comune', () => {
      expectSingleIssue(serviceCardIssues(validCard({ service_scope: 'national' })), 'service_scope');
    });
  });

  describe('authorized_cidrs', () => {
    it('accepts the seed example "192.168.10.11/32;172.16.30.24/32"', () => {
      expect(serviceCardIssues(validCard({ authorized_cidrs: '192.168.10.11/32;172.16.30.24/32' }))).toEqual(
        [],
      );
    });

    it.each(['300.1.1.1/32', '10.0.0.1', '10.0.0.0/33', '0.0.0.0/0'])('refuses %p', (cidrs) => {
      const issue = expectSingleIssue(
        serviceCardIssues(validCard({ authorized_cidrs: cidrs })),
        'authorized_cidrs',
      );
      expect(issue.message).toContain(cidrs);
    });

    it('ignores empty entries between semicolons', () => {
      expect(
        serviceCardIssues(validCard({ authorized_cidrs: ';192.168.10.11/32;; ;172.16.30.24/32;' })),
      ).toEqual([]);
    });

    it('reports each bad entry as its own issue', () => {
      const issues = serviceCardIssues(
        validCard({ authorized_cidrs: '300.1.1.1/32;10.0.0.1;203.0.113.10/32' }),
      );
      expect(fieldsOf(issues)).toEqual(['authorized_cidrs', 'authorized_cidrs']);
    });

    it('refuses a list made only of separators', () => {
      expectSingleIssue(serviceCardIssues(validCard({ authorized_cidrs: ' ; ; ' })), 'authorized_cidrs');
    });
  });
});

describe('serviceCardIssues: several problems at once', () => {
  it('returns every problem, each naming its field', () => {
    const card = validCard({
      service_name: 'SERVIZI SCOLASTICI',
      organization_name: 'Varese',
      organization_fiscal_code: '12345678901',
      description: 'Breve.',
      privacy_url: 'ftp://x',
      phone: undefined,
      email: undefined,
      pec: undefined,
      support_url: undefined,
      service_scope: 'national',
      authorized_cidrs: '0.0.0.0/0',
    });
    const issues = serviceCardIssues(card);
    expect(new Set(fieldsOf(issues))).toEqual(
      new Set([
        'service_name',
        'organization_name',
        'organization_fiscal_code',
        'description',
        'privacy_url',
        'contacts',
        'service_scope',
        'authorized_cidrs',
      ]),
    );
    for (const issue of issues) expect(issue.message.startsWith(`${issue.field}: `)).toBe(true);
  });
});

describe('isShouting', () => {
  it.each([
    'SERVIZI SCOLASTICI',
    'MENSA',
    'AVVISI DI PAGAMENTO',
    'Avvisi IMPORTANTISSIMI per te',
    'Servizi ANAGRAFICI',
    'CITTÀ DI TORINO',
  ])('is true for %p', (text) => {
    expect(isShouting(text)).toBe(true);
  });

  it.each([
    'Servizi scolastici',
    'Tassa sui rifiuti (TARI)',
    'IMU',
    'CIE',
    'TARI e IMU',
    'Sportello unico attività produttive (SUAP)',
    'Comune di Trento',
    'Città di Torino',
    'PagoPA e App IO',
    '',
    '12345 678',
    'Via Roma 1, 38122 Trento',
  ])('is false for %p', (text) => {
    expect(isShouting(text)).toBe(false);
  });

  it('allows an acronym of up to 5 letters inside a sentence, not 6', () => {
    expect(isShouting('Pratiche COSAP in corso')).toBe(false);
    expect(isShouting('Pratiche ABCDEF in corso')).toBe(true);
  });

  it('allows a lone acronym of up to 4 letters, not a word in capitals', () => {
    expect(isShouting('TARI')).toBe(false);
    expect(isShouting('MENSA')).toBe(true);
  });
});

describe('cidrIssues', () => {
  it('accepts valid CIDRs', () => {
    expect(cidrIssues('192.168.10.11/32;172.16.30.24/32')).toEqual([]);
    expect(cidrIssues('203.0.113.0/24')).toEqual([]);
    expect(cidrIssues('255.255.255.255/32')).toEqual([]);
    expect(cidrIssues('10.0.0.0/8')).toEqual([]);
    expect(cidrIssues(' 10.0.0.1/32 ; 10.0.0.2/32 ')).toEqual([]);
  });

  it('ignores empty entries between semicolons', () => {
    expect(cidrIssues(';;192.168.10.11/32;;;172.16.30.24/32;')).toEqual([]);
  });

  it('needs at least one entry', () => {
    expect(cidrIssues('')).toEqual(['almeno un indirizzo IP/CIDR']);
    expect(cidrIssues(' ; ;; ')).toEqual(['almeno un indirizzo IP/CIDR']);
  });

  it.each([
    '300.1.1.1/32',
    '10.0.0.256/32',
    '10.0.0.1',
    '10.0.0.0/33',
    '10.0.0/24',
    '10.0.0.0.0/24',
    '10.0.0.0/',
    'a.b.c.d/32',
    '2001:db8::/32',
    '10.0.0.1/32/32',
    '1000.0.0.1/32',
  ])('refuses %p as not an IPv4 CIDR', (cidr) => {
    const problems = cidrIssues(cidr);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`"${cidr}"`);
    expect(problems[0]).toMatch(/non è un CIDR IPv4/);
  });

  it('refuses the catch-all /0', () => {
    for (const cidr of ['0.0.0.0/0', '10.0.0.0/0']) {
      const problems = cidrIssues(cidr);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/qualunque indirizzo/);
    }
  });

  it('reports one problem per bad entry, in order', () => {
    const problems = cidrIssues('300.1.1.1/32;192.168.10.11/32;10.0.0.1;0.0.0.0/0');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('300.1.1.1/32');
    expect(problems[1]).toContain('10.0.0.1');
    expect(problems[2]).toContain('0.0.0.0/0');
  });
});
