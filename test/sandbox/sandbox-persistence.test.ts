import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createStoredService } from '../../sandbox/service-ops';
import { emptyState } from '../../sandbox/state-store';
import { ORG_FC, servicePayload, startTestSandbox } from './harness';

describe('sandbox: persistence', () => {
  it('keeps services, keys, institutions and counters across a restart on the same data file', async () => {
    const first = await startTestSandbox({ reviewer: { mode: 'manual' } });
    const created = await first.manage('POST', '/services', servicePayload({ name: 'Servizio persistente' }));
    await first.manage('PUT', `/services/${created.body.id}/review`, { auto_publish: false });
    const keys = (await first.manage('GET', `/services/${created.body.id}/keys`)).body;
    await first.admin('PUT', `/selfcare/institutions/${ORG_FC}`, {
      description: 'Comune di Prova',
      onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
    });
    await first.sb.close();

    const saved = JSON.parse(await readFile(first.dataFile, 'utf8')) as { services: Record<string, unknown> };
    expect(Object.keys(saved.services)).toContain(created.body.id);

    const second = await startTestSandbox({ reviewer: { mode: 'manual' } }, first.dir);
    try {
      const got = await second.manage('GET', `/services/${created.body.id}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ name: 'Servizio persistente', status: { value: 'submitted' } });
      expect((await second.manage('GET', `/services/${created.body.id}/keys`)).body).toEqual(keys);
      // a pending review survives the restart and can be decided
      expect(
        (await second.admin('POST', `/services/${created.body.id}/review`, { decision: 'approve' })).status,
      ).toBe(200);
      const inst = await fetch(`${second.url}/external/v2/institutions?taxCode=${ORG_FC}`, {
        headers: { 'Ocp-Apim-Subscription-Key': 'test-selfcare-key-0003' },
      });
      expect(inst.status).toBe(200);
      const counters = (await second.admin('GET', '/counters')).body as { requests: Record<string, number> };
      expect(counters.requests['POST /api/v1/manage/services']).toBeGreaterThanOrEqual(1);
    } finally {
      await second.stop();
      await rm(first.dir, { recursive: true, force: true });
    }
  });

  it('reset empties the state', async () => {
    const t = await startTestSandbox();
    try {
      await t.manage('POST', '/services', servicePayload());
      expect((await t.admin('POST', '/reset')).status).toBe(204);
      expect((await t.manage('GET', '/services')).body.value).toEqual([]);
    } finally {
      await t.stop();
    }
  });

  it('refuses a corrupt data file instead of starting empty', async () => {
    const t = await startTestSandbox();
    await t.sb.close();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(t.dataFile, JSON.stringify({ version: 2 }));
    await expect(startTestSandbox({}, t.dir)).rejects.toThrow(/not valid/);
    await rm(t.dir, { recursive: true, force: true });
  });

  it('a data file saved before manage keys per institution: keys issued, approved services get their copy', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'io-sandbox-old-'));
    try {
      const old = emptyState() as Partial<ReturnType<typeof emptyState>>;
      delete old.manageSubscriptions;
      const approved = createStoredService(servicePayload({ name: 'Approvato prima' }), new Date());
      approved.status = { value: 'approved' };
      old.services = { [approved.id]: approved };
      old.institutions = {
        [ORG_FC]: {
          id: 'e3b0c442-0000-4000-8000-000000000001',
          taxCode: ORG_FC,
          description: 'Comune di Prova',
          onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
        },
      };
      await writeFile(path.join(dir, 'sandbox.json'), JSON.stringify(old));
      const t = await startTestSandbox({}, dir);
      try {
        const keys = await t.manageKeys(ORG_FC);
        // The old approved service belongs to the Comune named in it, and can be published.
        const res = await t.manage('POST', `/services/${approved.id}/release`, undefined, keys.primary_key);
        expect(res.status).toBe(204);
        expect((await t.manage('GET', `/services/${approved.id}/release`)).body.status).toBe('published');
      } finally {
        await t.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
