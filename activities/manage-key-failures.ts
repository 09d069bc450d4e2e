/**
 * The failure types of an IO activity whose manage key cannot be used: PagoPA refused it (401, or 403 from an
 * address not authorised on it or for a service it does not own), or the Comune has none recorded. Shared by the
 * activities that throw them and the service workflow that pauses on them (pure: safe in workflow code).
 */
export const MANAGE_KEY_REFUSED = 'ManageKeyRefused';
export const MANAGE_KEY_MISSING = 'ManageKeyMissing';
export const MANAGE_KEY_FAILURES = [MANAGE_KEY_REFUSED, MANAGE_KEY_MISSING] as const;
