import { ConcurrencyLimiter, LimiterWaitTimeout } from '../../../integrations/io';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('ConcurrencyLimiter', () => {
  it('runs at most `max` calls at once, the others in arrival order', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect([limiter.active, limiter.waiting]).toEqual([2, 2]);
    gates[1]!.open();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    gates[3]!.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect([limiter.active, limiter.waiting]).toEqual([0, 0]);
  });

  it('a failing call frees its slot', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limiter.run(() => Promise.resolve('ok'))).toBe('ok');
  });

  it('a waiter gives up after maxWaitMs, or when its signal fires, and leaves the queue', async () => {
    const limiter = new ConcurrencyLimiter(1, 30);
    const busy = gate();
    const holder = limiter.run(() => busy.promise);
    const timedOut = limiter.run(() => Promise.resolve('never'));
    await expect(timedOut).rejects.toBeInstanceOf(LimiterWaitTimeout);

    const controller = new AbortController();
    const aborted = limiter.run(() => Promise.resolve('never'), {
      signal: controller.signal,
      maxWaitMs: Infinity,
    });
    controller.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    expect(limiter.waiting).toBe(0);

    busy.open();
    await holder;
    expect(await limiter.run(() => Promise.resolve('next'))).toBe('next');
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow();
    expect(() => new ConcurrencyLimiter(1.5)).toThrow();
  });
});
