import { timeTemporal } from './timing';
import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ComuneJourneyExistsError, type ExistingJourneyStatus } from '../contracts/comune-start';
import { HttpProblem } from './problem';

const existingJourneyTitles: Record<ExistingJourneyStatus, string> = {
  running: 'Percorso già in corso',
  completed: 'Percorso già completato',
  withdrawn: 'Percorso ritirato',
  closed: 'Percorso concluso',
};

/**
 * Temporal's answers in HTTP terms: a step the workflow refused is a 409 carrying the workflow's own sentence;
 * an unknown Comune a 404.
 */
export function toHttpProblem(err: unknown, what = 'Comune'): unknown {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const detail =
      cause instanceof ApplicationFailure || cause instanceof Error ? cause.message : err.message;
    return new HttpProblem(409, 'Passo rifiutato', detail);
  }
  const message = err instanceof Error ? err.message : '';
  // An update sent to a closed workflow comes back as NOT_FOUND ("workflow execution already completed"): the
  // Comune exists, its journey is over.
  if (/workflow execution already completed/i.test(message)) {
    return new HttpProblem(
      409,
      'Percorso concluso',
      `il percorso di questo ${what.toLowerCase()} è già concluso`,
    );
  }
  // Temporal or its workers too busy to answer in time (seen at national scale, BENCHMARKS.md): nothing was
  // applied that a retry could duplicate (updates carry their id), so say "try again", not "server error".
  if (
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    (err instanceof ServiceError && /DEADLINE_EXCEEDED|UNAVAILABLE|timed out/i.test(message))
  ) {
    return new HttpProblem(
      503,
      'Temporal non ha risposto in tempo',
      'il sistema è sotto carico: riprovare tra qualche secondo (la richiesta, se ripetuta, vale una volta sola)',
    );
  }
  if (err instanceof WorkflowNotFoundError) return new HttpProblem(404, `${what} non trovato`, err.message);
  // A start the Comune's id policy refused (contracts/comune-start.ts), with the sentence that says why.
  if (err instanceof ComuneJourneyExistsError) {
    return new HttpProblem(409, existingJourneyTitles[err.journey.status], err.message);
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new HttpProblem(409, `${what} già avviato`, 'esiste già un percorso con questo codice');
  }
  if (/not found/i.test(message)) {
    return new HttpProblem(
      409,
      'Percorso concluso',
      `il percorso di questo ${what.toLowerCase()} è già concluso`,
    );
  }
  return err;
}

export async function temporalCall<T>(fn: () => Promise<T>, what?: string): Promise<T> {
  try {
    return await timeTemporal(fn);
  } catch (err) {
    throw toHttpProblem(err, what);
  }
}
