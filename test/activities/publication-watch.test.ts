import { runActivity, startActivityHarness, type ActivityHarness } from './harness';

/**
 * The watch after completion (#14 item 3) reads PagoPA's published copy of each service over real HTTP against the
 * sandbox: published, unpublished (its release withdrawn), back in review (submitted again while published),
 * deleted, or unknown to IO (404, counted as deleted). Reads only: nothing is changed on IO.
 */
let h: ActivityHarness;

beforeAll(async () => {
  h = await startActivityHarness({ legacyPartnerKey: true, sandbox: { reviewer: { mode: 'manual' } } });
});
afterAll(() => h?.close());

async function published(slug: string): Promise<string> {
  const { serviceId } = await runActivity(h.activities.ensureService, { card: h.card(slug) });
  await runActivity(h.activities.uploadLogo, { serviceId, logoRef: h.logoRef });
  await runActivity(h.activities.submitForReview, { serviceId });
  expect((await h.admin('POST', `/services/${serviceId}/review`, { decision: 'approve' })).status).toBe(200);
  await runActivity(h.activities.ensurePublished, { serviceId });
  return serviceId;
}

const check = (services: { slug: string; serviceId: string }[]) =>
  runActivity(h.activities.checkPublishedServices, { services });

describe('checkPublishedServices', () => {
  it('tells published, unpublished, back in review, deleted and unknown services apart', async () => {
    const tari = await published('tari');
    const mensa = await published('mensa');
    const imu = await published('imu');
    const services = [
      { slug: 'tari', serviceId: tari },
      { slug: 'mensa', serviceId: mensa },
      { slug: 'imu', serviceId: imu },
    ];
    expect(await check(services)).toEqual([
      { slug: 'tari', seen: 'published' },
      { slug: 'mensa', seen: 'published' },
      { slug: 'imu', seen: 'published' },
    ]);

    // Unpublished in the back office; the IMU card edited and submitted again; the mensa deleted.
    await h.io.unpublish(tari);
    const imuCard = h.card('imu');
    await runActivity(h.activities.updateService, {
      serviceId: imu,
      card: { ...imuCard, description: `${imuCard.description} Orari aggiornati.` },
    });
    await runActivity(h.activities.submitForReview, { serviceId: imu });
    await h.io.deleteService(mensa);
    expect(await check([...services, { slug: 'ignoto', serviceId: '01JXXXXXXXXXXXXXXXXXXXXXXX' }])).toEqual([
      { slug: 'tari', seen: 'unpublished' },
      { slug: 'mensa', seen: 'deleted' },
      { slug: 'imu', seen: 'in_review' },
      { slug: 'ignoto', seen: 'deleted' },
    ]);

    // Published again: seen as such at the next check.
    await runActivity(h.activities.ensurePublished, { serviceId: tari });
    expect(await check([{ slug: 'tari', serviceId: tari }])).toEqual([{ slug: 'tari', seen: 'published' }]);
  });
});
