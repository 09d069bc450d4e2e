import type { TimelineEntry } from '../contracts/comune';
import { DAY_MS } from './deadlines';
import {
  isClosedStage,
  partyLabels,
  stageLabels,
  stageModel,
  stages,
  type Party,
  type Stage,
} from './journey-model';

/**
 * How long a journey spent in each stage and on whom it waited, from its own timeline («Fase: …» entries) and the
 * journey model's `waitsOn`. Read by the dossier of one Comune and, through the read model each journey keeps in
 * its memo, by the portfolio's breakdown of where journeys stall.
 */

export interface PartyTime {
  party: Party;
  partyLabel: string;
  ms: number;
  days: number;
}

export interface StageTime {
  stage: Stage;
  label: string;
  from: string;
  /** Absent while the stage is still open (its time runs to `generatedAt`). */
  to?: string;
  ms: number;
  days: number;
  waitsOn: Party;
  waitsOnLabel: string;
}

export const toDays = (ms: number) => Math.round((ms / DAY_MS) * 10) / 10;

export function partyTime(party: Party, ms: number): PartyTime {
  return { party, partyLabel: partyLabels[party], ms, days: toDays(ms) };
}

const STAGE_STEP = /^Fase: ([a-z_]+)$/;

function stageOfStep(step: string): Stage | undefined {
  const id = STAGE_STEP.exec(step)?.[1];
  return id && (stages as readonly string[]).includes(id) ? (id as Stage) : undefined;
}

/** A timeline step as a person reads it: «Fase: services» → «Fase: Servizi in lavorazione». */
export function stepLabel(step: string): string {
  const stage = stageOfStep(step);
  return stage ? `Fase: ${stageLabels[stage]}` : step;
}

/**
 * How long each stage lasted, from the Comune's timeline: the journey starts in the first stage, every «Fase: …»
 * entry opens the next one, a withdrawal closes it. Who each stage waited on is the journey model's.
 */
export function stageTimes(timeline: readonly TimelineEntry[], generatedAtMs: number): StageTime[] {
  const times: StageTime[] = [];
  const first = timeline[0];
  if (!first) return times;
  let open: { stage: Stage; from: string } | undefined = { stage: stages[0], from: first.at };
  const close = (to: string | undefined) => {
    if (!open) return;
    const end = to === undefined ? generatedAtMs : Date.parse(to);
    const ms = Math.max(0, end - Date.parse(open.from));
    const waitsOn = stageModel[open.stage].waitsOn;
    times.push({
      stage: open.stage,
      label: stageLabels[open.stage],
      from: open.from,
      ...(to === undefined ? {} : { to }),
      ms,
      days: toDays(ms),
      waitsOn,
      waitsOnLabel: partyLabels[waitsOn],
    });
    open = undefined;
  };
  for (const entry of timeline) {
    const stage = stageOfStep(entry.step) ?? (entry.step === 'Comune ritirato' ? 'withdrawn' : undefined);
    if (!stage) continue;
    close(entry.at);
    if (!isClosedStage(stage)) open = { stage, from: entry.at };
  }
  close(undefined);
  return times;
}

/** The parties a journey waits on, always shown and in this order: the Comune, the partner's staff, PagoPA. */
export const MAIN_PARTIES: readonly Party[] = ['comune', 'staff', 'pagopa'];

/** The time spent on each party, the Comune, staff and PagoPA first; others only when they took any. */
export function timeByParty(times: readonly Pick<StageTime, 'waitsOn' | 'ms'>[]): PartyTime[] {
  const totals = new Map<Party, number>();
  for (const t of times) totals.set(t.waitsOn, (totals.get(t.waitsOn) ?? 0) + t.ms);
  const others = [...totals.keys()].filter((p) => !MAIN_PARTIES.includes(p) && (totals.get(p) ?? 0) > 0);
  return [...MAIN_PARTIES, ...others].map((p) => partyTime(p, totals.get(p) ?? 0));
}

/**
 * The time a journey spent in each stage it has left, summed over the times it entered it (a delegation asked for
 * twice counts both): what the journey's read model keeps, so the portfolio can add it up without reading timelines.
 */
export function closedStageMs(timeline: readonly TimelineEntry[]): Partial<Record<Stage, number>> {
  const totals: Partial<Record<Stage, number>> = {};
  for (const t of stageTimes(timeline, 0)) {
    if (t.to === undefined) continue;
    totals[t.stage] = (totals[t.stage] ?? 0) + t.ms;
  }
  return totals;
}
