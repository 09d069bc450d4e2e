import { comuneWorkflowId, normaliseIpaCode, serviceSlug, serviceWorkflowId } from '../../contracts/ids';

describe('normaliseIpaCode', () => {
  it('lowercases and trims', () => {
    expect(normaliseIpaCode(' C_L378 ')).toBe('c_l378');
    expect(normaliseIpaCode('c_h501')).toBe('c_h501');
  });

  it.each(['', ' ', 'c', 'c-l378', 'c l378', 'c.l378', 'c_l378!', 'a'.repeat(21), 'città', 'c_l378/x'])(
    'throws a RangeError for %p',
    (code) => {
      expect(() => normaliseIpaCode(code)).toThrow(RangeError);
    },
  );

  it('accepts 2 to 20 characters', () => {
    expect(normaliseIpaCode('ab')).toBe('ab');
    expect(normaliseIpaCode('a'.repeat(20))).toBe('a'.repeat(20));
  });
});

describe('comuneWorkflowId', () => {
  it('is comune:<ipa code>, the same id for the same Comune however the code is spelled', () => {
    expect(comuneWorkflowId('c_l378')).toBe('comune:c_l378');
    expect(comuneWorkflowId(' C_L378')).toBe('comune:c_l378');
  });

  it('throws on an invalid IPA code', () => {
    expect(() => comuneWorkflowId('c-l378')).toThrow(RangeError);
    expect(() => comuneWorkflowId('')).toThrow(/invalid IPA code/);
  });
});

describe('serviceWorkflowId', () => {
  it('is service:<ipa code>:<slug>', () => {
    expect(serviceWorkflowId('C_L378', 'tari')).toBe('service:c_l378:tari');
    expect(serviceWorkflowId('c_l378', serviceSlug('Tassa sui rifiuti (TARI)'))).toBe(
      'service:c_l378:tassa-sui-rifiuti-tari',
    );
  });

  it('throws on an invalid IPA code', () => {
    expect(() => serviceWorkflowId('c l378', 'tari')).toThrow(RangeError);
  });

  it('differs between Comuni and between services', () => {
    const ids = new Set([
      serviceWorkflowId('c_l378', 'tari'),
      serviceWorkflowId('c_l378', 'imu'),
      serviceWorkflowId('c_h501', 'tari'),
      comuneWorkflowId('c_l378'),
    ]);
    expect(ids.size).toBe(4);
  });
});

describe('serviceSlug', () => {
  it.each([
    ['Tassa sui rifiuti (TARI)', 'tassa-sui-rifiuti-tari'],
    ['Carta d’identità elettronica (CIE)', 'carta-d-identita-elettronica-cie'],
    ['Sportello unico attività produttive (SUAP)', 'sportello-unico-attivita-produttive-suap'],
    ['Città, università e perché', 'citta-universita-e-perche'],
    ['  Mensa   scolastica  ', 'mensa-scolastica'],
    ['--Servizi -- sociali!!', 'servizi-sociali'],
    ['Servizi/anagrafici & civici', 'servizi-anagrafici-civici'],
    ['IMU 2025', 'imu-2025'],
    ['ÀÈÌÒÙ àèìòù', 'aeiou-aeiou'],
  ])('slugs %p as %p', (name, slug) => {
    expect(serviceSlug(name)).toBe(slug);
  });

  it('uses only lowercase letters, digits and single inner hyphens', () => {
    for (const name of [
      'Perché? Sì!',
      'Ålesund – Øresund',
      'a__b..c',
      'Servizio idrico (acqua) – bollette',
    ]) {
      expect(serviceSlug(name)).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
  });

  it('is at most 60 characters', () => {
    expect(serviceSlug('servizio '.repeat(20)).length).toBeLessThanOrEqual(60);
    expect(serviceSlug('a'.repeat(80))).toBe('a'.repeat(60));
  });

  it('is stable', () => {
    expect(serviceSlug('Mensa scolastica')).toBe(serviceSlug('Mensa scolastica'));
  });

  // Known bug (see report): the slug is cut to 60 characters after the leading/trailing hyphens are trimmed, so a
  // cut that falls on a separator leaves a trailing hyphen. Drop `.failing` once the module is fixed.
  it('does not end with a hyphen when truncated at a separator', () => {
    expect(serviceSlug(`${'a'.repeat(59)} b`)).toBe('a'.repeat(59));
  });
});
