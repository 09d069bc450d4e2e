import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { ServicePayload } from '../integrations/io/schemas';
import {
  isPublicationError,
  isTransitionError,
  publicationTransition,
  transition,
  type LifecycleEvent,
  type PublicationError,
  type PublicationEvent,
} from './lifecycle';
import type { StoredService } from './state-store';

const nextUlid = monotonicFactory();

/** PagoPA's topic list (`topic_id` → name). */
export const TOPICS: readonly string[] = [
  'Altro',
  'Ambiente e animali',
  'Attività produttive e commercio',
  'Benessere sociale',
  'Casa e utenze',
  'Cultura, tempo libero e sport',
  'Educazione e formazione',
  'Giustizia e legge',
  'Lavori edilizi, catasto e urbanistica',
  'Mobilità e trasporti',
  'Redditi, patrimoni e fisco',
  'Servizi anagrafici e civici',
  'Servizi elettorali',
  'Sicurezza e Protezione Civile',
  'Suolo, spazi e beni pubblici',
  'Viaggi e turismo',
  'Vita lavorativa',
  'Salute',
];

export const newKey = (): string => randomBytes(16).toString('hex');

/** Fills the defaults PagoPA applies to a payload. */
export function normalisePayload(p: ServicePayload): ServicePayload {
  return {
    ...p,
    require_secure_channel: p.require_secure_channel ?? false,
    authorized_recipients: p.authorized_recipients ?? [],
    authorized_cidrs: p.authorized_cidrs ?? [],
    max_allowed_payment_amount: p.max_allowed_payment_amount ?? 0,
  };
}

export function createStoredService(payload: ServicePayload, now: Date): StoredService {
  const at = now.toISOString();
  const data = normalisePayload(payload);
  return {
    id: nextUlid(now.getTime()),
    version: 1,
    created_at: at,
    last_update: at,
    status: { value: 'draft' },
    data,
    keys: { primary_key: newKey(), secondary_key: newKey() },
    submissions: 0,
    history: [{ kind: 'lifecycle', value: 'draft', version: 1, at, name: data.name }],
  };
}

function dataView(data: ServicePayload) {
  const { topic_id, ...metadata } = data.metadata;
  const topicName = topic_id === undefined ? undefined : TOPICS[topic_id];
  return {
    name: data.name,
    description: data.description,
    organization: data.organization,
    require_secure_channel: data.require_secure_channel,
    authorized_recipients: data.authorized_recipients,
    authorized_cidrs: data.authorized_cidrs,
    max_allowed_payment_amount: data.max_allowed_payment_amount,
    metadata: {
      ...metadata,
      ...(topic_id !== undefined && topicName !== undefined
        ? { topic: { id: topic_id, name: topicName } }
        : {}),
    },
  };
}

/** The ServiceLifecycle JSON PagoPA answers with. */
export function serviceView(s: StoredService) {
  return { id: s.id, status: s.status, version: s.version, last_update: s.last_update, ...dataView(s.data) };
}

/** The ServicePublication JSON, or undefined when never published. */
export function publicationView(s: StoredService) {
  if (!s.publication) return undefined;
  const p = s.publication;
  return { id: s.id, status: p.status, version: p.version, last_update: p.last_update, ...dataView(p.data) };
}

/**
 * Applies a lifecycle event to a stored service (status, version, history).
 * Returns an error message when the transition table forbids it (→ 409).
 */
export function applyLifecycle(
  s: StoredService,
  event: LifecycleEvent,
  now: Date,
  reason?: string,
): string | undefined {
  const next = transition(s.status.value, event);
  if (isTransitionError(next)) return next.error;
  const at = now.toISOString();
  s.status = reason ? { value: next, reason } : { value: next };
  if (event === 'edit') s.version += 1;
  if (next !== 'submitted') s.review = undefined;
  s.last_update = at;
  s.history.push({ kind: 'lifecycle', value: next, reason, version: s.version, at, name: s.data.name });
  return undefined;
}

export function applyPublication(
  s: StoredService,
  event: PublicationEvent,
  now: Date,
): PublicationError | undefined {
  const next = publicationTransition(s.publication?.status ?? 'never', s.status.value, event);
  if (isPublicationError(next)) return next;
  if (next === 'never') return undefined;
  const at = now.toISOString();
  if (event === 'publish') {
    s.publication = { status: 'published', version: s.version, last_update: at, data: s.data };
  } else if (s.publication) {
    s.publication = { ...s.publication, status: next, last_update: at };
  }
  if (!s.publication) return undefined;
  s.history.push({ kind: 'publication', value: next, version: s.publication.version, at, name: s.data.name });
  return undefined;
}

export const sameName = (a: string, b: string): boolean =>
  a.trim().replace(/\s+/g, ' ').toLowerCase() === b.trim().replace(/\s+/g, ' ').toLowerCase();
