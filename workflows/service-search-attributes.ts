import type { SearchAttributePair } from '@temporalio/common';
import { searchAttributes } from '../contracts/search-attributes';
import type { ServiceStatus } from '../contracts/service';

/** A service's status in visibility, since when (the task inbox's "since" before the read model; operators' filters). */
export function serviceStatusSearchAttributes(status: ServiceStatus, sinceMs: number): SearchAttributePair[] {
  return [
    { key: searchAttributes.serviceStatus, value: status },
    { key: searchAttributes.stageSince, value: new Date(sinceMs) },
  ];
}

/** Which Comune a service belongs to, in visibility. */
export function serviceComuneSearchAttributes(comune: {
  ipaCode: string;
  name: string;
}): SearchAttributePair[] {
  return [
    { key: searchAttributes.ipaCode, value: comune.ipaCode },
    { key: searchAttributes.comuneName, value: comune.name },
  ];
}

/** What the Comune starts a service with since 0.11.0 (`searchAttributesAtStart`): its Comune and «creating». */
export function serviceStartSearchAttributes(
  comune: { ipaCode: string; name: string },
  nowMs: number,
): SearchAttributePair[] {
  return [...serviceComuneSearchAttributes(comune), ...serviceStatusSearchAttributes('creating', nowMs)];
}
