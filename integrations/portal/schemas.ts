import { z } from 'zod';

/**
 * The Comune's digital-services portal ("Stanza del Cittadino", OpenCity Italia), per tenant:
 *
 *   POST  /{tenant}/api/auth                 {username, password}            → 200 {token}
 *   GET   /{tenant}/api/services?identifier=…|slug=…                        → 200 PortalService[]
 *   GET   /{tenant}/api/services/{id}                                        → 200 PortalService
 *   PATCH /{tenant}/api/services/{id}        {io_service_parameters: {IOserviceId, primaryKey, secondaryKey}}
 *                                                                            → 200 PortalService
 *
 * Authenticated calls send `Authorization: Bearer <token>`; the token is JWT-shaped (its `exp` is read,
 * never verified). The portal may echo `io_service_parameters` with the keys: the client drops them.
 */

export const authRequestSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });
export type PortalCredentials = z.infer<typeof authRequestSchema>;

export const authResponseSchema = z.object({ token: z.string().min(1) });

export const ioServiceParametersSchema = z.object({
  IOserviceId: z.string().min(1),
  primaryKey: z.string().min(1),
  secondaryKey: z.string().min(1),
});
export type IoServiceParameters = z.infer<typeof ioServiceParametersSchema>;

export const patchServiceRequestSchema = z.object({ io_service_parameters: ioServiceParametersSchema });

/** The portal's service as received; `io_service_parameters` is read only to say whether it is set. */
export const portalServiceRawSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  slug: z.string(),
  identifier: z.string().nullable().optional(),
  status: z.union([z.number(), z.string()]).optional(),
  io_service_parameters: z
    .object({
      IOserviceId: z.string().nullable().optional(),
      primaryKey: z.string().nullable().optional(),
      secondaryKey: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
});
export type PortalServiceRaw = z.infer<typeof portalServiceRawSchema>;

/** What the client returns: never the keys. */
export interface PortalService {
  id: string;
  name: string;
  slug: string;
  identifier?: string;
  status?: number | string;
  io: { ioServiceId?: string; primaryKeySet: boolean; secondaryKeySet: boolean };
}

export function toPortalService(raw: PortalServiceRaw): PortalService {
  const io = raw.io_service_parameters ?? {};
  return {
    id: raw.id,
    name: raw.name,
    slug: raw.slug,
    identifier: raw.identifier ?? undefined,
    status: raw.status,
    io: {
      ioServiceId: io.IOserviceId ?? undefined,
      primaryKeySet: Boolean(io.primaryKey),
      secondaryKeySet: Boolean(io.secondaryKey),
    },
  };
}

/** Parses a portal service and maps it at once, so the keys never leave the HTTP layer. */
export const portalServiceSchema = portalServiceRawSchema.transform(toPortalService);
export const portalServiceListSchema = z
  .array(portalServiceRawSchema)
  .transform((l) => l.map(toPortalService));
