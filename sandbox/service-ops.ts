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
} from './lifecycle';
import { GroupIndex } from './group-index';
import type { SandboxState, StoredService } from './state-store';

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

export interface ServiceOwnership {
  /** The institution whose manage key creates it; absent for a legacy partner key (then its organisation). */
  owner?: string;
  /** The Selfcare group of a group manage key. */
  group_id?: string;
}

export function createStoredService(
  payload: ServicePayload,
  now: Date,
  ownership: ServiceOwnership = {},
): StoredService {
  const at = now.toISOString();
  const data = normalisePayload(payload);
  return {
    id: nextUlid(now.getTime()),
    ...(ownership.owner ? { owner: ownership.owner } : {}),
    ...(ownership.group_id ? { group_id: ownership.group_id } : {}),
    version: 1,
    created_at: at,
    last_update: at,
    status: { value: 'draft' },
    data,
    keys: { primary_key: newKey(), secondary_key: newKey() },
    submissions: 0,
    history: [{ kind: 'lifecycle', value: 'draft', version: 1, at, name: data.name, data }],
  };
}

/** The institution a service belongs to (the account whose manage key created it). */
export const ownerOf = (s: StoredService): string => s.owner ?? s.data.organization.fiscal_code;

/** Services by institution (`sandbox/group-index.ts`). */
const byOwner = new GroupIndex<StoredService>(ownerOf);

/**
 * Adds a service to the sandbox's state: the one way services are added (the manage API's creation, the bench's
 * preseeding), so the index by institution stays whole.
 */
export function addService(state: SandboxState, s: StoredService): void {
  state.services[s.id] = s;
  byOwner.added(state.services, s);
}

/**
 * An institution's services, in the order they were added (deleted ones included, as PagoPA lists them). Each manage
 * list call read all the sandbox's services to find the caller's: thousands at national scale, at every page.
 */
export function servicesOf(state: SandboxState, owner: string): readonly StoredService[] {
  return byOwner.of(state.services, owner);
}

/**
 * A service created with a legacy partner key belongs to its organisation's fiscal code, which an update may change:
 * the index follows it.
 */
export function ownerChanged(state: SandboxState, s: StoredService, previousOwner: string): void {
  byOwner.moved(state.services, s, previousOwner);
}

function dataView(data: ServicePayload, groupId?: string) {
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
      ...(groupId ? { group_id: groupId } : {}),
    },
  };
}

/** The ServiceLifecycle JSON PagoPA answers with (`status.reason` only when rejected). */
export function serviceView(s: StoredService) {
  return {
    id: s.id,
    status: s.status,
    version: s.version,
    last_update: s.last_update,
    ...dataView(s.data, s.group_id),
  };
}

/** The ServicePublication JSON, or undefined when there is no published copy. */
export function publicationView(s: StoredService) {
  if (!s.publication) return undefined;
  const p = s.publication;
  return {
    id: s.id,
    status: p.status,
    version: p.version,
    last_update: p.last_update,
    ...dataView(p.data, s.group_id),
  };
}

/**
 * Applies a lifecycle event to a stored service (status, version, data on edit, history).
 * `status.reason` is kept only with a rejection. Returns an error message when the transition table
 * forbids it (→ 409).
 */
export function applyLifecycle(
  s: StoredService,
  event: LifecycleEvent,
  now: Date,
  reason?: string,
  data?: ServicePayload,
): string | undefined {
  const next = transition(s.status.value, event);
  if (isTransitionError(next)) return next.error;
  const at = now.toISOString();
  s.status = next === 'rejected' && reason !== undefined ? { value: next, reason } : { value: next };
  if (event === 'edit') s.version += 1;
  if (data) s.data = normalisePayload(data);
  if (next !== 'submitted') s.review = undefined;
  s.last_update = at;
  s.history.push({
    kind: 'lifecycle',
    value: next,
    ...(s.status.reason !== undefined ? { reason: s.status.reason } : {}),
    version: s.version,
    at,
    name: s.data.name,
    ...(data ? { data: s.data } : {}),
  });
  if (next === 'deleted') {
    // PagoPA's deletion queue removes the published copy (`src/deletor/request-deletion-handler.ts`).
    s.publication = undefined;
    s.pendingRelease = undefined;
  }
  return undefined;
}

/** `POST` / `DELETE /release` on the published copy: 404 when there is none. */
export function applyPublication(
  s: StoredService,
  event: 'publish' | 'unpublish',
  now: Date,
): PublicationError | undefined {
  const next = publicationTransition(s.publication?.status ?? 'never', event);
  if (isPublicationError(next)) return next;
  if (!s.publication || next === 'never') return undefined;
  const at = now.toISOString();
  s.publication = { ...s.publication, status: next, last_update: at };
  s.history.push({
    kind: 'publication',
    value: next,
    version: s.publication.version,
    at,
    name: s.publication.data.name,
  });
  return undefined;
}

/**
 * The publication queue writing the copy of an approved version (`src/publicator/
 * request-publication-handler.ts` → `release`): published when the review asked for `auto_publish`,
 * otherwise unpublished, even over a copy that was published.
 */
export function releaseCopy(
  s: StoredService,
  release: { version: number; data: ServicePayload; auto_publish: boolean },
  now: Date,
): void {
  const next = publicationTransition(
    s.publication?.status ?? 'never',
    release.auto_publish ? 'release-and-publish' : 'release',
  );
  if (isPublicationError(next) || next === 'never') return;
  const at = now.toISOString();
  s.publication = { status: next, version: release.version, last_update: at, data: release.data };
  s.pendingRelease = undefined;
  s.history.push({
    kind: 'publication',
    value: next,
    version: release.version,
    at,
    name: release.data.name,
    data: release.data,
    event: 'release',
  });
}

/**
 * `GET /services/{id}/history` items: each the full service data of that moment plus its status
 * (`{kind, value, reason?}`) and `last_update`, as PagoPA's `service-history-converters.ts` answers.
 * `includeReleases: false` hides the copies written by the publication queue (legacy partner key view).
 */
export function historyItems(s: StoredService, opts: { includeReleases: boolean }) {
  let lifecycleData: ServicePayload | undefined;
  let publicationData: ServicePayload | undefined;
  const items = [];
  for (const h of s.history) {
    const previous = h.kind === 'lifecycle' ? lifecycleData : publicationData;
    const data = h.data ?? previous ?? { ...s.data, name: h.name };
    if (h.kind === 'lifecycle') lifecycleData = data;
    else publicationData = data;
    if (h.event === 'release' && !opts.includeReleases) continue;
    items.push({
      id: s.id,
      ...dataView(data, s.group_id),
      status: { kind: h.kind, value: h.value, ...(h.reason !== undefined ? { reason: h.reason } : {}) },
      version: h.version,
      last_update: h.at,
    });
  }
  return items;
}

export const sameName = (a: string, b: string): boolean =>
  a.trim().replace(/\s+/g, ' ').toLowerCase() === b.trim().replace(/\s+/g, ' ').toLowerCase();
