import type { ComuneInput } from '../../contracts/comune';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A realistic Comune of the province of Trento; `deadlineInDays` counts from `now`. */
export function comuneInput(
  options: { ipaCode?: string; now?: Date; deadlineInDays?: number } = {},
): ComuneInput {
  const now = options.now ?? new Date();
  return {
    comune: {
      ipaCode: options.ipaCode ?? 'c_l378',
      fiscalCode: '00355870221',
      istatCode: '022205',
      name: 'Comune di Trento',
      province: 'TN',
      pec: 'servizio.protocollo@pec.comune.trento.it',
      population: 117_417,
    },
    contacts: {
      secretary: { name: 'Anna Bianchi', email: 'segreteria@comune.trento.it' },
      mayor: { name: 'Franco Ianeselli', email: 'sindaco@comune.trento.it' },
    },
    contractDate: now.toISOString().slice(0, 10),
    deadline: new Date(now.getTime() + (options.deadlineInDays ?? 240) * DAY_MS).toISOString(),
  };
}
