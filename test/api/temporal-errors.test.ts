import {
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { HttpProblem } from '../../api/problem';
import { toHttpProblem } from '../../api/temporal-errors';

describe('Temporal errors in HTTP terms', () => {
  it('a query or update Temporal could not answer in time is a 503 to retry, not a 500', () => {
    const queryTimeout = new ServiceError(
      'Failed to query Workflow: 4 DEADLINE_EXCEEDED: query timed out before a worker could process it',
    );
    const updateTimeout = new WorkflowUpdateRPCTimeoutOrCancelledError(
      'Timed out waiting for update response',
      {
        cause: new Error('context deadline exceeded'),
      },
    );
    for (const err of [queryTimeout, updateTimeout]) {
      const problem = toHttpProblem(err);
      expect(problem).toBeInstanceOf(HttpProblem);
      expect(problem).toMatchObject({ status: 503, title: 'Temporal non ha risposto in tempo' });
    }
  });

  it('keeps 404 for an unknown Comune and passes unknown errors through', () => {
    expect(
      toHttpProblem(new WorkflowNotFoundError('no such workflow', 'comune:c_x', undefined)),
    ).toMatchObject({
      status: 404,
    });
    const other = new Error('boom');
    expect(toHttpProblem(other)).toBe(other);
  });
});
