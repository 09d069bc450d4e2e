import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../common/logger';
import {
  lifecycleStatusValueSchema,
  servicePayloadSchema,
  serviceStatusSchema,
} from '../integrations/io/schemas';
import { institutionSchema } from '../integrations/selfcare/schemas';

const historyEntrySchema = z.object({
  kind: z.enum(['lifecycle', 'publication']),
  value: z.union([lifecycleStatusValueSchema, z.enum(['published', 'unpublished'])]),
  reason: z.string().optional(),
  version: z.number().int(),
  at: z.string(),
  name: z.string(),
  /**
   * The service's data from this entry on (set when it changed: create, edit, the copy written at approval);
   * absent = the data of the previous entry of the same kind. Entries saved before it existed have none.
   */
  data: servicePayloadSchema.optional(),
  /** `release`: the published copy written by PagoPA's publication queue after an approval. */
  event: z.enum(['release']).optional(),
});

export const storedServiceSchema = z.object({
  id: z.string(),
  /**
   * The institution (organisation fiscal code) whose manage key created the service: its subscription belongs
   * to that institution's account. Absent (services saved before manage keys per institution, or created with a
   * legacy partner key): the service's `organization.fiscal_code`.
   */
  owner: z.string().optional(),
  /** The Selfcare group of the group manage key that created it (PagoPA's `metadata.group_id`). */
  group_id: z.string().optional(),
  version: z.number().int(),
  created_at: z.string(),
  last_update: z.string(),
  status: serviceStatusSchema,
  data: servicePayloadSchema,
  keys: z.object({ primary_key: z.string(), secondary_key: z.string() }),
  logo: z.object({ sha256: z.string(), bytes: z.number().int(), updated_at: z.string() }).optional(),
  /** How many times the service was sent to review (rules like "reject once" read it). */
  submissions: z.number().int().default(0),
  /** Set while `submitted`: what the reviewer will do and when (`due_at` absent = waits for a person). */
  review: z
    .object({
      auto_publish: z.boolean(),
      submitted_at: z.string(),
      due_at: z.string().optional(),
      outcome: z.enum(['approve', 'reject']).optional(),
      reason: z.string().optional(),
    })
    .optional(),
  /** The published copy (PagoPA's service-publication): the last approved version, published or not. */
  publication: z
    .object({
      status: z.enum(['published', 'unpublished']),
      version: z.number().int(),
      last_update: z.string(),
      data: servicePayloadSchema,
    })
    .optional(),
  /** An approval whose copy the publication queue has not written yet (`publicationDelayMs`). */
  pendingRelease: z
    .object({
      due_at: z.string(),
      version: z.number().int(),
      auto_publish: z.boolean(),
      data: servicePayloadSchema,
    })
    .optional(),
  history: z.array(historyEntrySchema).default([]),
});
export type StoredService = z.infer<typeof storedServiceSchema>;
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

export const portalServiceRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  identifier: z.string().optional(),
  status: z.number().int().default(1),
  io_service_parameters: z
    .object({
      IOserviceId: z.string(),
      primaryKey: z.string(),
      secondaryKey: z.string(),
      updated_at: z.string(),
    })
    .optional(),
});
export type PortalServiceRecord = z.infer<typeof portalServiceRecordSchema>;

export const sentMessageSchema = z.object({
  id: z.string(),
  service_id: z.string(),
  fiscal_code: z.string(),
  subject: z.string(),
  created_at: z.string(),
});
export type SentMessage = z.infer<typeof sentMessageSchema>;

/**
 * A manage subscription (`MANAGE-…` on PagoPA's gateway): issued to an institution when it is onboarded on
 * `prod-io`, or to one of its Selfcare groups (`MANAGE-GROUP-…`). Fake keys, but never logged.
 */
export const manageSubscriptionSchema = z.object({
  id: z.string(),
  /** The institution's organisation fiscal code. */
  institution: z.string(),
  group_id: z.string().optional(),
  primary_key: z.string(),
  secondary_key: z.string(),
  /** Authorised source CIDRs; empty = any address (as PagoPA's `checkSourceIp`). */
  cidrs: z.array(z.string()).default([]),
  created_at: z.string(),
});
export type ManageSubscription = z.infer<typeof manageSubscriptionSchema>;

export const sandboxStateSchema = z.object({
  version: z.literal(1),
  services: z.record(z.string(), storedServiceSchema),
  /** Manage subscriptions by id. */
  manageSubscriptions: z.record(z.string(), manageSubscriptionSchema).default({}),
  institutions: z.record(z.string(), institutionSchema),
  portal: z.record(z.string(), z.record(z.string(), portalServiceRecordSchema)),
  messages: z.array(sentMessageSchema),
  counters: z.object({
    requests: z.record(z.string(), z.number().int()),
    injected5xx: z.number().int(),
    injected429: z.number().int(),
  }),
});
export type SandboxState = z.infer<typeof sandboxStateSchema>;

export const MAX_STORED_MESSAGES = 1000;

export function emptyState(): SandboxState {
  return {
    version: 1,
    services: {},
    manageSubscriptions: {},
    institutions: {},
    portal: {},
    messages: [],
    counters: { requests: {}, injected5xx: 0, injected429: 0 },
  };
}

export interface StateStoreOptions {
  /** JSON file to load at start and save to; absent = memory only. */
  dataFile?: string;
  /** Saves are coalesced over this window. Default 50 ms. */
  debounceMs?: number;
  logger?: Logger;
}

/**
 * The sandbox's whole state in memory, saved to `dataFile` after changes (debounced, atomic:
 * write a temp file then rename) and loaded at start, so a restart keeps everything.
 */
export class StateStore {
  state: SandboxState;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    private readonly options: StateStoreOptions,
    state: SandboxState,
  ) {
    this.state = state;
  }

  static inMemory(state: SandboxState = emptyState()): StateStore {
    return new StateStore({}, state);
  }

  static async open(options: StateStoreOptions): Promise<StateStore> {
    const file = options.dataFile;
    if (!file) return new StateStore(options, emptyState());
    let raw: string;
    try {
      raw = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new StateStore(options, emptyState());
      throw err;
    }
    const parsed = sandboxStateSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) {
      throw new Error(`sandbox data file ${file} is not valid: ${z.prettifyError(parsed.error)}`);
    }
    options.logger?.info(
      { dataFile: file, services: Object.keys(parsed.data.services).length },
      'sandbox state loaded',
    );
    return new StateStore(options, parsed.data);
  }

  /** Call after every change: schedules a save. */
  changed(): void {
    if (!this.options.dataFile) return;
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, this.options.debounceMs ?? 50);
  }

  reset(): void {
    this.state = emptyState();
    this.changed();
  }

  /** Writes pending changes now and waits for every write in flight. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.save();
  }

  private save(): Promise<void> {
    const file = this.options.dataFile;
    if (!file) return Promise.resolve();
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(tmp, JSON.stringify(this.state, null, 2), { mode: 0o600 });
        await fs.rename(tmp, file);
      } catch (err) {
        this.dirty = true;
        this.options.logger?.error({ err, dataFile: file }, 'sandbox state could not be saved');
      }
    });
    return this.writing;
  }
}
