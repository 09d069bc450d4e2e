import { PortfolioReader, nameSearch, type ComuneListItem, type ListFilters } from '../../api/portfolio';

/** The shared read behind the list, summary, inbox and export endpoints (its cost at scale: BENCHMARKS.md). */
describe('PortfolioReader', () => {
  const item = (ipaCode: string) => ({ ipaCode }) as ComuneListItem;

  function setup(maxAgeMs: number, maxStaleMs = 15_000, maxWaitMs?: number) {
    let clock = 0;
    const calls: ListFilters[] = [];
    let fail = false;
    let release: (() => void) | undefined;
    const reader = new PortfolioReader(
      async (filters) => {
        calls.push(filters);
        await new Promise<void>((resolve) => (release = resolve));
        if (fail) throw new Error('visibility unavailable');
        return [item(`c_${calls.length}`)];
      },
      { maxAgeMs, maxStaleMs, ...(maxWaitMs !== undefined ? { maxWaitMs } : {}), now: () => clock },
    );
    return {
      reader,
      calls,
      advance: (ms: number) => (clock += ms),
      failNext: () => (fail = true),
      recover: () => (fail = false),
      finish: async () => {
        await Promise.resolve();
        release?.();
      },
    };
  }

  it('serves concurrent requests with one read, and the result for maxAgeMs', async () => {
    const t = setup(2_000);
    const first = t.reader.list({});
    const second = t.reader.list({});
    await t.finish();
    expect(await first).toEqual([item('c_1')]);
    expect(await second).toBe(await first);
    t.advance(2_000);
    expect(await t.reader.list({})).toEqual([item('c_1')]);
    expect(t.calls).toHaveLength(1);
  });

  it('past maxAgeMs answers at once with the last result while one read refreshes it', async () => {
    const t = setup(2_000);
    const first = t.reader.list({});
    await t.finish();
    await first;

    t.advance(2_001);
    // Stale: answered without waiting, and one refresh starts for all of them.
    expect(await t.reader.list({})).toEqual([item('c_1')]);
    expect(await t.reader.list({})).toEqual([item('c_1')]);
    expect(t.calls).toHaveLength(2);
    await t.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.reader.list({})).toEqual([item('c_2')]);
    expect(t.calls).toHaveLength(2);
  });

  it('past maxStaleMs waits for a new read instead of answering with an old result', async () => {
    const t = setup(2_000, 10_000);
    const first = t.reader.list({});
    await t.finish();
    await first;

    t.advance(10_001);
    let answered = false;
    const fresh = t.reader.list({}).then((items) => ((answered = true), items));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    await t.finish();
    expect(await fresh).toEqual([item('c_2')]);
  });

  it('past maxStaleMs, a read slower than maxWaitMs is not waited for: the old result, saying how old', async () => {
    const t = setup(2_000, 10_000, 30);
    const first = t.reader.listFresh({});
    await t.finish();
    expect(await first).toEqual({ items: [item('c_1')], readAt: 0, source: 'visibility' });

    t.advance(60_000);
    const started = Date.now();
    const answer = await t.reader.listFresh({}); // the read is not released: visibility is busy
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(answer).toEqual({ items: [item('c_1')], readAt: 0, source: 'visibility' });
    expect(t.calls).toHaveLength(2);
    // The read went on: once it lands, the next request gets it.
    await t.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.reader.listFresh({})).toEqual({
      items: [item('c_2')],
      readAt: 60_000,
      source: 'visibility',
    });
  });

  it('keeps the last result when a background refresh fails, and tries again on the next request', async () => {
    const t = setup(2_000);
    const first = t.reader.list({});
    await t.finish();
    await first;

    t.advance(3_000);
    t.failNext();
    expect(await t.reader.list({})).toEqual([item('c_1')]);
    await t.finish();
    await new Promise((resolve) => setImmediate(resolve));
    t.recover();
    expect(await t.reader.list({})).toEqual([item('c_1')]); // still stale: a new refresh starts
    expect(t.calls).toHaveLength(3);
    await t.finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await t.reader.list({})).toEqual([item('c_3')]);
  });

  it('keeps different filters apart', async () => {
    const t = setup(2_000);
    const all = t.reader.list({});
    await t.finish();
    await all;
    const late = t.reader.list({ late: true });
    await t.finish();
    const lateOnBari = t.reader.list({ late: true, q: 'bari' });
    await t.finish();
    await Promise.all([late, lateOnBari]);
    expect(t.calls).toEqual([{}, { late: true }, { late: true, q: 'bari' }]);
  });

  it('does not keep a failed read: the next request tries again', async () => {
    const t = setup(2_000);
    t.failNext();
    const failed = t.reader.list({});
    await t.finish();
    await expect(failed).rejects.toThrow('visibility unavailable');
    t.recover();
    const retried = t.reader.list({});
    await t.finish();
    expect(await retried).toEqual([item('c_2')]);
  });

  it('reads every time when the cache is off (0 ms)', async () => {
    const t = setup(0);
    for (let i = 1; i <= 3; i++) {
      const read = t.reader.list({});
      await t.finish();
      expect(await read).toEqual([item(`c_${i}`)]);
    }
  });
});

describe('searching Comuni by name', () => {
  const names = ['Baselga di Pinè', "San Michele all'Adige", 'Sant’Orsola Terme', 'Pinzolo'];
  const find = (q: string) => names.filter(nameSearch(q));

  it('ignores case and accents, and reads a word ending in a full stop as an abbreviation', () => {
    expect(find('pine')).toEqual(['Baselga di Pinè']);
    expect(find('PINÈ')).toEqual(['Baselga di Pinè']);
    expect(find('s. michele')).toEqual(["San Michele all'Adige"]);
    expect(find('s. orsola')).toEqual(['Sant’Orsola Terme']);
    expect(find('pin')).toEqual(['Baselga di Pinè', 'Pinzolo']);
    expect(find('adige')).toEqual(["San Michele all'Adige"]);
    expect(find('s. pine')).toEqual([]);
  });
});
