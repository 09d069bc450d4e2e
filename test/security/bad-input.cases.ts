import { randomBytes } from 'node:crypto';
import type { Role } from '../../api/auth/roles';
import type { ServiceCardInput } from '../../domain/service-card';
import { createSolidPng } from '../../integrations/documents/png';
import { trento } from '../import/import-fixtures';
import { toCsv, trentoRows } from '../import/trento-csv';
import {
  buildDataContentInfo,
  buildSignedDataWithoutSigners,
  buildSignedForm,
  createCa,
  createSigner,
  SAMPLE_PDF,
  tamperWithContent,
  toBase64,
} from '../integrations/documents/cms-fixtures';
import type { Operation } from './openapi';

/**
 * The table of malformed requests: every endpoint, each row one thing a careless client, a broken integration or
 * an attacker could send, and the answer the API owes it. None of them may start or change a journey.
 */

export interface BadRequestCase {
  /** What is wrong with the request. */
  name: string;
  /** The OpenAPI operation it targets (`post /comuni/{ipa}/adhesion`): every operation must have rows. */
  operation: string;
  /** Below /api/v1, query string included. */
  path: string;
  as: Role;
  /** A JSON body (serialised by supertest). */
  json?: unknown;
  /** A body sent as is, with `contentType` (malformed JSON, oversized bodies). */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Multipart upload (`data` may be computed when sent: generated CMS files are built in beforeAll). */
  files?: { field: string; name: string; data: Buffer | (() => Buffer) }[];
  fields?: Record<string, string>;
  status: number;
  /** Fields the Problem's `errors` must name. */
  names?: string[];
  /** What the Problem's `detail` must say. */
  detail?: RegExp;
  /** A defect found by this table and not fixed in the file that owns it: the row runs as `it.failing`. */
  knownDefect?: string;
}

/** The two Comuni of the suite and what the rows need to know about them. */
export interface CaseContext {
  /** A Comune waiting for its signed form (adhesion and delegation done). */
  awaiting: string;
  /** A Comune whose services run: one waiting for a corrected card, one in review. */
  inServices: string;
  needsCorrection: string;
  inReview: string;
  /** The valid card of the service waiting for a correction (rows break it). */
  card: ServiceCardInput;
  /** Generated CMS envelopes that must be refused: filled in before the rows are sent. */
  signed: Partial<SignedFormSamples>;
}

export interface SignedFormSamples {
  dataOnly: Buffer;
  withoutSigners: Buffer;
  detached: Buffer;
  tampered: Buffer;
  wrongSigner: Buffer;
  expiredCertificate: Buffer;
  notPdf: Buffer;
  truncated: Buffer;
}

/** CMS files that look right and are not: each must be refused 422 with the verifier's reason. */
export async function signedFormSamples(): Promise<SignedFormSamples> {
  const ca = await createCa();
  // Mario Rossi (the fixtures' signer), not the Mayor whose fiscal code the Comune knows.
  const someoneElse = await createSigner(ca);
  const expired = await createSigner(ca, {
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2021-01-01T00:00:00Z'),
  });
  const valid = await buildSignedForm({ signers: [someoneElse], chain: [ca] });
  return {
    dataOnly: buildDataContentInfo(),
    withoutSigners: buildSignedDataWithoutSigners([someoneElse, ca]),
    detached: await buildSignedForm({ signers: [someoneElse], chain: [ca], detached: true }),
    tampered: tamperWithContent(valid),
    wrongSigner: valid,
    expiredCertificate: await buildSignedForm({ signers: [expired], chain: [ca] }),
    notPdf: await buildSignedForm({
      signers: [someoneElse],
      chain: [ca],
      content: Buffer.from('Modulo di adesione (testo, non PDF)'),
    }),
    truncated: valid.subarray(0, Math.floor(valid.length / 2)),
  };
}

export const UNKNOWN_IPA = 'c_z999';
export const UNKNOWN_JOB = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
const MB = 1024 * 1024;
const long = (n: number) => 'x'.repeat(n);
/** A JSON body just over express.json's 1 MB limit. */
export const OVERSIZED_JSON = `{"pad":"${long(MB + 16)}"}`;
/** Random bytes that start like neither DER nor base64 (0xff). */
const randomFile = (size: number) => Buffer.concat([Buffer.from([0xff]), randomBytes(size - 1)]);

export function badRequestCases(c: CaseContext): BadRequestCase[] {
  const { awaiting: A, inServices: B, needsCorrection: fix, inReview: review } = c;
  const rows: BadRequestCase[] = [];
  const add = (operation: string, as: Role, list: Omit<BadRequestCase, 'operation' | 'as'>[]) =>
    rows.push(...list.map((row) => ({ operation, as, ...row })));

  // ---------------------------------------------------------------- Comuni: list and reads
  const list = (query: string, name: string, field: string): Omit<BadRequestCase, 'operation' | 'as'> => ({
    name,
    path: `/comuni?${query}`,
    status: 400,
    names: [`query.${field}`],
  });
  add('get /comuni', 'staff', [
    list('limit=0', 'limit below 1', 'limit'),
    list('limit=501', 'limit above 500', 'limit'),
    list('limit=abc', 'limit not a number', 'limit'),
    list('limit=2.5', 'limit not an integer', 'limit'),
    list('offset=-1', 'negative offset', 'offset'),
    list('sort=bogus', 'unknown sort key', 'sort'),
    list('order=sideways', 'unknown order', 'order'),
    list('stage=finished', 'unknown stage', 'stage'),
    list('province=TRENTO', 'province not a two-letter code', 'province'),
    list(
      `province=${encodeURIComponent("TN' OR 1=1 --")}`,
      'visibility-query injection in province',
      'province',
    ),
    list('scenario=C', 'unknown scenario', 'scenario'),
    list('atRisk=maybe', 'atRisk not a boolean', 'atRisk'),
    list('late=1', 'late as 1 instead of true', 'late'),
    list('deadlineBefore=2025-02-30', 'impossible date (30 February)', 'deadlineBefore'),
    list('deadlineBefore=31%2F12%2F2025', 'Italian date format instead of ISO', 'deadlineBefore'),
    list(`q=${long(101)}`, 'search text over 100 characters', 'q'),
    list('q=%20%20%20', 'blank search text', 'q'),
    list('limit=1&limit=2', 'parameter repeated (array)', 'limit'),
  ]);
  add('get /comuni/{ipa}', 'staff', [
    { name: 'IPA code too short', path: '/comuni/x', status: 400, names: ['params.ipa'] },
    { name: 'IPA code with symbols', path: '/comuni/c-l378!', status: 400, names: ['params.ipa'] },
    {
      name: 'IPA code over 20 characters',
      path: `/comuni/c_${long(20)}`,
      status: 400,
      names: ['params.ipa'],
    },
    { name: 'IPA code with accents', path: `/comuni/${encodeURIComponent('c_città')}`, status: 400 },
    { name: 'NUL byte in the IPA code', path: '/comuni/c_l3%0078', status: 400, names: ['params.ipa'] },
    { name: 'unknown Comune', path: `/comuni/${UNKNOWN_IPA}`, status: 404, detail: /not found/i },
  ]);
  const dossier = (suffix: string) => [
    { name: 'IPA code too short', path: `/comuni/x/${suffix}`, status: 400, names: ['params.ipa'] },
    { name: 'IPA code with symbols', path: `/comuni/c-l378!/${suffix}`, status: 400, names: ['params.ipa'] },
    {
      name: 'NUL byte in the IPA code',
      path: `/comuni/c_l3%0078/${suffix}`,
      status: 400,
      names: ['params.ipa'],
    },
    { name: 'unknown Comune', path: `/comuni/${UNKNOWN_IPA}/${suffix}`, status: 404, detail: /c_z999/ },
  ];
  add('get /comuni/{ipa}/dossier', 'staff', [
    ...dossier('dossier'),
    { name: 'unknown format', path: `/comuni/${B}/dossier?format=xml`, status: 400, names: ['query.format'] },
    {
      name: 'format repeated',
      path: `/comuni/${B}/dossier?format=csv&format=json`,
      status: 400,
      names: ['query.format'],
    },
  ]);
  add('get /comuni/{ipa}/dossier.pdf', 'staff', dossier('dossier.pdf'));
  add('get /comuni/{ipa}/services/{slug}', 'staff', [
    {
      name: 'slug with capitals and symbols',
      path: `/comuni/${B}/services/TARI!`,
      status: 400,
      names: ['params.slug'],
    },
    { name: 'slug too short', path: `/comuni/${B}/services/a`, status: 400, names: ['params.slug'] },
    {
      name: 'slug over 60 characters',
      path: `/comuni/${B}/services/${long(61)}`,
      status: 400,
      names: ['params.slug'],
    },
    {
      name: 'service the Comune does not have',
      path: `/comuni/${B}/services/servizio-inesistente`,
      status: 404,
    },
    { name: 'service of an unknown Comune', path: `/comuni/${UNKNOWN_IPA}/services/tari`, status: 404 },
  ]);

  // ---------------------------------------------------------------- Starting a Comune
  // Trento's registration under an IPA code of no journey (not c_<cadastral code>, so not checked against the ISTAT
  // code): valid as is, so each row fails for its one change.
  const registration = (overrides: Record<string, unknown>) => ({
    ...trento({ ipaCode: 'comune_prova' }),
    ...overrides,
  });
  const start = (name: string, json: unknown, names: string[] = [], status = 422) => ({
    name,
    path: '/comuni',
    json,
    status,
    names: names.map((n) => `body.${n}`),
  });
  add('post /comuni', 'manager', [
    start('empty registration', {}, ['ipaCode', 'istatCode', 'fiscalCode', 'pec', 'secretary', 'mayor']),
    start('registration as an array', [trento()], [], 400),
    start('IPA code as a number', registration({ ipaCode: 378 }), ['ipaCode']),
    start('fiscal code with a wrong check digit', registration({ fiscalCode: '00355870222' }), [
      'fiscalCode',
    ]),
    start('fiscal code too short', registration({ fiscalCode: '123' }), ['fiscalCode']),
    start('fiscal code as a number', registration({ fiscalCode: 355870221 }), ['fiscalCode']),
    start('unknown Comune (ISTAT code of no Comune)', registration({ istatCode: '999999' }), ['istatCode']),
    start(
      'ISTAT code of another Comune than the IPA code',
      registration({ ipaCode: 'c_l378', istatCode: '022161' }),
      ['istatCode'],
    ),
    start('ISTAT code with letters', registration({ istatCode: '02A205' }), ['istatCode']),
    start('PEC not an e-mail address', registration({ pec: 'protocollo-at-pec' }), ['pec']),
    start('mayor e-mail invalid', registration({ mayor: { name: 'Franco Ianeselli', email: 'sindaco@' } }), [
      'mayor.email',
    ]),
    start(
      'mayor fiscal code with a wrong check character',
      registration({
        mayor: {
          name: 'Franco Ianeselli',
          email: 'sindaco@comune.trento.it',
          fiscalCode: 'RSSMRA85T10A562X',
        },
      }),
      ['mayor.fiscalCode'],
    ),
    start('secretary missing', registration({ secretary: undefined }), ['secretary']),
    start('secretary as a string', registration({ secretary: 'Anna Bianchi' }), ['secretary']),
    start('contract date 30 February', registration({ contractDate: '2025-02-30' }), ['contractDate']),
    start('contract date in Italian format', registration({ contractDate: '15/03/2025' }), ['contractDate']),
    start('deadline before the contract', registration({ deadline: '2025-01-01' }), ['deadline']),
    start('deadline in words', registration({ deadline: 'domani' }), ['deadline']),
    start('the same service twice', registration({ services: ['tari', 'tari', 'imu'] }), ['services.1']),
    start('unknown service', registration({ services: ['teletrasporto'] }), ['services.0']),
    start('package of zero services', registration({ packageSize: 0 }), ['packageSize']),
    start('both services and package size', registration({ services: ['tari'], packageSize: 3 }), [
      'packageSize',
    ]),
    start('unexpected field (privilege escalation attempt)', registration({ role: 'admin' }), []),
    start('name of one character', registration({ name: 'X' }), ['name']),
    start('website with an ftp URL', registration({ website: 'ftp://files.comune.trento.it' }), ['website']),
    start('portal tenant with spaces', registration({ portalTenant: 'comune di trento' }), ['portalTenant']),
    {
      name: '__proto__ key (prototype pollution attempt)',
      path: '/comuni',
      raw: '{"__proto__":{"ipaCode":"c_l378","istatCode":"022205"},"constructor":{"prototype":{"admin":true}}}',
      contentType: 'application/json',
      status: 422,
    },
    {
      ...start('Comune already started (its journey runs)', trento({ ipaCode: A }), [], 409),
      detail: /^Il percorso di .+ è già in corso$/,
    },
  ]);

  // ---------------------------------------------------------------- Staff and manager steps
  const step = (
    path: string,
    name: string,
    json: unknown,
    status: number,
    names: string[] = [],
    extra: Partial<BadRequestCase> = {},
  ) => ({ name, path, json, status, names, ...extra });
  add('post /comuni/{ipa}/adhesion', 'staff', [
    step(`/comuni/${A}/adhesion`, 'adherent missing', {}, 400, ['body.adherent']),
    step(`/comuni/${A}/adhesion`, 'adherent as "yes"', { adherent: 'yes' }, 400, ['body.adherent']),
    step(`/comuni/${A}/adhesion`, 'adherent null', { adherent: null }, 400, ['body.adherent']),
    step(`/comuni/${A}/adhesion`, 'adherent as 1', { adherent: 1 }, 400, ['body.adherent']),
    step(`/comuni/${A}/adhesion`, 'note over 500 characters', { adherent: true, note: long(501) }, 400, [
      'body.note',
    ]),
    step(`/comuni/${A}/adhesion`, 'note as a number', { adherent: true, note: 42 }, 400, ['body.note']),
    step(`/comuni/${A}/adhesion`, 'body as an array', [{ adherent: true }], 400, ['body']),
    step(
      `/comuni/${A}/adhesion`,
      'out of order: adhesion again while awaiting the signed form',
      { adherent: true },
      409,
    ),
    step(`/comuni/${B}/adhesion`, 'out of order: adhesion while services run', { adherent: false }, 409),
    step(`/comuni/${UNKNOWN_IPA}/adhesion`, 'unknown Comune', { adherent: true }, 404),
    step('/comuni/C%20L378/adhesion', 'IPA code with a space', { adherent: true }, 400, ['params.ipa']),
    step(
      `/comuni/${A}/adhesion`,
      'Idempotency-Key too short',
      { adherent: true },
      400,
      ['headers.idempotency-key'],
      {
        headers: { 'Idempotency-Key': 'short' },
      },
    ),
    step(
      `/comuni/${A}/adhesion`,
      'Idempotency-Key with forbidden characters',
      { adherent: true },
      400,
      ['headers.idempotency-key'],
      {
        headers: { 'Idempotency-Key': 'key with spaces; DROP' },
      },
    ),
    step(
      `/comuni/${A}/adhesion`,
      'Idempotency-Key over 100 characters',
      { adherent: true },
      400,
      ['headers.idempotency-key'],
      {
        headers: { 'Idempotency-Key': long(101) },
      },
    ),
  ]);
  add('post /comuni/{ipa}/delegation', 'staff', [
    step(`/comuni/${A}/delegation`, 'note as a number', { note: 7 }, 400, ['body.note']),
    step(`/comuni/${A}/delegation`, 'note over 500 characters', { note: long(501) }, 400, ['body.note']),
    step(`/comuni/${A}/delegation`, 'out of order: delegation already recorded', {}, 409),
    step(`/comuni/${B}/delegation`, 'out of order: delegation while services run', {}, 409),
    step(`/comuni/${UNKNOWN_IPA}/delegation`, 'unknown Comune', {}, 404),
  ]);
  add('post /comuni/{ipa}/tracking-form', 'staff', [
    step(`/comuni/${A}/tracking-form`, 'note as an object', { note: { text: 'x' } }, 400, ['body.note']),
    step(`/comuni/${A}/tracking-form`, 'note as an array', { note: ['x'] }, 400, ['body.note']),
    step(`/comuni/${A}/tracking-form`, 'note over 500 characters', { note: long(501) }, 400, ['body.note']),
    step(`/comuni/${UNKNOWN_IPA}/tracking-form`, 'unknown Comune', {}, 404),
  ]);
  add('post /comuni/{ipa}/onboarding', 'staff', [
    step(`/comuni/${A}/onboarding`, 'outcome missing', {}, 400, ['body.outcome']),
    step(`/comuni/${A}/onboarding`, 'unknown outcome', { outcome: 'approved' }, 400, ['body.outcome']),
    step(`/comuni/${A}/onboarding`, 'outcome in capitals (Selfcare’s ACTIVE)', { outcome: 'ACTIVE' }, 400, [
      'body.outcome',
    ]),
    step(`/comuni/${A}/onboarding`, 'outcome as a boolean', { outcome: true }, 400, ['body.outcome']),
    step(`/comuni/${A}/onboarding`, 'note over 500 characters', { outcome: 'active', note: long(501) }, 400, [
      'body.note',
    ]),
    step(`/comuni/${A}/onboarding`, 'body as an array', [{ outcome: 'active' }], 400, ['body']),
    step(
      `/comuni/${A}/onboarding`,
      'out of order: onboarding while awaiting the signed form',
      { outcome: 'active' },
      409,
      [],
      {
        detail:
          /^«Registrare l’esito dell’adesione su Selfcare» non è possibile ora: il Comune è nella fase «In attesa del modulo firmato»/,
      },
    ),
    step(
      `/comuni/${B}/onboarding`,
      'out of order: onboarding rejected while services run',
      { outcome: 'rejected' },
      409,
    ),
    step(`/comuni/${UNKNOWN_IPA}/onboarding`, 'unknown Comune', { outcome: 'active' }, 404),
    step('/comuni/C%20L378/onboarding', 'IPA code with a space', { outcome: 'active' }, 400, ['params.ipa']),
  ]);
  // A key with the IO back office's shape; PagoPA (the sandbox) knows none of these.
  const someKey = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  add('post /comuni/{ipa}/manage-key', 'staff', [
    step(`/comuni/${A}/manage-key`, 'primary key missing', {}, 400, ['body.primaryKey']),
    step(`/comuni/${A}/manage-key`, 'empty primary key', { primaryKey: '' }, 400, ['body.primaryKey'], {
      detail: /Chiave primaria: obbligatoria/,
    }),
    step(`/comuni/${A}/manage-key`, 'blank primary key', { primaryKey: '   ' }, 400, ['body.primaryKey']),
    step(`/comuni/${A}/manage-key`, 'primary key over 256 characters', { primaryKey: 'k'.repeat(257) }, 400, [
      'body.primaryKey',
    ]),
    step(
      `/comuni/${A}/manage-key`,
      'control character in the primary key',
      { primaryKey: `${someKey}\u0007` },
      400,
      ['body.primaryKey'],
      { detail: /Chiave primaria: .*caratteri di controllo/ },
    ),
    step(`/comuni/${A}/manage-key`, 'inner space in the primary key', { primaryKey: 'ab cd' }, 400, [
      'body.primaryKey',
    ]),
    step(`/comuni/${A}/manage-key`, 'non-ASCII primary key', { primaryKey: 'chiave-città-0001' }, 400, [
      'body.primaryKey',
    ]),
    step(`/comuni/${A}/manage-key`, 'primary key as a number', { primaryKey: 1234567890 }, 400, [
      'body.primaryKey',
    ]),
    step(`/comuni/${A}/manage-key`, 'primary key as an array', { primaryKey: [someKey] }, 400, [
      'body.primaryKey',
    ]),
    step(
      `/comuni/${A}/manage-key`,
      'secondary key with a space',
      { primaryKey: someKey, secondaryKey: 'ab cd' },
      400,
      ['body.secondaryKey'],
      { detail: /Chiave secondaria: / },
    ),
    step(`/comuni/${A}/manage-key`, 'empty group', { primaryKey: someKey, group: '' }, 400, ['body.group']),
    step(
      `/comuni/${A}/manage-key`,
      'group over 100 characters',
      { primaryKey: someKey, group: long(101) },
      400,
      ['body.group'],
    ),
    step(`/comuni/${A}/manage-key`, 'body as an array', [{ primaryKey: someKey }], 400, ['body']),
    step(
      `/comuni/${A}/manage-key`,
      'out of order: key while awaiting the signed form',
      { primaryKey: someKey },
      409,
      [],
      {
        detail: /^«Registrare la chiave di gestione» non è possibile ora/,
      },
    ),
    step(`/comuni/${UNKNOWN_IPA}/manage-key`, 'unknown Comune', { primaryKey: someKey }, 404),
    step('/comuni/C%20L378/manage-key', 'IPA code with a space', { primaryKey: someKey }, 400, [
      'params.ipa',
    ]),
    step(
      `/comuni/${B}/manage-key`,
      'a key PagoPA refuses (401): not recorded',
      { primaryKey: someKey },
      422,
      ['body.primaryKey'],
      { detail: /rifiutata da PagoPA \(401\)/ },
    ),
    step(
      `/comuni/${B}/manage-key`,
      'Idempotency-Key too short',
      { primaryKey: someKey },
      400,
      ['headers.idempotency-key'],
      { headers: { 'Idempotency-Key': 'short' } },
    ),
  ]);
  add('post /comuni/{ipa}/deadline', 'manager', [
    step(`/comuni/${A}/deadline`, 'deadline and reason missing', {}, 400, ['body.deadline', 'body.reason']),
    step(
      `/comuni/${A}/deadline`,
      'deadline 30 February',
      { deadline: '2027-02-30', reason: 'proroga' },
      400,
      ['body.deadline'],
    ),
    step(
      `/comuni/${A}/deadline`,
      'deadline in Italian format',
      { deadline: '31/12/2027', reason: 'proroga' },
      400,
      ['body.deadline'],
    ),
    step(
      `/comuni/${A}/deadline`,
      'date-time without time zone',
      { deadline: '2027-12-31T10:00:00', reason: 'proroga' },
      400,
      ['body.deadline'],
    ),
    step(`/comuni/${A}/deadline`, 'deadline as a number', { deadline: 20271231, reason: 'proroga' }, 400, [
      'body.deadline',
    ]),
    step(`/comuni/${A}/deadline`, 'reason of two characters', { deadline: '2027-12-31', reason: 'ok' }, 400, [
      'body.reason',
    ]),
    step(
      `/comuni/${A}/deadline`,
      'reason over 500 characters',
      { deadline: '2027-12-31', reason: long(501) },
      400,
      ['body.reason'],
    ),
    step(
      `/comuni/${UNKNOWN_IPA}/deadline`,
      'unknown Comune',
      { deadline: '2027-12-31', reason: 'proroga concordata' },
      404,
    ),
  ]);
  add('post /comuni/{ipa}/withdraw', 'manager', [
    step(`/comuni/${A}/withdraw`, 'reason missing', {}, 400, ['body.reason']),
    step(`/comuni/${A}/withdraw`, 'blank reason', { reason: '     ' }, 400, ['body.reason']),
    step(`/comuni/${A}/withdraw`, 'reason as a number', { reason: 123 }, 400, ['body.reason']),
    step(`/comuni/${A}/withdraw`, 'reason over 500 characters', { reason: long(501) }, 400, ['body.reason']),
    step(`/comuni/${UNKNOWN_IPA}/withdraw`, 'unknown Comune', { reason: 'recesso del Comune' }, 404),
  ]);
  const undoDelegation = { step: 'recordDelegationDone', reason: 'registrata per errore' };
  add('post /comuni/{ipa}/watch/stop', 'manager', [
    step(`/comuni/${A}/watch/stop`, 'reason missing', {}, 400, ['body.reason']),
    step(`/comuni/${A}/watch/stop`, 'blank reason', { reason: '   ' }, 400, ['body.reason']),
    step(`/comuni/${A}/watch/stop`, 'reason as a number', { reason: 7 }, 400, ['body.reason']),
    step(
      `/comuni/${A}/watch/stop`,
      'out of order: the journey is not completed',
      { reason: 'per errore' },
      409,
    ),
    step(`/comuni/${UNKNOWN_IPA}/watch/stop`, 'unknown Comune', { reason: 'per errore' }, 404),
  ]);
  add('post /comuni/{ipa}/undo', 'manager', [
    step(`/comuni/${A}/undo`, 'step and reason missing', {}, 400, ['body.reason', 'body.step']),
    step(
      `/comuni/${A}/undo`,
      'a step that cannot be undone',
      { ...undoDelegation, step: 'recordSignedForm' },
      400,
      ['body.step'],
    ),
    step(`/comuni/${A}/undo`, 'blank reason', { ...undoDelegation, reason: '   ' }, 400, ['body.reason']),
    step(`/comuni/${A}/undo`, 'body as an array', [undoDelegation], 400, ['body']),
    step(`/comuni/${UNKNOWN_IPA}/undo`, 'unknown Comune', undoDelegation, 404),
    step(`/comuni/${B}/undo`, 'delegation built on (services run)', undoDelegation, 409),
  ]);
  const restartReason = { reason: 'il Comune ha revocato la rinuncia' };
  add('post /comuni/{ipa}/restart', 'manager', [
    step(`/comuni/${A}/restart`, 'reason missing', {}, 400, ['body.reason']),
    step(`/comuni/${A}/restart`, 'blank reason', { reason: '     ' }, 400, ['body.reason']),
    step(`/comuni/${A}/restart`, 'reason as a number', { reason: 123 }, 400, ['body.reason']),
    step(`/comuni/${A}/restart`, 'reason over 500 characters', { reason: long(501) }, 400, ['body.reason']),
    step(`/comuni/${A}/restart`, 'body as an array', [restartReason], 400, ['body']),
    step('/comuni/C%20L378/restart', 'IPA code with a space', restartReason, 400, ['params.ipa']),
    step(`/comuni/${UNKNOWN_IPA}/restart`, 'unknown Comune', restartReason, 404),
    step(`/comuni/${A}/restart`, 'journey running (never withdrawn)', restartReason, 409, [], {
      detail: /^Il percorso di .+ è già in corso$/,
    }),
  ]);
  add('post /comuni/{ipa}/reminders', 'manager', [
    step(`/comuni/${A}/reminders`, 'body as an array', [], 400, ['body']),
    {
      name: 'body as a JSON string',
      path: `/comuni/${A}/reminders`,
      raw: '"sollecita"',
      contentType: 'application/json',
      status: 400,
    },
    step(`/comuni/${UNKNOWN_IPA}/reminders`, 'unknown Comune', {}, 404),
  ]);

  // ---------------------------------------------------------------- Signed form upload
  const upload = (
    ipa: string,
    name: string,
    data: Buffer | (() => Buffer),
    status: number,
    extra: Partial<BadRequestCase> = {},
  ): Omit<BadRequestCase, 'operation' | 'as'> => ({
    name,
    path: `/comuni/${ipa}/signed-form`,
    files: [{ field: 'file', name: 'modulo.pdf.p7m', data }],
    status,
    ...extra,
  });
  const signed = (sample: keyof SignedFormSamples) => () => {
    const data = c.signed[sample];
    if (!data) throw new Error(`signed form sample ${sample} not generated`);
    return data;
  };
  const s = Object.fromEntries(
    (
      [
        'dataOnly',
        'withoutSigners',
        'detached',
        'tampered',
        'wrongSigner',
        'expiredCertificate',
        'notPdf',
        'truncated',
      ] as const
    ).map((k) => [k, signed(k)]),
  ) as Record<keyof SignedFormSamples, () => Buffer>;
  add('post /comuni/{ipa}/signed-form', 'staff', [
    {
      name: 'no file, only a note',
      path: `/comuni/${A}/signed-form`,
      fields: { note: 'allegato' },
      status: 400,
      names: ['body.file'],
    },
    {
      name: 'JSON instead of an upload',
      path: `/comuni/${A}/signed-form`,
      json: {},
      status: 400,
      names: ['body.file'],
    },
    upload(A, 'empty file', Buffer.alloc(0), 400, { names: ['body.file'] }),
    upload(A, 'random bytes as .p7m', randomFile(4096), 422, { detail: /malformed|CAdES/ }),
    upload(A, 'text as .p7m', Buffer.from('ciao, ecco il modulo'), 422),
    upload(A, 'a plain PDF renamed .p7m', SAMPLE_PDF, 422),
    upload(A, 'base64 of nothing CMS', Buffer.from(`MIIB${'A'.repeat(100)}`), 422),
    upload(
      A,
      'PEM armour around garbage',
      Buffer.from('-----BEGIN PKCS7-----\nMIIBAAAA\n-----END PKCS7-----\n'),
      422,
    ),
    upload(A, 'CMS Data without any signature', s.dataOnly, 422, { detail: /not_signed_data/ }),
    upload(A, 'SignedData without signers', s.withoutSigners, 422, { detail: /unsigned/ }),
    upload(A, 'detached signature (no PDF inside)', s.detached, 422, { detail: /detached_signature/ }),
    upload(A, 'PDF altered after signing', s.tampered, 422, { detail: /signature_invalid/ }),
    upload(A, 'signed by someone else than the Mayor', s.wrongSigner, 422, { detail: /signer_mismatch/ }),
    upload(A, 'certificate expired at signing time', s.expiredCertificate, 422, {
      detail: /certificate_not_valid/,
    }),
    upload(A, 'signed content is not a PDF', s.notPdf, 422, { detail: /content_not_pdf/ }),
    upload(A, 'truncated envelope', s.truncated, 422, { detail: /malformed/ }),
    upload(A, 'base64 of an altered envelope', () => toBase64(s.tampered(), true), 422),
    upload(A, 'file over 10 MB', Buffer.alloc(10 * MB + 1, 0x30), 413),
    {
      name: 'two files',
      path: `/comuni/${A}/signed-form`,
      files: [
        { field: 'file', name: 'a.p7m', data: s.tampered },
        { field: 'file', name: 'b.p7m', data: s.tampered },
      ],
      status: 400,
    },
    {
      name: 'file under an unexpected field name',
      path: `/comuni/${A}/signed-form`,
      files: [{ field: 'documento', name: 'a.p7m', data: s.tampered }],
      status: 400,
      detail: /Unexpected (file )?field/i,
    },
    upload(A, 'note over 500 characters with the file', s.tampered, 400, {
      fields: { note: long(501) },
      names: ['body.note'],
    }),
    upload(B, 'out of order: signed form while services run', s.tampered, 409),
    upload(UNKNOWN_IPA, 'unknown Comune', s.tampered, 404),
    upload(A, 'DER with a malformed GeneralizedTime', Buffer.from('3003180141', 'hex'), 422),
  ]);

  // ---------------------------------------------------------------- Services: cards and review outcomes
  const card = (changes: Record<string, unknown>) => ({ card: { ...c.card, ...changes } });
  const fixCard = `/comuni/${B}/services/${fix}/card`;
  add('put /comuni/{ipa}/services/{slug}/card', 'staff', [
    step(fixCard, 'card missing', {}, 400, ['body.card']),
    step(fixCard, 'card as a string', { card: 'TARI' }, 400, ['body.card']),
    step(fixCard, 'card without a service name', card({ service_name: undefined }), 400, [
      'body.card.service_name',
    ]),
    step(fixCard, 'topic outside the list', card({ topic_id: 99 }), 400, ['body.card.topic_id']),
    step(fixCard, 'topic as text', card({ topic_id: 'tasse' }), 400, ['body.card.topic_id']),
    step(fixCard, 'logo reference not a sha256', card({ logo_ref: 'logo.png' }), 400, ['body.card.logo_ref']),
    step(fixCard, 'unknown service scope', card({ service_scope: 'global' }), 400, [
      'body.card.service_scope',
    ]),
    step(fixCard, 'blank authorised CIDRs', card({ authorized_cidrs: '   ' }), 400, [
      'body.card.authorized_cidrs',
    ]),
    step(fixCard, 'CIDR out of range (999.1.2.3/33)', card({ authorized_cidrs: '999.1.2.3/33' }), 409, [], {
      detail: /999\.1\.2\.3\/33/,
    }),
    step(fixCard, 'catch-all CIDR 0.0.0.0/0', card({ authorized_cidrs: '0.0.0.0/0' }), 409, [], {
      detail: /0\.0\.0\.0\/0/,
    }),
    step(fixCard, 'IP without prefix length', card({ authorized_cidrs: '10.0.0.1' }), 409, [], {
      detail: /10\.0\.0\.1/,
    }),
    step(fixCard, 'IPv6 CIDR', card({ authorized_cidrs: '2001:db8::/32' }), 409, [], { detail: /2001:db8/ }),
    step(
      fixCard,
      'one good CIDR and one garbage',
      card({ authorized_cidrs: '203.0.113.10/32;localhost' }),
      409,
      [],
      {
        detail: /localhost/,
      },
    ),
    step(
      `/comuni/${B}/services/${review}/card`,
      'bad CIDR on a service in review',
      card({ authorized_cidrs: '1.2.3.4/99' }),
      409,
    ),
    step(
      `/comuni/${B}/services/servizio-inesistente/card`,
      'service the Comune does not have',
      card({}),
      404,
    ),
    step(`/comuni/${B}/services/Bad_Slug/card`, 'slug with capitals', card({}), 400, ['params.slug']),
  ]);
  const outcome = (slug: string) => `/comuni/${B}/services/${slug}/review-outcome`;
  add('post /comuni/{ipa}/services/{slug}/review-outcome', 'staff', [
    step(outcome(review), 'outcome missing', {}, 400, ['body.outcome']),
    step(outcome(review), 'unknown outcome', { outcome: 'maybe' }, 400, ['body.outcome']),
    step(outcome(review), 'rejection without a reason', { outcome: 'rejected' }, 400, ['body.reason']),
    step(outcome(review), 'reason of two characters', { outcome: 'rejected', reason: 'no' }, 400, [
      'body.reason',
    ]),
    step(outcome(review), 'outcome as a boolean', { outcome: true }, 400, ['body.outcome']),
    step(outcome(fix), 'out of order: outcome for a service not in review', { outcome: 'approved' }, 409),
    step(outcome('servizio-inesistente'), 'service the Comune does not have', { outcome: 'approved' }, 404),
  ]);

  // A valid read of the service in review would read IO and change its history: only refusals here.
  const reviewCheck = (slug: string) => `/comuni/${B}/services/${slug}/review-check`;
  add('post /comuni/{ipa}/services/{slug}/review-check', 'staff', [
    step(reviewCheck(review), 'body as an array', [], 400, ['body']),
    {
      name: 'body as a JSON string',
      path: reviewCheck(review),
      raw: '"leggi"',
      contentType: 'application/json',
      status: 400,
    },
    step(reviewCheck(fix), 'out of order: a service not in review', {}, 409, [], {
      detail:
        /^L’esito si legge su IO solo per un servizio in revisione; ora il servizio è «Scheda da correggere»\.$/,
    }),
    step(reviewCheck('servizio-inesistente'), 'service the Comune does not have', {}, 404),
    step(`/comuni/${B}/services/Bad_Slug/review-check`, 'slug with capitals', {}, 400, ['params.slug']),
  ]);

  const undoOutcome = (slug: string) => `/comuni/${B}/services/${slug}/review-outcome/undo`;
  add('post /comuni/{ipa}/services/{slug}/review-outcome/undo', 'manager', [
    step(undoOutcome(review), 'reason missing', {}, 400, ['body.reason']),
    step(undoOutcome(review), 'reason of two characters', { reason: 'no' }, 400, ['body.reason']),
    step(undoOutcome(review), 'reason as a number', { reason: 42 }, 400, ['body.reason']),
    step(undoOutcome(review), 'out of order: nothing rejected to undo', { reason: 'per errore' }, 409),
    step(
      undoOutcome('servizio-inesistente'),
      'service the Comune does not have',
      { reason: 'per errore' },
      404,
    ),
  ]);

  // ---------------------------------------------------------------- Portfolio, inbox, outbox
  const query = (path: string, name: string, field: string) => ({
    name,
    path,
    status: 400,
    names: [`query.${field}`],
  });
  add('get /portfolio/export.csv', 'manager', [
    query('/portfolio/export.csv?stage=bogus', 'unknown stage', 'stage'),
    query('/portfolio/export.csv?province=123', 'province of digits', 'province'),
    query('/portfolio/export.csv?deadlineBefore=2025-13-01', 'month 13', 'deadlineBefore'),
    query('/portfolio/export.csv?atRisk=yes', 'atRisk as yes', 'atRisk'),
  ]);
  add('get /portfolio/funding', 'manager', [
    query('/portfolio/funding?stage=bogus', 'unknown stage', 'stage'),
    query('/portfolio/funding?province=T', 'province of one letter', 'province'),
    query('/portfolio/funding?late=si', 'late as si', 'late'),
    query('/portfolio/funding?deadlineBefore=31-12-2026', 'Italian date order', 'deadlineBefore'),
  ]);
  add('get /portfolio/funding.csv', 'manager', [
    query('/portfolio/funding.csv?scenario=C', 'unknown scenario', 'scenario'),
    query('/portfolio/funding.csv?atRisk=1', 'atRisk as 1', 'atRisk'),
    query(`/portfolio/funding.csv?q=${'x'.repeat(101)}`, 'search of 101 characters', 'q'),
  ]);
  add('get /portfolio/stalls', 'manager', [
    query('/portfolio/stalls?stage=ferma', 'unknown stage', 'stage'),
    query('/portfolio/stalls?province=TNN', 'province of three letters', 'province'),
    query('/portfolio/stalls?atRisk=forse', 'atRisk as forse', 'atRisk'),
    query('/portfolio/stalls?deadlineBefore=2026-02-30', 'February 30th', 'deadlineBefore'),
  ]);
  add('get /inbox', 'staff', [
    query('/inbox?who=everyone', 'unknown recipient', 'who'),
    query('/inbox?status=Bad-Stage', 'status with capitals and dashes', 'status'),
    query('/inbox?status=archiviato', 'unknown status', 'status'),
    query('/inbox?sort=chi', 'unknown sort key', 'sort'),
    query('/inbox?limit=0', 'limit below 1', 'limit'),
    query('/inbox?limit=501', 'limit above 500', 'limit'),
    query('/inbox?offset=-1', 'negative offset', 'offset'),
  ]);
  add('get /outbox', 'staff', [
    query('/outbox?limit=0', 'limit below 1', 'limit'),
    query('/outbox?offset=-1', 'negative offset', 'offset'),
    query('/outbox?to=ab', 'recipient filter too short', 'to'),
    query(`/outbox?comune=${encodeURIComponent('Bad IPA!')}`, 'IPA filter with symbols', 'comune'),
    query('/outbox?comuneName=a', 'Comune name filter too short', 'comuneName'),
    query(`/outbox?comuneName=${'x'.repeat(101)}`, 'Comune name filter too long', 'comuneName'),
  ]);
  add('get /outbox/{id}', 'staff', [
    { name: 'message id with a dot', path: '/outbox/a.b', status: 400, names: ['params.id'] },
    { name: 'message id over 80 characters', path: `/outbox/${long(81)}`, status: 400, names: ['params.id'] },
    {
      name: 'message id with an encoded slash',
      path: '/outbox/..%2F..%2Fetc%2Fpasswd',
      status: 400,
      names: ['params.id'],
    },
  ]);

  // ---------------------------------------------------------------- Logos
  const logo = (name: string, data: Buffer, status: number, extra: Partial<BadRequestCase> = {}) => ({
    name,
    path: '/logos',
    files: [{ field: 'file', name: 'logo.png', data }],
    status,
    ...extra,
  });
  add('post /logos', 'staff', [
    { name: 'no file', path: '/logos', json: {}, status: 400, names: ['body.file'] },
    logo('empty file', Buffer.alloc(0), 400, { names: ['body.file'] }),
    logo('random bytes as a logo', randomFile(2048), 422),
    logo('JPEG renamed .png', Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb', 'hex'), 422),
    logo('PNG of 299×300 pixels', createSolidPng(299, 300, [255, 255, 255, 255]), 422, { detail: /300×300/ }),
    logo('PNG with a red background', createSolidPng(300, 300, [220, 20, 20, 255]), 422, {
      detail: /sfondo/,
    }),
    logo('truncated PNG', createSolidPng(300, 300, [255, 255, 255, 255]).subarray(0, 40), 422),
    logo(
      'SVG instead of PNG',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      422,
    ),
    logo('file over 2 MB', Buffer.alloc(2 * MB + 1, 0x89), 413),
  ]);

  // ---------------------------------------------------------------- Tokens
  add('post /admin/tokens', 'admin', [
    step('/admin/tokens', 'name and role missing', {}, 400, ['body.name', 'body.role']),
    step('/admin/tokens', 'name of one character', { name: 'a', role: 'staff' }, 400, ['body.name']),
    step('/admin/tokens', 'name over 80 characters', { name: long(81), role: 'staff' }, 400, ['body.name']),
    step('/admin/tokens', 'unknown role', { name: 'Laura Conti', role: 'root' }, 400, ['body.role']),
    step(
      '/admin/tokens',
      'expiry in the past',
      { name: 'Laura Conti', role: 'staff', expiresAt: '2020-01-01T00:00:00Z' },
      400,
      ['body.expiresAt'],
    ),
    step('/admin/tokens', 'expiry in words', { name: 'Laura Conti', role: 'staff', expiresAt: 'mai' }, 400, [
      'body.expiresAt',
    ]),
  ]);
  add('delete /admin/tokens/{id}', 'admin', [
    { name: 'token id too short', path: '/admin/tokens/short', status: 400, names: ['params.id'] },
    { name: 'token id in capitals', path: '/admin/tokens/AAAAAAAAAAAA', status: 400, names: ['params.id'] },
    {
      name: 'a whole token instead of its id',
      path: `/admin/tokens/iob_aaaaaaaaaaaa_${'A'.repeat(43)}`,
      status: 400,
    },
    {
      name: 'unknown token id',
      path: '/admin/tokens/zzzzzzzzzzzz',
      status: 404,
    },
  ]);

  // ---------------------------------------------------------------- Imports
  const rowsWith = (change: Record<string, string>) =>
    Buffer.from(
      toCsv(
        trentoRows()
          .slice(0, 2)
          .map((row) => ({ ...row, ...change })),
      ),
    );
  const csv = (name: string, data: Buffer, status: number, extra: Partial<BadRequestCase> = {}) => ({
    name,
    path: '/imports',
    files: [{ field: 'file', name: 'comuni.csv', data }],
    status,
    ...extra,
  });
  add('post /imports', 'manager', [
    { name: 'no file', path: '/imports', json: {}, status: 400, names: ['body.file'] },
    csv('random bytes as CSV', randomFile(4096), 400),
    csv('ZIP archive renamed .csv', Buffer.concat([Buffer.from('504b0304', 'hex'), randomFile(512)]), 400),
    csv('CSV without the IPA columns', Buffer.from('a,b,c\n1,2,3\n'), 400, { detail: /mancano le colonne/ }),
    csv('UTF-16 text', Buffer.from('\ufeffCodice_IPA;Denominazione_ente\n', 'utf16le'), 400),
    csv('header only, no rows', Buffer.from(toCsv([])), 400, { detail: /non contiene Comuni/ }),
    csv('rows with invalid fiscal codes', rowsWith({ Codice_fiscale_ente: '123' }), 422, {
      detail: /Codice_fiscale_ente|codice fiscale/i,
    }),
    csv(
      'rows of unknown Comuni (ISTAT code)',
      rowsWith({ Codice_comune_ISTAT: '999999', Codice_catastale_comune: '' }),
      422,
    ),
    csv('rows with impossible contract dates', rowsWith({ Data_contratto: '31/02/2025' }), 422),
    csv('contract date for the file not a date', rowsWith({}), 400, {
      fields: { contractDate: '15/03/2025' },
      names: ['body.contractDate'],
    }),
    csv('impossible contract date for the file', rowsWith({}), 400, {
      fields: { contractDate: '2025-02-31' },
      names: ['body.contractDate'],
    }),
    csv('file over 20 MB', Buffer.alloc(20 * MB + 1, 0x41), 413),
  ]);
  add('post /imports/json', 'manager', [
    step('/imports/json', 'comuni missing', {}, 400, ['body.comuni']),
    step('/imports/json', 'no Comuni', { comuni: [] }, 400, ['body.comuni']),
    step('/imports/json', 'comuni as a string', { comuni: 'Trento' }, 400, ['body.comuni']),
    step('/imports/json', 'comuni as numbers', { comuni: [1, 2] }, 400, ['body.comuni.0']),
    step('/imports/json', 'empty entries', { comuni: [{}, {}] }, 422),
    step('/imports/json', 'unknown Comune', { comuni: [registration({ istatCode: '999999' })] }, 422),
    step(
      '/imports/json',
      'invalid fiscal code',
      { comuni: [registration({ ipaCode: 'c_h612', istatCode: '022161', fiscalCode: '1' })] },
      422,
    ),
    step(
      '/imports/json',
      'over 10,000 entries',
      { comuni: Array.from({ length: 10_001 }, () => ({})) },
      400,
      ['body.comuni'],
    ),
  ]);
  add('get /imports/{jobId}', 'manager', [
    { name: 'job id too short', path: '/imports/abc', status: 400, names: ['params.jobId'] },
    {
      name: 'job id in lower case',
      path: `/imports/${UNKNOWN_JOB.toLowerCase()}`,
      status: 400,
      names: ['params.jobId'],
    },
    {
      name: 'job id with Crockford-excluded letters',
      path: '/imports/01HZZZZZZZZZZZZZZZZZZZZZZU',
      status: 400,
    },
    { name: 'unknown job', path: `/imports/${UNKNOWN_JOB}`, status: 404 },
  ]);

  // ---------------------------------------------------------------- Bulk actions
  add('post /bulk/reminders', 'manager', [
    step('/bulk/reminders', 'filter as a string', { filter: 'tutti' }, 400, ['body.filter']),
    step('/bulk/reminders', 'unknown stage in the filter', { filter: { stage: 'finished' } }, 400, [
      'body.filter.stage',
    ]),
    step('/bulk/reminders', 'province not a two-letter code', { filter: { province: 'TRENTO' } }, 400, [
      'body.filter.province',
    ]),
    step('/bulk/reminders', 'body as an array', [{ filter: {} }], 400, ['body']),
    step('/bulk/reminders', 'filter that selects no Comune', { filter: { province: 'ZZ' } }, 422, [], {
      detail: /non seleziona/,
    }),
  ]);
  add('post /bulk/deadline', 'manager', [
    step('/bulk/deadline', 'deadline and reason missing', {}, 400, ['body.deadline', 'body.reason']),
    step('/bulk/deadline', 'deadline in words', { deadline: 'fine anno', reason: 'proroga' }, 400, [
      'body.deadline',
    ]),
    step('/bulk/deadline', 'reason of one character', { deadline: '2027-12-31', reason: 'x' }, 400, [
      'body.reason',
    ]),
    step(
      '/bulk/deadline',
      'filter that selects no Comune',
      { filter: { province: 'ZZ' }, deadline: '2027-12-31', reason: 'proroga' },
      422,
    ),
  ]);
  add('get /bulk/{kind}/{jobId}', 'manager', [
    { name: 'unknown kind', path: `/bulk/explode/${UNKNOWN_JOB}`, status: 400, names: ['params.kind'] },
    { name: 'job id too short', path: '/bulk/remind/123', status: 400, names: ['params.jobId'] },
    { name: 'unknown job', path: `/bulk/remind/${UNKNOWN_JOB}`, status: 404 },
  ]);
  return rows;
}

/** Two rows for every protected operation: a body that is not JSON, and a JSON body over 1 MB. */
export function bodyCases(ops: Operation[], samples: Record<string, string>): BadRequestCase[] {
  return ops
    .filter((op) => op.role !== 'public')
    .flatMap((op) => {
      const path = op.template.replace(/\{(\w+)\}/g, (_m, name: string) => samples[name] ?? 'x');
      const as = op.role as Role;
      return [
        {
          name: 'body that is not JSON',
          operation: op.key,
          path,
          as,
          raw: '{"adherent": tru',
          contentType: 'application/json',
          status: 400,
          detail: /JSON|Unexpected|Expected/,
        },
        {
          name: 'JSON body over 1 MB',
          operation: op.key,
          path,
          as,
          raw: OVERSIZED_JSON,
          contentType: 'application/json',
          status: 413,
          detail: /too large/i,
        },
      ];
    });
}
