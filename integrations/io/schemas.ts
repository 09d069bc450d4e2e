import { z } from 'zod';

/**
 * Schemas of PagoPA's IO "manage" API (io-services-cms, `/api/v1/manage`), described in
 * `integrations/pagopa-openapi/io-manage.json`.
 * Request schemas are strict about what PagoPA requires. Response schemas accept everything PagoPA's spec allows
 * (and extra fields): ids are any non-empty string (ULIDs for new services, older ids for services migrated from
 * the old developer portal), numbers are JSON numbers, not necessarily integers.
 */

export const ORGANIZATION_FISCAL_CODE = /^[0-9]{11}$/;
/** A personal fiscal code (IO's FiscalCode pattern, omocodia letters included). */
export const PERSONAL_FISCAL_CODE =
  /^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/;
/** An IPv4 address or CIDR (`1.2.3.4` or `1.2.3.0/24`). */
export const IPV4_CIDR =
  /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\/(3[0-2]|[12]?\d))?$/;

export const serviceScopeSchema = z.enum(['LOCAL', 'NATIONAL']);
export const lifecycleStatusValueSchema = z.enum(['draft', 'submitted', 'approved', 'rejected', 'deleted']);
export type LifecycleStatusValue = z.infer<typeof lifecycleStatusValueSchema>;
export const publicationStatusValueSchema = z.enum(['published', 'unpublished']);
export type PublicationStatusValue = z.infer<typeof publicationStatusValueSchema>;

const text = z.string().min(1);

export const organizationSchema = z.object({
  name: text,
  fiscal_code: z.string().regex(ORGANIZATION_FISCAL_CODE, 'must be 11 digits'),
  department_name: text.optional(),
});
export type Organization = z.infer<typeof organizationSchema>;

/** The metadata fields we send (ServiceBaseMetadata; `address` limited as the back office does). */
const payloadMetadataShape = {
  scope: serviceScopeSchema,
  privacy_url: text.optional(),
  web_url: text.optional(),
  tos_url: text.optional(),
  app_ios: text.optional(),
  app_android: text.optional(),
  address: text.max(100).optional(),
  phone: text.optional(),
  email: text.optional(),
  pec: text.optional(),
  support_url: text.optional(),
  cta: text.optional(),
  token_name: text.optional(),
};

export const servicePayloadMetadataSchema = z.object({
  ...payloadMetadataShape,
  topic_id: z.number().int().min(0).max(17).optional(),
});

export const servicePayloadSchema = z.object({
  name: text.max(100),
  description: text.max(1000),
  organization: organizationSchema,
  require_secure_channel: z.boolean().optional(),
  authorized_recipients: z.array(z.string().regex(PERSONAL_FISCAL_CODE, 'must be a fiscal code')).optional(),
  authorized_cidrs: z.array(z.string().regex(IPV4_CIDR, 'must be an IPv4 CIDR')).optional(),
  max_allowed_payment_amount: z.number().int().min(0).max(9_999_999_999).optional(),
  metadata: servicePayloadMetadataSchema,
});
/** The body of `POST /services` and `PUT /services/{id}`. */
export type ServicePayload = z.infer<typeof servicePayloadSchema>;

/**
 * What the client sends: PagoPA requires `metadata.topic_id` on create and update (ServicePayloadMetadata), so a
 * payload without it never leaves the client.
 */
export const sentServicePayloadSchema = servicePayloadSchema.extend({
  metadata: servicePayloadMetadataSchema.required({ topic_id: true }),
});

/** ServiceTopic: `id` is a JSON number in the spec. */
export const serviceTopicSchema = z.object({ id: z.number(), name: z.string() });

const answeredText = z.string().optional();

/** ServiceMetadata as answered: only `scope` is required; strings are read without the request's limits. */
export const serviceMetadataSchema = z.object({
  scope: serviceScopeSchema,
  privacy_url: answeredText,
  web_url: answeredText,
  tos_url: answeredText,
  app_ios: answeredText,
  app_android: answeredText,
  address: answeredText,
  phone: answeredText,
  email: answeredText,
  pec: answeredText,
  support_url: answeredText,
  cta: answeredText,
  token_name: answeredText,
  group_id: answeredText,
  // PagoPA answers with `topic {id, name}`; `topic_id` is accepted too.
  topic: serviceTopicSchema.optional(),
  topic_id: z.number().optional(),
});

export const serviceStatusSchema = z.object({
  value: lifecycleStatusValueSchema,
  reason: z.string().optional(),
});
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

/**
 * A service id as answered: any non-empty string. New services get ULIDs, but services migrated from the old
 * developer portal keep their older ids (e.g. `01234567890`): never check the ULID shape.
 */
export const serviceIdSchema = z.string().min(1);

/** The organization as answered (the 11-digit fiscal code is checked on what we send, not on what we read). */
export const answeredOrganizationSchema = z.object({
  name: z.string(),
  fiscal_code: z.string(),
  department_name: z.string().optional(),
});

const serviceDataShape = {
  name: z.string(),
  description: z.string(),
  organization: answeredOrganizationSchema,
  require_secure_channel: z.boolean().optional(),
  authorized_recipients: z.array(z.string()).optional(),
  authorized_cidrs: z.array(z.string()).optional(),
  max_allowed_payment_amount: z.number().optional(),
  metadata: serviceMetadataSchema,
  version: z.number().optional(),
  last_update: z.string(),
};

/** A service as `GET /services/{id}` answers (ServiceLifecycle). */
export const serviceSchema = z.object({
  id: serviceIdSchema,
  status: serviceStatusSchema,
  ...serviceDataShape,
});
export type Service = z.infer<typeof serviceSchema>;

/** `GET /services/{id}/release` (ServicePublication). */
export const servicePublicationSchema = z.object({
  id: serviceIdSchema,
  status: publicationStatusValueSchema,
  ...serviceDataShape,
});
export type ServicePublication = z.infer<typeof servicePublicationSchema>;

/**
 * `GET /services` (ServicePagination). `pagination.count` is the number of items in this page, not a total, and a
 * page can hold fewer than `limit` items while more follow: page until an empty page. Every field is optional in
 * the published spec; a missing `value` reads as an empty page.
 */
export const servicePageSchema = z.object({
  value: z.array(serviceSchema).default([]),
  pagination: z
    .object({
      offset: z.number().optional(),
      limit: z.number().optional(),
      count: z.number().optional(),
    })
    .optional(),
});
export type ServicePage = z.infer<typeof servicePageSchema>;

export const serviceKeysSchema = z.object({
  primary_key: z.string().min(1),
  secondary_key: z.string().min(1),
});
export type ServiceKeys = z.infer<typeof serviceKeysSchema>;
export const keyTypeSchema = z.enum(['primary', 'secondary']);
export type KeyType = z.infer<typeof keyTypeSchema>;

export const reviewRequestSchema = z.object({ auto_publish: z.boolean() });
export type ReviewRequest = z.infer<typeof reviewRequestSchema>;

export const logoPayloadSchema = z.object({ logo: z.string().min(1) });

export const historyStatusSchema = z.object({
  kind: z.enum(['lifecycle', 'publication']).optional(),
  value: z.enum([...lifecycleStatusValueSchema.options, ...publicationStatusValueSchema.options]),
  reason: z.string().optional(),
});
/** ServiceHistoryItem: the full service data at that point, read loosely (we use status, version and date). */
export const serviceHistoryItemSchema = z.object({
  id: z.string(),
  status: historyStatusSchema,
  version: z.number().optional(),
  last_update: z.string(),
  name: z.string().optional(),
});
export const serviceHistorySchema = z.object({
  items: z.array(serviceHistoryItemSchema).default([]),
  continuationToken: z.string().optional(),
});
export type ServiceHistory = z.infer<typeof serviceHistorySchema>;
export type ServiceHistoryItem = z.infer<typeof serviceHistoryItemSchema>;

/**
 * The payload that reproduces a fetched service, for get → change → put edits. Throws when the answer lacks what
 * a payload requires (e.g. a topic).
 */
export function serviceToPayload(service: Service): ServicePayload {
  const { topic, topic_id, ...metadata } = service.metadata;
  return servicePayloadSchema.parse({
    name: service.name,
    description: service.description,
    organization: service.organization,
    require_secure_channel: service.require_secure_channel,
    authorized_recipients: service.authorized_recipients,
    authorized_cidrs: service.authorized_cidrs,
    max_allowed_payment_amount: service.max_allowed_payment_amount,
    metadata: { ...metadata, topic_id: topic?.id ?? topic_id },
  });
}
