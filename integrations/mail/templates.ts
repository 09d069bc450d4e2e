/**
 * The Italian templates. Each renderer is pure: it validates its input with the kind's zod schema and
 * returns `{ subject, text, html }`. Which kind uses which template is the registry's (registry.ts).
 */

export type { RenderedEmail } from './document';
export { escapeHtml, formatDateIt, formatDays, formatEuro } from './format';
export * from './schemas';
export * from './templates/completed';
export * from './templates/delegation';
export * from './templates/escalation';
export * from './templates/link-expired';
export * from './templates/reminder';
export * from './templates/staff';
export { SELFCARE_ONBOARDING_URL, DEFAULT_LINK_VALIDITY_DAYS } from './templates/scenario';

// The kinds, their data and the renderer dispatch derive from the registry.
export * from './registry';
