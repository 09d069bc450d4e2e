import { z } from 'zod';

/** Selfcare's product id for App IO. */
export const IO_PRODUCT_ID = 'prod-io';

export const onboardingStatusSchema = z.enum([
  'ACTIVE',
  'PENDING',
  'TOBEVALIDATED',
  'SUSPENDED',
  'DELETED',
  'REJECTED',
]);
export type OnboardingStatus = z.infer<typeof onboardingStatusSchema>;

/**
 * OnboardedProductResponse. Every field is optional in Selfcare's spec: an entry without a product or a status
 * is read, and simply matches no product.
 */
export const onboardingSchema = z.object({
  productId: z.string().optional(),
  status: onboardingStatusSchema.optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type Onboarding = z.infer<typeof onboardingSchema>;

/**
 * An institution as Selfcare's external v2 API describes it (InstitutionResponse, described in
 * `integrations/pagopa-openapi/selfcare-external-v2.json`; fields we do not use are dropped). Only `id`, `origin`
 * and `originId` are required there; we need only `id`.
 */
export const institutionSchema = z.object({
  id: z.string().min(1),
  externalId: z.string().optional(),
  origin: z.string().optional(),
  originId: z.string().optional(),
  description: z.string().optional(),
  taxCode: z.string().optional(),
  subunitCode: z.string().optional(),
  subunitType: z.string().optional(),
  digitalAddress: z.string().optional(),
  institutionType: z.string().optional(),
  onboarding: z.array(onboardingSchema).default([]),
});
export type Institution = z.infer<typeof institutionSchema>;

export const institutionsResponseSchema = z.object({ institutions: z.array(institutionSchema) });
export type InstitutionsResponse = z.infer<typeof institutionsResponseSchema>;
