import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ComuneState } from '../../../contracts/comune';
import type { ComuneViewDocument } from '../../../contracts/read-model';
import { FileViewStore } from '../../../integrations/read-model/view-store';

describe('the read model on the file system (integrations/read-model)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'views-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const comune = (asOf: string, seq: number, stage: ComuneState['stage']): ComuneViewDocument => ({
    kind: 'comune',
    workflowId: 'comune:c_l378',
    asOf,
    seq,
    state: { ipaCode: 'c_l378', stage } as ComuneState,
    planned: [],
  });

  it('keeps the newest snapshot: an older one (a slow retried write) never brings the page back in time', async () => {
    const store = new FileViewStore(dir);
    expect(await store.comune('c_l378')).toBeUndefined();
    expect(await store.put(comune('2026-12-06T08:00:00.000Z', 1, 'delegation_requested'))).toEqual({
      written: true,
    });
    expect(await store.put(comune('2026-12-06T08:00:00.000Z', 2, 'awaiting_signed_form'))).toEqual({
      written: true,
    });
    expect(await store.put(comune('2026-12-06T07:59:59.000Z', 9, 'adhesion_check'))).toEqual({
      written: false,
    });
    expect(await store.put(comune('2026-12-06T08:00:00.000Z', 1, 'delegation_requested'))).toEqual({
      written: false,
    });
    const read = await new FileViewStore(dir).comune('c_l378');
    expect(read?.document.state.stage).toBe('awaiting_signed_form');
    expect(Date.parse(read!.writtenAt)).not.toBeNaN();
    // One file per workflow, written whole (no temporary file left behind).
    expect(fs.readdirSync(path.join(dir, 'comune'))).toEqual(['c_l378.json']);
  });

  it('stores services under their Comune, and refuses ids that are not a Comune’s or a service’s', async () => {
    const store = new FileViewStore(dir);
    await store.put({
      kind: 'service',
      workflowId: 'service:c_l378:tari',
      asOf: '2026-12-06T08:00:00.000Z',
      seq: 1,
      state: { slug: 'tari' } as never,
    });
    expect((await store.service('c_l378', 'tari'))?.document.state).toEqual({ slug: 'tari' });
    expect(await store.service('c_l378', 'imu')).toBeUndefined();
    await expect(
      store.put({ ...comune('2026-12-06T08:00:00.000Z', 1, 'services'), workflowId: 'comune:../../etc' }),
    ).rejects.toThrow(RangeError);
  });
});
