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

export const onboardingSchema = z.object({
  productId: z.string().min(1),
  status: onboardingStatusSchema,
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
});
export type Onboarding = z.infer<typeof onboardingSchema>;

/** An institution as Selfcare's external v2 API describes it (fields we do not use are dropped). */
export const institutionSchema = z.object({
  id: z.string().min(1),
  externalId: z.string().optional(),
  originId: z.string().optional(),
  description: z.string(),
  taxCode: z.string(),
  subunitCode: z.string().optional(),
  subunitType: z.string().optional(),
  digitalAddress: z.string().optional(),
  institutionType: z.string().optional(),
  onboarding: z.array(onboardingSchema).default([]),
});
export type Institution = z.infer<typeof institutionSchema>;

export const institutionsResponseSchema = z.object({ institutions: z.array(institutionSchema) });
export type InstitutionsResponse = z.infer<typeof institutionsResponseSchema>;
