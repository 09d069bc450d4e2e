/**
 * The service lifecycle of io-services-cms as a pure transition table: no IO, no clock.
 * (pagopa/io-services-cms, `packages/io-services-cms-models/src/service-lifecycle/index.ts`.)
 *
 *   draft ──submit──▶ submitted ──approve──▶ approved
 *     ▲  ◀───abort───┘   └──────reject────▶ rejected
 *     └──────────── edit ◀─── approved | rejected (and draft → draft)
 *   draft | rejected | approved ──delete──▶ deleted   (not submitted, not deleted again: 409)
 *
 * Publication is a separate state machine over the published copy (`service-publication/index.ts`):
 * the copy is written (`release`) by PagoPA's publication queue after an approval, published at once when
 * the review asked for `auto_publish`; `publish` and `unpublish` act on an existing copy only (404 without).
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
  submitted: { abort: 'draft', approve: 'approved', reject: 'rejected' },
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
/**
 * `release`: the copy of the approved version written by the publication queue (`unpublished`);
 * `release-and-publish`: the same when the review asked for `auto_publish` (`published`);
 * `publish` / `unpublish`: `POST` / `DELETE /release`.
 */
export type PublicationEvent = 'release' | 'release-and-publish' | 'publish' | 'unpublish';

export interface PublicationError {
  error: string;
  /** 404: there is no published copy yet (never approved, or the queue has not written it). */
  status: 404;
}

export function publicationTransition(
  publication: PublicationState,
  event: PublicationEvent,
): PublicationState | PublicationError {
  switch (event) {
    case 'release':
      return 'unpublished';
    case 'release-and-publish':
      return 'published';
    case 'publish':
    case 'unpublish':
      if (publication === 'never') return { error: 'the service has no published copy', status: 404 };
      return event === 'publish' ? 'published' : 'unpublished';
  }
}

export function isPublicationError(r: PublicationState | PublicationError): r is PublicationError {
  return typeof r === 'object';
}
