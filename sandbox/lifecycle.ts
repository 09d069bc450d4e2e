/**
 * The service lifecycle of io-services-cms as a pure transition table: no IO, no clock.
 *
 *   draft ──submit──▶ submitted ──approve──▶ approved
 *     ▲  ◀───abort───┘   └──────reject────▶ rejected
 *     └──────────── edit ◀─── approved | rejected (and draft → draft)
 *   any (but deleted) ──delete──▶ deleted
 *
 * Publication is a separate state (`published | unpublished`, or never published): `publish`
 * requires an approved lifecycle.
 */

export const LIFECYCLE_STATES = ['draft', 'submitted', 'approved', 'rejected', 'deleted'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export const LIFECYCLE_EVENTS = ['edit', 'submit', 'abort', 'approve', 'reject', 'delete'] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

export interface TransitionError {
  error: string;
}

const TABLE: Record<LifecycleState, Partial<Record<LifecycleEvent, LifecycleState>>> = {
  draft: { edit: 'draft', submit: 'submitted', delete: 'deleted' },
  submitted: { abort: 'draft', approve: 'approved', reject: 'rejected', delete: 'deleted' },
  approved: { edit: 'draft', delete: 'deleted' },
  rejected: { edit: 'draft', delete: 'deleted' },
  deleted: {},
};

export function isTransitionError(r: LifecycleState | TransitionError): r is TransitionError {
  return typeof r === 'object';
}

/** The state after `event`, or an error (HTTP 409) when the event is illegal in `state`. */
export function transition(state: LifecycleState, event: LifecycleEvent): LifecycleState | TransitionError {
  const next = TABLE[state][event];
  if (next === undefined) {
    return { error: `cannot ${event} a service in status ${state}` };
  }
  return next;
}

/** Every legal (state, event) pair: handy for tests and for the admin view. */
export function legalTransitions(): { from: LifecycleState; event: LifecycleEvent; to: LifecycleState }[] {
  return LIFECYCLE_STATES.flatMap((from) =>
    Object.entries(TABLE[from]).map(([event, to]) => ({ from, event: event as LifecycleEvent, to })),
  );
}

export type PublicationState = 'never' | 'published' | 'unpublished';
export type PublicationEvent = 'publish' | 'unpublish';

export interface PublicationError {
  error: string;
  /** 404 when there is nothing to unpublish, 409 when the lifecycle forbids publishing. */
  status: 404 | 409;
}

export function publicationTransition(
  publication: PublicationState,
  lifecycle: LifecycleState,
  event: PublicationEvent,
): PublicationState | PublicationError {
  if (event === 'publish') {
    if (lifecycle !== 'approved') {
      return { error: `cannot publish a service in status ${lifecycle}: it must be approved`, status: 409 };
    }
    return 'published';
  }
  if (publication === 'never') return { error: 'the service has never been published', status: 404 };
  return 'unpublished';
}

export function isPublicationError(r: PublicationState | PublicationError): r is PublicationError {
  return typeof r === 'object';
}
