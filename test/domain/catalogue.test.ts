import { validateOrganizationFiscalCode } from '../../domain/fiscal-code';
import {
  type CardDefaults,
  DEFAULT_PACKAGE_SIZE,
  catalogue,
  catalogueEntry,
  cardFromCatalogue,
} from '../../domain/catalogue';
import { serviceCardIssues, serviceCardSchema, topicIds } from '../../domain/service-card';
import { serviceSlug } from '../../contracts/ids';

const TRENTO = {
  name: 'Comune di Trento',
  fiscalCode: '00355870221',
  pec: 'x@pec.comune.trento.it',
  website: 'https://www.comune.trento.it',
};
const DEFAULTS: CardDefaults = { authorizedCidrs: '203.0.113.10/32', logoRef: 'a'.repeat(64) };

describe('catalogue', () => {
  it('has at least the 11 services of the default package', () => {
    expect(DEFAULT_PACKAGE_SIZE).toBe(11);
    expect(catalogue.length).toBeGreaterThanOrEqual(11);
    expect(catalogue.length).toBeGreaterThanOrEqual(DEFAULT_PACKAGE_SIZE);
  });

  it('has unique slugs, each a simple kebab-case word', () => {
    const slugs = catalogue.map((entry) => entry.slug);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const slug of slugs) expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it('has unique service names, also once slugged', () => {
    const names = catalogue.map((entry) => entry.service_name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    expect(new Set(names.map(serviceSlug)).size).toBe(names.length);
  });

  it('uses existing topics', () => {
    for (const entry of catalogue) {
      expect(Number.isInteger(entry.topic_id)).toBe(true);
      expect(topicIds[entry.topic_id]).toBeDefined();
    }
  });

  it('finds entries by slug', () => {
    for (const entry of catalogue) expect(catalogueEntry(entry.slug)).toBe(entry);
    expect(catalogueEntry('tari')?.service_name).toBe('Tassa sui rifiuti (TARI)');
    expect(catalogueEntry('non-esiste')).toBeUndefined();
  });
});

describe('cardFromCatalogue', () => {
  it('uses a Comune fiscal code with a correct check digit', () => {
    expect(validateOrganizationFiscalCode(TRENTO.fiscalCode)).toBe(true);
  });

  describe.each(catalogue.map((entry) => [entry.slug, entry] as const))('%s', (_slug, entry) => {
    const input = cardFromCatalogue(entry, TRENTO, DEFAULTS);

    it('passes the schema', () => {
      expect(() => serviceCardSchema.parse(input)).not.toThrow();
    });

    it('has no editorial issue against PagoPA’s rules', () => {
      const card = serviceCardSchema.parse(input);
      expect(serviceCardIssues(card, { organizationFiscalCode: TRENTO.fiscalCode })).toEqual([]);
    });

    it('carries the entry and the Comune’s data', () => {
      expect(input).toMatchObject({
        service_name: entry.service_name,
        description: entry.description,
        topic_id: entry.topic_id,
        organization_name: 'Comune di Trento',
        organization_fiscal_code: '00355870221',
        pec: 'x@pec.comune.trento.it',
        service_scope: 'local',
        authorized_cidrs: '203.0.113.10/32',
        logo_ref: 'a'.repeat(64),
        privacy_url: 'https://www.comune.trento.it/privacy',
        web_url: 'https://www.comune.trento.it',
      });
    });
  });

  it('strips trailing slashes from the website', () => {
    const input = cardFromCatalogue(
      catalogue[0]!,
      { ...TRENTO, website: 'https://www.comune.trento.it///' },
      DEFAULTS,
    );
    expect(input.privacy_url).toBe('https://www.comune.trento.it/privacy');
    expect(input.web_url).toBe('https://www.comune.trento.it');
  });

  it('derives a privacy URL from the name when the Comune has no website', () => {
    const { website: _none, ...withoutSite } = TRENTO;
    const input = cardFromCatalogue(
      catalogue[0]!,
      { ...withoutSite, name: 'Comune di Sant’Orsola Terme' },
      DEFAULTS,
    );
    expect(input.privacy_url).toBe('https://www.comune.santorsolaterme.it/privacy');
    expect(input.web_url).toBeUndefined();
    const card = serviceCardSchema.parse(input);
    expect(serviceCardIssues(card)).toEqual([]);
  });

  it('passes the partner defaults for support URL and phone', () => {
    const input = cardFromCatalogue(catalogue[0]!, TRENTO, {
      ...DEFAULTS,
      supportUrl: 'https://assistenza.example.it',
      phone: '0461 123456',
    });
    expect(input.support_url).toBe('https://assistenza.example.it');
    expect(input.phone).toBe('0461 123456');
    expect(serviceCardIssues(serviceCardSchema.parse(input))).toEqual([]);
  });
});
