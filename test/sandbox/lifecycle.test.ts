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
    // PagoPA deletes only from draft, rejected or approved.
    ['submitted', 'delete'],
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

describe('publication transitions (the published copy)', () => {
  it('the queue writes the copy: unpublished, or published with auto_publish, whatever was there', () => {
    for (const from of ['never', 'published', 'unpublished'] as const) {
      expect(publicationTransition(from, 'release')).toBe('unpublished');
      expect(publicationTransition(from, 'release-and-publish')).toBe('published');
    }
  });

  it('publish and unpublish act on an existing copy; without one, 404', () => {
    expect(publicationTransition('unpublished', 'publish')).toBe('published');
    expect(publicationTransition('published', 'publish')).toBe('published');
    expect(publicationTransition('published', 'unpublish')).toBe('unpublished');
    expect(publicationTransition('unpublished', 'unpublish')).toBe('unpublished');
    for (const event of ['publish', 'unpublish'] as const) {
      const r = publicationTransition('never', event);
      expect(isPublicationError(r) && r.status).toBe(404);
    }
  });
});
