/** Business ids: an id says what it is, and starting the same Comune twice hits the same workflow. */
const IPA_CODE = /^[a-z0-9_]{2,20}$/;

export function normaliseIpaCode(ipaCode: string): string {
  const normalised = ipaCode.trim().toLowerCase();
  if (!IPA_CODE.test(normalised)) throw new RangeError(`invalid IPA code: ${ipaCode}`);
  return normalised;
}

export function comuneWorkflowId(ipaCode: string): string {
  return `comune:${normaliseIpaCode(ipaCode)}`;
}

export function serviceWorkflowId(ipaCode: string, serviceSlug: string): string {
  return `service:${normaliseIpaCode(ipaCode)}:${serviceSlug}`;
}

/** A task queue name as the project accepts it in configuration and in journey settings. */
export const TASK_QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/** A stable slug for a service name, unique within a Comune (the catalogue guarantees distinct names). */
export function serviceSlug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 60)
    .replace(/^-+|-+$/g, '');
}
