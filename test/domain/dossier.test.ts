import type { ComuneState } from '../../contracts/comune';
import { journeyFactsOf } from '../../contracts/comune';
import { initialServiceState, type ServiceState } from '../../contracts/service';
import {
  applyServiceStatus,
  complete,
  enterStage,
  initialComuneState,
  recordAdhesion,
  recordDelegationDone,
  recordManageKey,
  recordSignedForm,
  withdraw,
} from '../../domain/comune-state';
import { DAY_MS } from '../../domain/deadlines';
import {
  DOSSIER_TITLE,
  PUBLISHED_STEP,
  buildDossier,
  daysAfter,
  stageTimes,
  timeByParty,
} from '../../domain/dossier';
import { refreshDerived } from '../../domain/journey';
import { comuneInput } from '../support/fixtures';

const T0 = Date.parse('2026-01-05T09:00:00.000Z');
const at = (days: number, hours = 0) => new Date(T0 + days * DAY_MS + hours * 3_600_000).toISOString();

/** Trento (band d, €1.099 per service) with 5 services, its deadline 100 days after the start. */
function journey(deadlineDays = 100) {
  const input = comuneInput({ now: new Date(T0), deadlineInDays: deadlineDays });
  const state = initialComuneState(input, at(0));
  return { input, state };
}

/** Walks the Comune to the services stage through the same pure changes the workflow makes. */
function toServices(state: ComuneState): void {
  recordAdhesion(state, { actor: 'staff:Laura Conti', adherent: true }, at(1));
  enterStage(state, 'delegation_requested', at(1), 'sistema', 'scenario B');
  recordDelegationDone(state, { actor: 'staff:Laura Conti' }, at(11));
  enterStage(state, 'awaiting_signed_form', at(11), 'sistema');
  recordSignedForm(
    state,
    {
      actor: 'staff:Laura Conti',
      document: {
        sha256: 'c'.repeat(64),
        signerName: 'Franco Ianeselli',
        signerFiscalCode: 'NSLFNC70A01L378X',
        signingTime: at(20),
      },
    },
    at(21),
  );
  enterStage(state, 'io_access', at(21), 'sistema');
  recordManageKey(
    state,
    {
      actor: 'staff:Laura Conti',
      ref: 'mk_c_l378_0123456789ab',
      fingerprint: '0123456789ab',
      hasSecondary: false,
    },
    at(23),
  );
  enterStage(state, 'services', at(23), 'sistema');
}

/** A service approved at `approvedDay`, after `rejections` rejections recorded by hand. */
function service(
  state: ComuneState,
  slug: string,
  approvedDay: number,
  rejections: { day: number; reason: string; resubmitDay: number }[] = [],
): ServiceState {
  const input = comuneInput();
  const card = input.services.find((s) => s.slug === slug)!.card;
  const own = initialServiceState(slug, card);
  own.ioServiceId = `01IO${slug.toUpperCase().replace(/-/g, '')}`;
  own.timeline.push({ at: at(24), step: 'Servizio creato su IO', actor: 'sistema', detail: own.ioServiceId });
  let submitted = at(24);
  for (const r of rejections) {
    own.rounds.push({
      round: own.rounds.length + 1,
      submittedAt: submitted,
      decidedAt: at(r.day),
      outcome: 'rejected',
      reason: r.reason,
      decidedBy: 'staff:Marco Neri',
    });
    own.timeline.push({
      at: at(r.day),
      step: 'Rifiutato da PagoPA',
      actor: 'staff:Marco Neri',
      detail: r.reason,
    });
    applyServiceStatus(
      state,
      { slug, status: 'rejected', rejection: { at: at(r.day), reason: r.reason } },
      at(r.day),
    );
    own.timeline.push({ at: at(r.resubmitDay), step: 'Scheda corretta', actor: 'staff:Marco Neri' });
    submitted = at(r.resubmitDay);
  }
  own.rounds.push({
    round: own.rounds.length + 1,
    submittedAt: submitted,
    decidedAt: at(approvedDay),
    outcome: 'approved',
    decidedBy: 'PagoPA',
  });
  own.timeline.push({ at: at(approvedDay, 1), step: PUBLISHED_STEP, actor: 'PagoPA' });
  own.status = 'active';
  applyServiceStatus(state, { slug, status: 'active', ioServiceId: own.ioServiceId }, at(approvedDay, 1));
  return own;
}

function completedJourney(deadlineDays = 100) {
  const { input, state } = journey(deadlineDays);
  toServices(state);
  const services = input.services.map((s, i) =>
    s.slug === 'tari'
      ? service(state, s.slug, 40, [
          { day: 30, reason: 'La descrizione non indica come pagare', resubmitDay: 33 },
        ])
      : service(state, s.slug, 28 + i),
  );
  refreshDerived(state, T0 + 41 * DAY_MS);
  complete(state, at(41));
  refreshDerived(state, T0 + 41 * DAY_MS);
  return { input, state, services };
}

describe('buildDossier', () => {
  it('gathers the facts of a completed Comune from its records', () => {
    const { input, state, services } = completedJourney();
    const dossier = buildDossier({
      state,
      facts: journeyFactsOf(input),
      services,
      generatedAt: at(50),
    });
    expect(dossier).toMatchObject({
      title: DOSSIER_TITLE,
      generatedAt: at(50),
      complete: true,
      statusLabel: 'concluso',
      comune: {
        name: 'Comune di Trento',
        ipaCode: 'c_l378',
        fiscalCode: '00355870221',
        istatCode: '022205',
        population: 117_417,
        band: { id: 'd', label: '100.001 - 250.000 abitanti', eurPerService: 1_099 },
      },
      contract: {
        contractDate: '2026-01-05',
        deadline: at(100),
        completedAt: at(41),
        pastDeadline: false,
        timeliness: 'entro i termini',
      },
      lateServices: [],
      funding: {
        fundedServices: 5,
        maxFundedServices: 50,
        eurPerService: 1_099,
        amountEur: 5 * 1_099,
        journeySecuredEur: 5 * 1_099,
        agreesWithJourney: true,
      },
      signedForm: {
        signerName: 'Franco Ianeselli',
        signerFiscalCode: 'NSLFNC70A01L378X',
        signingTime: at(20),
        sha256: 'c'.repeat(64),
        recordedAt: at(21),
        recordedBy: 'staff:Laura Conti',
      },
      missing: [],
    });
    expect(dossier.contract.daysLate).toBeUndefined();
    expect(dossier.funding.amountEur).toBe(state.funding.securedEur);

    const tari = dossier.services.find((s) => s.slug === 'tari')!;
    expect(tari).toMatchObject({
      name: 'Tassa sui rifiuti (TARI)',
      status: 'active',
      statusLabel: 'Servizio attivo',
      started: true,
      ioServiceId: '01IOTARI',
      topicId: services[0]!.card.topic_id,
      firstSubmittedAt: at(24),
      rejections: [
        { round: 1, at: at(30), reason: 'La descrizione non indica come pagare', by: 'staff:Marco Neri' },
      ],
      approvedAt: at(40),
      approvedBy: 'PagoPA',
      publishedAt: at(40, 1),
      // In review days 24→30 and 33→40; the corrected card took days 30→33.
      reviewWait: { party: 'pagopa', partyLabel: 'PagoPA', days: 13 },
      correctionWait: { party: 'staff', partyLabel: 'Personale del partner', days: 3 },
    });
    // The topic is the label staff chose, not its number.
    expect(tari.topic).toBe('Redditi, patrimoni e fisco');
    expect(dossier.services.every((s) => s.ioServiceId && s.approvedAt && s.publishedAt)).toBe(true);
  });

  it('lists who recorded each manual step, and leaves out the journey’s and PagoPA’s own', () => {
    const { input, state, services } = completedJourney();
    const dossier = buildDossier({ state, facts: journeyFactsOf(input), services, generatedAt: at(50) });
    expect(dossier.manualSteps.map((s) => [s.at, s.step, s.actor, s.service])).toEqual([
      [at(1), 'Adesione registrata: scenario B', 'staff:Laura Conti', undefined],
      [at(11), 'Delega completata su Selfcare', 'staff:Laura Conti', undefined],
      [at(21), 'Modulo firmato registrato', 'staff:Laura Conti', undefined],
      [at(23), 'Chiave di gestione registrata', 'staff:Laura Conti', undefined],
      [at(30), 'Rifiutato da PagoPA', 'staff:Marco Neri', 'Tassa sui rifiuti (TARI)'],
      [at(33), 'Scheda corretta', 'staff:Marco Neri', 'Tassa sui rifiuti (TARI)'],
    ]);
    expect(dossier.manualSteps.some((s) => s.actor === 'sistema' || s.actor === 'PagoPA')).toBe(false);
  });

  it('says whose step the time was spent waiting on, stage by stage, from the journey model', () => {
    const { input, state, services } = completedJourney();
    const dossier = buildDossier({ state, facts: journeyFactsOf(input), services, generatedAt: at(50) });
    expect(dossier.waiting.stages.map((s) => [s.stage, s.label, s.days, s.waitsOn, s.waitsOnLabel])).toEqual([
      ['adhesion_check', 'Verifica adesione', 1, 'staff', 'Personale del partner'],
      ['delegation_requested', 'Delega richiesta', 10, 'comune', 'Comune'],
      ['awaiting_signed_form', 'In attesa del modulo firmato', 10, 'comune', 'Comune'],
      ['io_access', 'Accesso a IO', 2, 'staff', 'Personale del partner'],
      ['services', 'Servizi in lavorazione', 18, 'pagopa', 'PagoPA'],
    ]);
    expect(dossier.waiting.stages.every((s) => s.to)).toBe(true);
    expect(dossier.waiting.byParty.map((p) => [p.party, p.days])).toEqual([
      ['comune', 20],
      ['staff', 3],
      ['pagopa', 18],
    ]);
  });

  it('counts the days late of a Comune completed after its deadline, and the services approved late', () => {
    const { input, state, services } = completedJourney(35);
    const dossier = buildDossier({ state, facts: journeyFactsOf(input), services, generatedAt: at(50) });
    expect(dossier.contract).toMatchObject({
      pastDeadline: true,
      daysLate: 6,
      timeliness: 'in ritardo di 6 giorni',
    });
    // Approved on days 29 (tari rejected first: 40), 30, 31, 32: only tari came after day 35.
    expect(dossier.lateServices).toEqual([
      { slug: 'tari', name: 'Tassa sui rifiuti (TARI)', approvedAt: at(40), daysLate: 5 },
    ]);
  });

  it('marks a Comune not complete «non concluso» with what is missing, its open stage running to now', () => {
    const { input, state } = journey();
    toServices(state);
    refreshDerived(state, T0 + 24 * DAY_MS);
    const dossier = buildDossier({ state, facts: journeyFactsOf(input), services: [], generatedAt: at(25) });
    expect(dossier).toMatchObject({
      complete: false,
      statusLabel: 'non concluso',
      contract: { timeliness: 'non concluso', pastDeadline: false },
      funding: { fundedServices: 0, amountEur: 0, agreesWithJourney: true },
    });
    expect(dossier.contract.completedAt).toBeUndefined();
    expect(dossier.missing).toEqual(state.missing);
    expect(dossier.missing).toContain('Modulo di tracciamento compilato dal Comune');
    expect(dossier.missing.some((m) => m.startsWith('Servizio «Tassa sui rifiuti (TARI)»'))).toBe(true);
    // Services not started: from the Comune's summary, nothing invented.
    expect(dossier.services[0]).toMatchObject({ started: false, status: 'pending', rejections: [] });
    expect(dossier.services[0]!.approvedAt).toBeUndefined();
    expect(dossier.waiting.stages.at(-1)).toMatchObject({ stage: 'services', days: 2 });
    expect(dossier.waiting.stages.at(-1)!.to).toBeUndefined();
  });

  it('names the withdrawal among what is missing and stops counting time at it', () => {
    const { input, state } = journey();
    toServices(state);
    withdraw(state, { actor: 'manager:Paolo Neri', reason: 'il Comune rinuncia al progetto' }, at(30));
    refreshDerived(state, T0 + 30 * DAY_MS);
    const dossier = buildDossier({ state, facts: journeyFactsOf(input), services: [], generatedAt: at(60) });
    expect(dossier.statusLabel).toBe('non concluso');
    expect(dossier.missing[0]).toBe('Percorso ritirato da un responsabile: il Comune rinuncia al progetto');
    expect(dossier.waiting.stages.at(-1)).toMatchObject({ stage: 'services', to: at(30), days: 7 });
  });

  it('caps the funded services at 50 and says when the Comune’s own figure disagrees', () => {
    const { input, state } = journey();
    state.services = Array.from({ length: 52 }, (_, i) => ({
      slug: `s-${i}`,
      name: `Servizio ${i}`,
      status: 'active' as const,
      rejections: [],
      updatedAt: at(1),
    }));
    refreshDerived(state, T0);
    const dossier = buildDossier({ state, facts: journeyFactsOf(input), services: [], generatedAt: at(2) });
    expect(dossier.funding).toMatchObject({
      fundedServices: 50,
      amountEur: 50 * 1_099,
      agreesWithJourney: true,
    });
    state.funding.securedEur = 1;
    expect(buildDossier({ state, services: [], generatedAt: at(2) }).funding.agreesWithJourney).toBe(false);
  });
});

describe('stage times and days late', () => {
  it('counts part of a day after the deadline as a day late, and nothing on or before it', () => {
    expect(daysAfter(T0, T0)).toBe(0);
    expect(daysAfter(T0 - 1, T0)).toBe(0);
    expect(daysAfter(T0 + 1, T0)).toBe(1);
    expect(daysAfter(T0 + 2 * DAY_MS, T0)).toBe(2);
  });

  it('reads no stage from an empty timeline, and totals the three parties even when one took nothing', () => {
    expect(stageTimes([], T0)).toEqual([]);
    expect(timeByParty([]).map((p) => [p.party, p.ms])).toEqual([
      ['comune', 0],
      ['staff', 0],
      ['pagopa', 0],
    ]);
  });
});
