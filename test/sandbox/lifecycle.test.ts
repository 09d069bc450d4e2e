import {
  isPublicationError,
  isTransitionError,
  legalTransitions,
  LIFECYCLE_EVENTS,
  LIFECYCLE_STATES,
  publicationTransition,
  transition,
  type LifecycleEvent,
  type LifecycleState,
} from '../../sandbox/lifecycle';

describe('lifecycle transition table', () => {
  const legal: [LifecycleState, LifecycleEvent, LifecycleState][] = [
    ['draft', 'edit', 'draft'],
    ['draft', 'submit', 'submitted'],
    ['draft', 'delete', 'deleted'],
    ['submitted', 'approve', 'approved'],
    ['submitted', 'reject', 'rejected'],
    ['submitted', 'abort', 'draft'],
    ['submitted', 'delete', 'deleted'],
    ['approved', 'edit', 'draft'],
    ['approved', 'delete', 'deleted'],
    ['rejected', 'edit', 'draft'],
    ['rejected', 'delete', 'deleted'],
  ];

  it.each(legal)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });

  it('lists exactly the legal transitions', () => {
    expect(legalTransitions().map((t) => [t.from, t.event, t.to])).toEqual(expect.arrayContaining(legal));
    expect(legalTransitions()).toHaveLength(legal.length);
  });

  const illegal: [LifecycleState, LifecycleEvent][] = [
    ['draft', 'approve'],
    ['draft', 'reject'],
    ['draft', 'abort'],
    ['submitted', 'submit'],
    ['submitted', 'edit'],
    ['approved', 'submit'],
    ['approved', 'approve'],
    ['approved', 'reject'],
    ['rejected', 'submit'],
    ['rejected', 'approve'],
    ['deleted', 'edit'],
    ['deleted', 'submit'],
    ['deleted', 'delete'],
  ];

  it.each(illegal)('%s --%s--> error', (from, event) => {
    const result = transition(from, event);
    expect(isTransitionError(result)).toBe(true);
    expect(result).toEqual({ error: expect.stringContaining(from) });
  });

  it('every (state, event) pair is either legal or an error, never undefined', () => {
    for (const s of LIFECYCLE_STATES) {
      for (const e of LIFECYCLE_EVENTS) {
        const r = transition(s, e);
        expect(isTransitionError(r) || LIFECYCLE_STATES.includes(r)).toBe(true);
      }
    }
  });

  it('nothing leaves deleted', () => {
    for (const e of LIFECYCLE_EVENTS) expect(isTransitionError(transition('deleted', e))).toBe(true);
  });
});

describe('publication transitions', () => {
  it('publishes only an approved service', () => {
    expect(publicationTransition('never', 'approved', 'publish')).toBe('published');
    expect(publicationTransition('unpublished', 'approved', 'publish')).toBe('published');
    for (const lifecycle of ['draft', 'submitted', 'rejected', 'deleted'] as const) {
      const r = publicationTransition('never', lifecycle, 'publish');
      expect(isPublicationError(r) && r.status).toBe(409);
    }
  });

  it('unpublishes a published service; never published is 404', () => {
    expect(publicationTransition('published', 'approved', 'unpublish')).toBe('unpublished');
    expect(publicationTransition('published', 'draft', 'unpublish')).toBe('unpublished');
    const r = publicationTransition('never', 'approved', 'unpublish');
    expect(isPublicationError(r) && r.status).toBe(404);
  });
});
