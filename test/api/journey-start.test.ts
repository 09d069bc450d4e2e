import { comuneWorkflowId } from '../../contracts/ids';
import { formatDateIt } from '../../integrations/mail/format';
import { trento } from '../import/import-fixtures';
import {
  completedJob,
  eventually,
  problemFields,
  startApiHarness,
  type ApiHarness,
  type Caller,
} from './harness';

/**
 * One journey per Comune (contracts/comune-start.ts): `POST /comuni` refuses a Comune whose journey runs or has
 * completed, with a sentence that says which; a withdrawn Comune starts again only through a manager's restart
 * with a reason, recorded in the new run's timeline; the import reports the same per row.
 */
describe('API: starting a journey once, and restarting a withdrawn Comune (dev server)', () => {
  let h: ApiHarness;
  let manager: Caller;
  const running = 'c_l378';
  const completed = 'comune_completo';
  const withdrawn = 'comune_ritirato';
  const reason = 'Il Comune ha revocato la rinuncia al finanziamento';

  beforeAll(async () => {
    // PagoPA approves every review: a Comune whose services start completes.
    h = await startApiHarness();
    manager = h.as('manager');
  });
  afterAll(() => h?.teardown());

  const describeLatest = (ipa: string) => h.env.client.workflow.getHandle(comuneWorkflowId(ipa)).describe();
  const closed = (ipa: string, status: string) =>
    eventually(
      `${ipa} ${status}`,
      () => describeLatest(ipa),
      (d) => d.status.name === status,
    );

  it('starts a Comune once: a second start answers 409, its journey is already running', async () => {
    const first = await manager.post('/comuni').send(trento()).expect(201);
    expect(first.body).toEqual({ ipaCode: running, workflowId: `comune:${running}` });
    const runId = (await describeLatest(running)).runId;

    const again = await manager.post('/comuni').send(trento()).expect(409);
    expect(again.body).toMatchObject({
      title: 'Percorso già in corso',
      detail: 'Il percorso di Comune di Trento è già in corso',
    });
    const steps = (await h.comuneState(running)).timeline.map((t) => t.step);
    expect(steps.filter((step) => step.startsWith('Percorso'))).toEqual(['Percorso avviato']);
    expect(await describeLatest(running)).toMatchObject({ runId, status: { name: 'RUNNING' } });

    // Nor is a running Comune restarted.
    const restart = await manager.post(`/comuni/${running}/restart`).send({ reason }).expect(409);
    expect(restart.body.detail).toBe('Il percorso di Comune di Trento è già in corso');
  });

  it('refuses to start a completed Comune again, saying when it completed', async () => {
    await h.startComune({ ipaCode: completed });
    await h.advanceToServices(completed);
    await h.comuneState(completed, (s) => s.stage === 'completed');
    const description = await closed(completed, 'COMPLETED');
    const sentence = `Il percorso di Comune di Trento è già completato il ${formatDateIt(description.closeTime!)}`;

    const again = await manager
      .post('/comuni')
      .send(trento({ ipaCode: completed }))
      .expect(409);
    expect(again.body).toMatchObject({ title: 'Percorso già completato', detail: sentence });
    const restart = await manager.post(`/comuni/${completed}/restart`).send({ reason }).expect(409);
    expect(restart.body).toMatchObject({ title: 'Percorso già completato', detail: sentence });
    expect((await describeLatest(completed)).runId).toBe(description.runId);
  });

  it('restarts a withdrawn Comune only on a manager’s request with a reason; the new run records who and why', async () => {
    await h.startComune({ ipaCode: withdrawn, name: 'Comune di Nago-Torbole' });
    const before = await h.comuneState(withdrawn);
    await manager
      .post(`/comuni/${withdrawn}/withdraw`)
      .send({ reason: 'Il Comune rinuncia al finanziamento' })
      .expect(200);
    const failed = await closed(withdrawn, 'FAILED');

    // A plain start does not revive it: it says how.
    const start = await manager
      .post('/comuni')
      .send(trento({ ipaCode: withdrawn }))
      .expect(409);
    expect(start.body.title).toBe('Percorso ritirato');
    expect(start.body.detail).toMatch(
      new RegExp(
        `^Il percorso di Comune di Nago-Torbole è stato ritirato il ${formatDateIt(failed.closeTime!)}: .*motivo`,
      ),
    );

    // Staff may not; a manager must say why.
    const forbidden = await h.as('staff').post(`/comuni/${withdrawn}/restart`).send({ reason }).expect(403);
    // The roles in Italian, as people know them: no internal role id on screen.
    expect(forbidden.body.detail).toBe('serve il ruolo «Responsabile»; il tuo è «Personale»');
    const missing = await manager.post(`/comuni/${withdrawn}/restart`).send({}).expect(400);
    expect(missing.body.errors).toEqual([{ field: 'body.reason', message: 'motivo obbligatorio' }]);
    const short = await manager.post(`/comuni/${withdrawn}/restart`).send({ reason: ' x ' }).expect(400);
    expect(short.body.errors).toEqual([{ field: 'body.reason', message: 'motivo: almeno 3 caratteri' }]);
    expect(
      problemFields(await manager.post(`/comuni/${withdrawn}/restart`).send({ reason: 7 }).expect(400)),
    ).toEqual(['body.reason']);
    expect((await describeLatest(withdrawn)).runId).toBe(failed.runId);
    await manager.post('/comuni/c_z999/restart').send({ reason }).expect(404);

    const res = await manager.post(`/comuni/${withdrawn}/restart`).send({ reason }).expect(201);
    expect(res.body).toEqual({
      ipaCode: withdrawn,
      workflowId: `comune:${withdrawn}`,
      runId: expect.any(String),
      previousRunId: failed.runId,
    });
    expect(res.body.runId).not.toBe(failed.runId);

    // The same Comune, from the withdrawn run's own input, back at the start, with the restart in its timeline.
    const state = await h.comuneState(withdrawn, (s) => s.stage === 'adhesion_check');
    expect(state).toMatchObject({
      name: 'Comune di Nago-Torbole',
      deadline: before.deadline,
      servicesTotal: before.servicesTotal,
    });
    expect(state.withdrawn).toBeUndefined();
    expect(state.services.every((s) => s.status === 'pending')).toBe(true);
    expect(state.timeline).toEqual([
      { at: expect.any(String), step: 'Percorso avviato', actor: 'sistema' },
      {
        at: expect.any(String),
        step: 'Percorso riavviato dopo il ritiro',
        actor: 'manager:test-manager',
        detail: reason,
      },
    ]);
    expect(await describeLatest(withdrawn)).toMatchObject({
      runId: res.body.runId,
      status: { name: 'RUNNING' },
    });

    // Running again: neither a second restart nor a start.
    const twice = await manager.post(`/comuni/${withdrawn}/restart`).send({ reason }).expect(409);
    expect(twice.body.detail).toBe('Il percorso di Comune di Nago-Torbole è già in corso');
    await manager
      .post('/comuni')
      .send(trento({ ipaCode: withdrawn }))
      .expect(409);
  });

  it('reports per row, in an import, which Comuni are already running and which completed', async () => {
    const res = await manager
      .post('/imports/json')
      .send({ comuni: [trento(), trento({ ipaCode: completed })] })
      .expect(202);
    const job = await completedJob(manager, `/imports/${res.body.jobId}`);
    expect(job).toMatchObject({ processed: 2, started: 0, alreadyRunning: 2, failed: 0 });
    const completedOn = formatDateIt((await describeLatest(completed)).closeTime!);
    expect(job.errors).toEqual([
      { item: running, message: 'Il percorso di Comune di Trento è già in corso' },
      { item: completed, message: `Il percorso di Comune di Trento è già completato il ${completedOn}` },
    ]);
  });
});
