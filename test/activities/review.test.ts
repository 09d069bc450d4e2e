import {
  failureOf,
  overrideClient,
  runActivity,
  startActivityHarness,
  startSlowResponseProxy,
  type ActivityHarness,
} from './harness';

let h: ActivityHarness;

beforeAll(async () => {
  // The activities over a plain partner-wide client (the legacy scope); each Comune's own key: manage-keys.test.ts.
  h = await startActivityHarness({ legacyPartnerKey: true, sandbox: { reviewer: { mode: 'manual' } } });
});

afterAll(async () => {
  await h?.close();
});

async function draft(slug: string): Promise<string> {
  const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card(slug) });
  await runActivity(h.activities.uploadLogo, { serviceId, logoRef: h.logoRef });
  return serviceId;
}

async function decide(serviceId: string, decision: 'approve' | 'reject' | 'abort', reason?: string) {
  const res = await h.admin('POST', `/services/${serviceId}/review`, {
    decision,
    ...(reason ? { reason } : {}),
  });
  expect(res.status).toBe(200);
}

async function submissions(serviceId: string): Promise<number> {
  const { body } = await h.admin('GET', '/services');
  return body.services.find((s: { id: string }) => s.id === serviceId).submissions;
}

describe('submitForReview', () => {
  it('submits a draft; a retried submit is harmless', async () => {
    const serviceId = await draft('tari');
    expect(await runActivity(h.activities.submitForReview, { serviceId })).toEqual({ status: 'submitted' });
    expect(await runActivity(h.activities.submitForReview, { serviceId })).toEqual({ status: 'submitted' });
    expect(await submissions(serviceId)).toBe(1);
    const { body } = await h.admin('GET', '/reviews');
    expect(body.pending).toContainEqual(expect.objectContaining({ id: serviceId, auto_publish: false }));
  });

  it('a submit whose answer was lost (the client repeats the PUT and gets 409) is not a permanent failure', async () => {
    const serviceId = await draft('trasporto-scolastico');
    // The first answer is held back past the client's timeout: PagoPA did submit, the client does not know.
    const proxy = await startSlowResponseProxy(h.url, 600, 1);
    try {
      const impatient = h.ioClient({ baseUrl: proxy.url, timeoutMs: 150, retry: { baseDelayMs: 10 } });
      const io = overrideClient(h.io, { submitForReview: impatient.submitForReview.bind(impatient) });
      const activities = h.build({ ...h.deps, io });
      const result = await runActivity(activities.submitForReview, { serviceId }).catch(
        (err: unknown) => err,
      );
      expect(await submissions(serviceId)).toBe(1);
      // Today: ApplicationFailure Http409 "cannot submit a service in status submitted", non-retryable.
      expect(result).toEqual({ status: 'submitted' });
    } finally {
      await proxy.close();
    }
  });

  it('a rejected service must be updated first: non-retryable ServiceNotDraft', async () => {
    const serviceId = await draft('imu');
    await runActivity(h.activities.submitForReview, { serviceId });
    await decide(serviceId, 'reject', 'dati incompleti o incorretti: descrizione non adeguata');
    const failure = await failureOf(runActivity(h.activities.submitForReview, { serviceId }));
    expect(failure).toMatchObject({ type: 'ServiceNotDraft', nonRetryable: true });
  });
});

describe('awaitReviewDecision', () => {
  it('while PagoPA reviews, fails retryably with ReviewPending; then approved', async () => {
    const serviceId = await draft('anagrafe');
    await runActivity(h.activities.submitForReview, { serviceId });

    const pending = await failureOf(runActivity(h.activities.awaitReviewDecision, { serviceId }));
    expect(pending).toMatchObject({ type: 'ReviewPending', nonRetryable: false });

    await decide(serviceId, 'approve');
    expect(await runActivity(h.activities.awaitReviewDecision, { serviceId })).toEqual({
      outcome: 'approved',
    });
    // Submitting an approved service again changes nothing.
    expect(await runActivity(h.activities.submitForReview, { serviceId })).toEqual({ status: 'approved' });
    expect(await submissions(serviceId)).toBe(1);
  });

  it('asked to publish (0.12.0), a poll that finds the service approved publishes it, once', async () => {
    const serviceId = await draft('biblioteca');
    await runActivity(h.activities.submitForReview, { serviceId });
    expect(
      await failureOf(runActivity(h.activities.awaitReviewDecision, { serviceId, publish: true })),
    ).toMatchObject({ type: 'ReviewPending' });
    expect(await h.io.getRelease(serviceId)).toBeNull();

    await decide(serviceId, 'approve');
    expect(await runActivity(h.activities.awaitReviewDecision, { serviceId, publish: true })).toEqual({
      outcome: 'approved',
      published: { alreadyPublished: false },
    });
    expect((await h.io.getRelease(serviceId))?.status).toBe('published');
    // A retried poll (its answer lost) publishes nothing twice, nor does the workflow's ensurePublished after it.
    expect(await runActivity(h.activities.awaitReviewDecision, { serviceId, publish: true })).toEqual({
      outcome: 'approved',
      published: { alreadyPublished: true },
    });
    expect(await runActivity(h.activities.ensurePublished, { serviceId })).toMatchObject({
      alreadyPublished: true,
    });
    const history = await h.io.getHistory(serviceId, { limit: 100, order: 'ASC' });
    expect(history.items.filter((i) => i.status.value === 'published')).toHaveLength(1);
  });

  it('a rejection carries its reason; updating the card returns it to draft and it can be sent again', async () => {
    const serviceId = await draft('cie');
    await runActivity(h.activities.submitForReview, { serviceId });
    const reason = 'dati incompleti o incorretti: manca il contratto di adesione';
    await decide(serviceId, 'reject', reason);

    const decision = await runActivity(h.activities.awaitReviewDecision, { serviceId });
    expect(decision.outcome).toBe('rejected');
    expect(decision).toMatchObject({ reason: expect.stringContaining('manca il contratto di adesione') });

    const card = h.card('cie', {
      description: 'Promemoria della scadenza della carta d’identità elettronica e degli appuntamenti.',
    });
    expect(await runActivity(h.activities.updateService, { serviceId, card })).toEqual({ status: 'draft' });
    expect(await runActivity(h.activities.awaitReviewDecision, { serviceId })).toEqual({ outcome: 'draft' });

    expect(await runActivity(h.activities.submitForReview, { serviceId })).toEqual({ status: 'submitted' });
    expect(await submissions(serviceId)).toBe(2);
    await decide(serviceId, 'approve');
    expect(await runActivity(h.activities.awaitReviewDecision, { serviceId })).toEqual({
      outcome: 'approved',
    });
  });

  it('a review aborted in the back office is a draft again', async () => {
    const serviceId = await draft('mensa');
    await runActivity(h.activities.submitForReview, { serviceId });
    await decide(serviceId, 'abort');
    expect(await runActivity(h.activities.awaitReviewDecision, { serviceId })).toEqual({ outcome: 'draft' });
  });

  it("the sandbox's automatic checks reject a card written in capitals at once", async () => {
    const card = h.card('elettorale', { service_name: 'SERVIZI ELETTORALI' });
    const { serviceId } = await runActivity(h.activities.ensureService, { card });
    await runActivity(h.activities.submitForReview, { serviceId });
    const decision = await runActivity(h.activities.awaitReviewDecision, { serviceId });
    expect(decision).toEqual({
      outcome: 'rejected',
      reason: expect.stringMatching(/^dati incompleti o incorretti: .*maiuscolo/),
    });
  });

  it('a deleted service is a non-retryable failure', async () => {
    const serviceId = await draft('suap');
    await h.io.deleteService(serviceId);
    const failure = await failureOf(runActivity(h.activities.awaitReviewDecision, { serviceId }));
    expect(failure).toMatchObject({ type: 'ServiceDeleted', nonRetryable: true });
  });
});

describe('ensurePublished', () => {
  it('publishes an approved service once; a second call finds it published', async () => {
    const serviceId = await draft('asilo-nido');
    await runActivity(h.activities.submitForReview, { serviceId });
    await decide(serviceId, 'approve');

    expect(await runActivity(h.activities.ensurePublished, { serviceId })).toEqual({
      published: true,
      alreadyPublished: false,
    });
    expect(await runActivity(h.activities.ensurePublished, { serviceId })).toEqual({
      published: true,
      alreadyPublished: true,
    });
    const release = await h.io.getRelease(serviceId);
    expect(release?.status).toBe('published');
    const history = await h.io.getHistory(serviceId, { limit: 100, order: 'ASC' });
    const publications = history.items.filter((i) => i.status.value === 'published');
    expect(publications).toHaveLength(1);
  });

  it('publishes again a service someone unpublished', async () => {
    const serviceId = await draft('servizi-sociali');
    await runActivity(h.activities.submitForReview, { serviceId });
    await decide(serviceId, 'approve');
    await runActivity(h.activities.ensurePublished, { serviceId });
    await h.io.unpublish(serviceId);
    expect(await runActivity(h.activities.ensurePublished, { serviceId })).toEqual({
      published: true,
      alreadyPublished: false,
    });
    expect((await h.io.getRelease(serviceId))?.status).toBe('published');
  });

  it('a service that is not approved cannot be published: non-retryable Http409', async () => {
    const serviceId = await draft('sanzioni-cds');
    const failure = await failureOf(runActivity(h.activities.ensurePublished, { serviceId }));
    expect(failure).toMatchObject({ type: 'Http409', nonRetryable: true });
  });

  // io-services-cms overrides the publication's data with each approved version (request-publication-handler:
  // `override` when not auto-publishing), so a published service shows the corrected card once it is approved again.
  it('after an edit and a new approval, the release is the new version (the app shows the corrected card)', async () => {
    const serviceId = await draft('edilizia');
    await runActivity(h.activities.submitForReview, { serviceId });
    await decide(serviceId, 'approve');
    await runActivity(h.activities.ensurePublished, { serviceId });

    const corrected = h.card('edilizia', {
      description:
        'Stato delle pratiche edilizie, richieste di integrazione e rilascio dei titoli abilitativi.',
    });
    await runActivity(h.activities.updateService, { serviceId, card: corrected });
    await runActivity(h.activities.submitForReview, { serviceId });
    await decide(serviceId, 'approve');
    await runActivity(h.activities.ensurePublished, { serviceId });

    const service = await h.io.getService(serviceId);
    const release = await h.io.getRelease(serviceId);
    expect(release?.version).toBe(service.version);
    expect(release?.description).toBe(corrected.description);
  });
});
