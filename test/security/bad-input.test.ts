import fc from 'fast-check';
import request, { type Response } from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import type { Role } from '../../api/auth/roles';
import { startComuneJourney } from '../../contracts/comune-start';
import { serviceCardIssues } from '../../domain/service-card';
import { eventually, startApiHarness, type ApiHarness } from '../api/harness';
import { comuneInput } from '../support/fixtures';
import { invalidJsonBody, invalidQuery } from './arbitraries';
import {
  badRequestCases,
  bodyCases,
  signedFormSamples,
  UNKNOWN_IPA,
  UNKNOWN_JOB,
  type BadRequestCase,
  type CaseContext,
} from './bad-input.cases';
import { fillPath, loadOperations, type Operation } from './openapi';
import { expectClearProblem, settledSnapshot, temporalSnapshot, type TemporalSnapshot } from './support';

/**
 * Malformed requests against every endpoint, from a table and from fast-check: each answers 4xx Problem JSON
 * saying what is wrong, none starts or changes a workflow (checked on Temporal itself: the executions and every
 * history length are the same after the suite), and the API is still up at the end.
 *
 * Two Comuni in known stages: Trento waits for its signed form; Rovereto's services run, the first waiting for a
 * corrected card (its CIDR is invalid), the others in review (PagoPA never decides).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const fuzz = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

const AWAITING = 'c_l378';
const IN_SERVICES = 'c_h612';
const NEEDS_CORRECTION = 'tari';
const IN_REVIEW = 'imu';

/** Trento's journey knows its Mayor's fiscal code: a form signed by anyone else is refused. */
const awaitingInput = comuneInput({ ipaCode: AWAITING, mayorFiscalCode: 'NSLFNC79A01L378K' });
const servicesInput = comuneInput({ ipaCode: IN_SERVICES, name: 'Comune di Rovereto' });
const validCard = servicesInput.services[0]!.card;
servicesInput.services[0]!.card = { ...validCard, authorized_cidrs: '300.0.0.1/32' };

const context: CaseContext = {
  awaiting: AWAITING,
  inServices: IN_SERVICES,
  needsCorrection: NEEDS_CORRECTION,
  inReview: IN_REVIEW,
  card: validCard,
  signed: {},
};
const table = badRequestCases(context);
const rows = table.filter((row) => !row.knownDefect);
const defects = table.filter((row) => row.knownDefect);
const label = (row: BadRequestCase) => `${row.operation}: ${row.name}`;

/** Path parameters the fuzzers pick from: the two Comuni and their services, and ones that do not exist. */
const pathSamples = {
  ipa: [AWAITING, IN_SERVICES, UNKNOWN_IPA],
  slug: [NEEDS_CORRECTION, IN_REVIEW, 'servizio-inesistente'],
  id: ['zzzzzzzzzzzz'],
  jobId: [UNKNOWN_JOB],
  kind: ['remind', 'move_deadline'],
};
const pathValues = fc.record(
  Object.fromEntries(Object.entries(pathSamples).map(([k, v]) => [k, fc.constantFrom(...v)])) as Record<
    keyof typeof pathSamples,
    fc.Arbitrary<string>
  >,
);

describe('malformed requests: 4xx Problem JSON on every endpoint, Temporal untouched, API still up', () => {
  let h: ApiHarness;
  let app: Express;
  let ops: Operation[];
  let before: TemporalSnapshot;

  const call = (method: Operation['method'], path: string, role: Role) =>
    request(app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${h.api.tokens[role]}`);

  function send(row: BadRequestCase): Promise<Response> {
    const method = row.operation.split(' ')[0] as Operation['method'];
    let req = call(method, row.path, row.as);
    for (const [name, value] of Object.entries(row.headers ?? {})) req = req.set(name, value);
    if (row.files || row.fields) {
      for (const [name, value] of Object.entries(row.fields ?? {})) req = req.field(name, value);
      for (const file of row.files ?? []) {
        const data = typeof file.data === 'function' ? file.data() : file.data;
        req = req.attach(file.field, data, file.name);
      }
      return req;
    }
    if (row.raw !== undefined)
      return req.set('Content-Type', row.contentType ?? 'application/json').send(row.raw);
    if (row.json !== undefined)
      return req.set('Content-Type', 'application/json').send(JSON.stringify(row.json));
    return req;
  }

  beforeAll(async () => {
    [h, context.signed] = await Promise.all([
      startApiHarness({ mock: { reviewPending: true } }),
      signedFormSamples(),
    ]);
    // Rate limits are not under test here (test/security/hardening.test.ts): this suite writes fast.
    app = createApp(h.api.ctx, [], { rateLimits: { writesPerMinute: 0 } });
    ops = await loadOperations(app);

    const start = (input: typeof awaitingInput) =>
      startComuneJourney(h.env.client, input, { taskQueue: h.api.ctx.taskQueue });
    await Promise.all([start(awaitingInput), start(servicesInput)]);
    const staff = h.as('staff');
    await staff.post(`/comuni/${AWAITING}/adhesion`).send({ adherent: false }).expect(200);
    await h.comuneState(AWAITING, (s) => s.stage === 'delegation_requested');
    await staff.post(`/comuni/${AWAITING}/delegation`).send({}).expect(200);
    await h.comuneState(AWAITING, (s) => s.stage === 'awaiting_signed_form');
    await h.advanceToServices(IN_SERVICES);
    for (const [slug, status] of [
      [NEEDS_CORRECTION, 'needs_correction'],
      [IN_REVIEW, 'in_review'],
    ] as const) {
      await eventually(
        `${slug} ${status}`,
        async () => (await staff.get(`/comuni/${IN_SERVICES}/services/${slug}`)).body as { status?: string },
        (s) => s.status === status,
      );
    }
    before = await settledSnapshot(h.env.client);
  });
  afterAll(async () => {
    await h?.teardown();
  });

  it('starts from two Comuni in known stages, and a table that covers every endpoint', () => {
    // 2 Comuni, and Rovereto's services.
    const executions = 2 + servicesInput.services.length;
    expect(before.executions).toHaveLength(executions);
    expect(before.count).toBe(executions);
    expect(rows.length + defects.length).toBeGreaterThanOrEqual(100);
    const covered = new Set(table.map((row) => row.operation));
    const protectedOps = ops.filter((op) => op.role !== 'public');
    // Operations that take no input at all are covered by the body rows below only.
    const withInput = protectedOps.filter(
      (op) => op.parameters.length > 0 || op.jsonBody !== undefined || op.uploadField !== undefined,
    );
    expect(withInput.map((op) => op.key).filter((key) => !covered.has(key))).toEqual([]);
    for (const row of table) expect(protectedOps.map((op) => op.key)).toContain(row.operation);
    // The card rows sent to the service waiting for a correction break the rules they claim to break.
    for (const row of table.filter((r) => r.status === 409 && r.path.endsWith(`/${NEEDS_CORRECTION}/card`))) {
      const card = (row.json as { card: Parameters<typeof serviceCardIssues>[0] }).card;
      expect({ row: row.name, issues: serviceCardIssues(card).length > 0 }).toEqual({
        row: row.name,
        issues: true,
      });
    }
  });

  it.each(rows.map((row) => [label(row), row] as const))('%s', async (_label, row) => {
    expectClearProblem(await send(row), label(row), row);
  });

  if (defects.length > 0) {
    // Known defects (see each row's knownDefect): these fail today; when one passes, drop its marker.
    it.failing.each(defects.map((row) => [`${label(row)} — ${row.knownDefect}`, row] as const))(
      'known defect: %s',
      async (_label, row) => {
        expectClearProblem(await send(row), label(row), row);
      },
    );
  }

  it('refuses a body that is not JSON, or over 1 MB, on every protected endpoint (before anything else)', async () => {
    const samples = Object.fromEntries(Object.entries(pathSamples).map(([k, v]) => [k, v[0]!]));
    const cases = bodyCases(ops, samples);
    expect(cases.length).toBe(2 * ops.filter((op) => op.role !== 'public').length);
    for (const row of cases) expectClearProblem(await send(row), label(row), row);
  });

  it('fuzz: random invalid JSON bodies to every JSON write endpoint', async () => {
    const writes = ops.filter((op) => op.method !== 'get' && op.jsonBody);
    expect(writes.length).toBeGreaterThanOrEqual(13);
    for (const op of writes) {
      await fc.assert(
        fc.asyncProperty(invalidJsonBody(op.jsonBody!), pathValues, async (body, values) => {
          const res = await call(op.method, fillPath(op.template, values), op.role as Role)
            .set('Content-Type', 'application/json')
            .send(body.raw);
          // A free-form registration is read field by field (422); anything else fails the schema (400).
          const problem = expectClearProblem(res, `${op.key} ${body.kind} ${body.raw.slice(0, 300)}`, {
            status: body.kind === 'free-form' ? 422 : 400,
          });
          if (body.poisoned.length > 0) {
            const named = (problem.errors ?? []).map((e) => e.field);
            expect(body.poisoned.filter((k) => !named.includes(`body.${k}`))).toEqual([]);
          }
        }),
        fuzz,
      );
    }
  });

  it('fuzz: random query strings with an out-of-domain parameter to every list endpoint', async () => {
    const lists = ops.filter(
      (op) => op.method === 'get' && op.parameters.some((p) => p.in === 'query') && !/\{/.test(op.template),
    );
    expect(lists.map((op) => op.key).sort()).toEqual(
      [
        'get /comuni',
        'get /inbox',
        'get /outbox',
        'get /portfolio/export.csv',
        'get /portfolio/funding',
        'get /portfolio/funding.csv',
        'get /portfolio/stalls',
      ].sort(),
    );
    for (const op of lists) {
      await fc.assert(
        fc.asyncProperty(invalidQuery(op.parameters), async ({ query, poisoned }) => {
          const res = await call('get', `${op.template}?${query}`, op.role as Role);
          const problem = expectClearProblem(res, `${op.key}?${query}`, { status: 400 });
          const named = (problem.errors ?? []).map((e) => e.field);
          expect({ query, missing: poisoned.filter((p) => !named.includes(`query.${p}`)) }).toEqual({
            query,
            missing: [],
          });
        }),
        fuzz,
      );
    }
  });

  it('fuzz: random bytes uploaded as a signed form, a logo and a CSV', async () => {
    const uploads = ops.filter((op) => op.uploadField);
    expect(uploads.map((op) => op.key).sort()).toEqual(
      ['post /comuni/{ipa}/signed-form', 'post /imports', 'post /logos'].sort(),
    );
    const expected: Record<string, number[]> = {
      'post /comuni/{ipa}/signed-form': [422],
      'post /logos': [422],
      'post /imports': [400, 422],
    };
    for (const op of uploads) {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4096 }), async (bytes) => {
          const res = await call(op.method, fillPath(op.template, { ipa: AWAITING }), op.role as Role).attach(
            op.uploadField!,
            Buffer.from(bytes),
            'upload.bin',
          );
          expectClearProblem(res, `${op.key} ${Buffer.from(bytes.subarray(0, 64)).toString('hex')}`, {
            status: expected[op.key]!,
          });
        }),
        { ...fuzz, numRuns: Math.ceil(RUNS * 0.7) },
      );
    }
  });

  it('fuzz: random token ids (and bodies) to DELETE /admin/tokens/{id}', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
          .filter((id) => !/^[a-z0-9]{12}$/.test(id) && id !== '.' && id !== '..'),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        async (id, body) => {
          const res = await call('delete', `/admin/tokens/${encodeURIComponent(id)}`, 'admin')
            .set('Content-Type', 'application/json')
            .send(JSON.stringify(body));
          expectClearProblem(res, `delete token ${JSON.stringify(id)}`, {
            status: 400,
            names: ['params.id'],
          });
        },
      ),
      fuzz,
    );
  });

  it('started and changed no workflow: same executions, same history lengths; the API is still up', async () => {
    // Visibility is eventually consistent: give a stray start time to show.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await temporalSnapshot(h.env.client)).toEqual(before);
    const health = await request(app).get('/health');
    expect({ status: health.status, body: health.body as unknown }).toMatchObject({ status: 200 });
    const state = await call('get', `/comuni/${AWAITING}`, 'staff').expect(200);
    expect(state.body).toMatchObject({ stage: 'awaiting_signed_form' });
  });
});
