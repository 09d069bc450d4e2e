import {
  BULK_ERRORS_CAP,
  accumulateChunk,
  bulkJobInputSchema,
  bulkJobWorkflowId,
  emptyChunkResult,
  failedChunk,
  initialBulkJobState,
  type BulkChunkResult,
} from '../../contracts/bulk';

const input = { kind: 'remind' as const, actor: 'Giulia Verdi', itemsRef: 'c'.repeat(64), itemCount: 3_000 };

const chunk = (overrides: Partial<BulkChunkResult>): BulkChunkResult => ({
  ...emptyChunkResult(),
  ...overrides,
});

describe('bulk job contract', () => {
  it('names jobs bulk:<kind>:<id> and refuses ids that could confuse it', () => {
    expect(bulkJobWorkflowId('import', '01JABCDEF')).toBe('bulk:import:01JABCDEF');
    expect(() => bulkJobWorkflowId('remind', 'a:b')).toThrow(RangeError);
    expect(() => bulkJobWorkflowId('remind', '')).toThrow(RangeError);
  });

  it('requires the new deadline and a reason to move deadlines', () => {
    expect(bulkJobInputSchema.safeParse({ ...input, kind: 'move_deadline' }).success).toBe(false);
    const params = { deadline: '2026-01-31T23:59:59+01:00', reason: 'proroga del bando' };
    expect(bulkJobInputSchema.safeParse({ ...input, kind: 'move_deadline', params }).success).toBe(true);
    expect(bulkJobInputSchema.safeParse({ ...input, itemsRef: 'x' }).success).toBe(false);
  });

  it('adds chunks up and keeps at most the first errors', () => {
    const state = initialBulkJobState(input, '2025-03-01T09:00:00.000Z');
    const errors = Array.from({ length: 50 }, (_, i) => ({ item: `c_${i}`, message: 'fase sbagliata' }));
    for (let i = 0; i < 30; i++) accumulateChunk(state, chunk({ applied: 50, skipped: 50, errors }));
    accumulateChunk(state, failedChunk(3_000, 50, 'worker perso'));
    expect(state).toMatchObject({
      processed: 3_050,
      applied: 1_500,
      skipped: 1_500,
      failed: 50,
      status: 'running',
    });
    expect(state.errors).toHaveLength(BULK_ERRORS_CAP);
    expect(state.errorsOmitted).toBe(30 * 50 + 1 - BULK_ERRORS_CAP);
    expect(failedChunk(100, 50, 'x').errors).toEqual([{ item: 'elementi 101–150', message: 'x' }]);
  });
});
