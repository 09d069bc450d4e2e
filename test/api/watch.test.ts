import type { ComuneState } from '../../contracts/comune';
import { eventually, startApiHarness, type ApiHarness } from './harness';

/**
 * #14 item 3 over HTTP: a completed Comune still watching its services shows a service no longer visible in App IO
 * as a staff task in the inbox, and the dashboard's secured funding drops by the band's rate; a manager (not staff)
 * stops the watch with a reason.
 */
describe('API: the watch after completion (dev server)', () => {
  let h: ApiHarness;
  const ipa = 'c_l378';
  const visibility = new Map<string, 'published' | 'unpublished'>();

  beforeAll(async () => {
    h = await startApiHarness({
      mock: {
        adherent: true,
        onboarding: 'active',
        publication: (name) => visibility.get(name) ?? 'published',
      },
    });
    await h.startComune({
      ipaCode: ipa,
      settings: { watchAfterCompletionDays: 1, watchCheckEveryHours: 0.0005 },
    });
    await h.advanceToServices(ipa);
  });
  afterAll(() => h?.teardown());

  it('turns an unpublished service into an inbox task and takes it out of the secured funding', async () => {
    const staff = h.as('staff');
    const manager = h.as('manager');
    const completed = await h.comuneState(ipa, (s) => s.stage === 'completed' && (s.watch?.checks ?? 0) > 0);
    const rate = completed.funding.eurPerService;
    const total = completed.servicesTotal;
    const tari = completed.services.find((s) => s.slug === 'tari')!;

    visibility.set(tari.name, 'unpublished');
    const inbox = await eventually(
      'the unpublished service in the inbox',
      async () => (await staff.get('/inbox?status=unpublished').expect(200)).body,
      (body: { total: number; items: Record<string, unknown>[] }) => body.total === 1,
    );
    expect(inbox.items[0]).toMatchObject({
      kind: 'service',
      ipaCode: ipa,
      serviceSlug: 'tari',
      serviceName: tari.name,
      who: 'staff',
      action: 'Verificare su IO perché il servizio non è più visibile in App IO e ripubblicarlo',
    });
    const summary = await eventually(
      'the secured funding without TARI',
      async () => (await manager.get('/portfolio/summary').expect(200)).body,
      (body: { funding: { securedEur: number }; services: { byStatus: Record<string, number> } }) =>
        body.funding.securedEur === (total - 1) * rate,
    );
    expect(summary.services.byStatus.unpublished).toBe(1);

    // Staff may not stop the watch; a manager may, with a reason.
    await staff.post(`/comuni/${ipa}/watch/stop`).send({ reason: 'non serve più' }).expect(403);
    const stopped = await manager
      .post(`/comuni/${ipa}/watch/stop`)
      .send({ reason: 'fondi liquidati: controllo concluso' })
      .expect(200);
    expect((stopped.body as ComuneState).watch?.stopped).toEqual({
      by: 'manager:test-manager',
      reason: 'fondi liquidati: controllo concluso',
    });
    const again = await manager.post(`/comuni/${ipa}/watch/stop`).send({ reason: 'ancora' }).expect(409);
    expect(again.body.detail).toMatch(/già concluso|non è in corso|già stato interrotto/);
  });
});
