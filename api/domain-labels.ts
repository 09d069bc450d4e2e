import { stageLabels, stages } from '../contracts/comune';
import { serviceStatusLabels, serviceStatuses } from '../contracts/service';
import { journeyModelForConsole } from '../domain/journey-model';
import { dueKindLabels } from '../domain/journey-tasks';
import { cardFields, topicIds } from '../domain/service-card';
import { IPA_COLUMNS, OPTIONAL_COLUMNS, PARTNER_COLUMNS } from './import/csv';

/**
 * The domain's labels the console reads from `/domain-labels.js`, generated from the contracts so the console never
 * copies them. Each entry becomes one `export const`; api/console/domain-labels.d.ts declares the same names
 * (`npm run gen:console-types`).
 */
export const domainLabels = {
  stages,
  stageLabels,
  serviceStatuses,
  serviceStatusLabels,
  topicIds,
  /** The journey model's declarative part: stages, statuses and their classes, steps with roles and fields. */
  journeyModel: journeyModelForConsole(),
  dueKindLabels,
  cardFields,
  importRequiredColumns: [...IPA_COLUMNS, ...PARTNER_COLUMNS],
  importOptionalColumns: OPTIONAL_COLUMNS,
};

/** The ES module served as `/domain-labels.js`. */
export function domainLabelsModule(): string {
  return Object.entries(domainLabels)
    .map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`)
    .join('\n');
}
