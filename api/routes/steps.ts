import type { Request } from 'express';
import multer from 'multer';
import {
  getComuneStateQuery,
  getPlannedServiceQuery,
  moveDeadlineUpdate,
  onboardingOutcomes,
  recordAdhesionUpdate,
  recordDelegationDoneUpdate,
  recordManageKeyUpdate,
  recordOnboardingUpdate,
  recordSignedFormUpdate,
  recordTrackingFormUpdate,
  remindNowUpdate,
  stopWatchUpdate,
  undoStepUpdate,
  withdrawUpdate,
  type ComuneState,
} from '../../contracts/comune';
import { comuneWorkflowId, serviceWorkflowId } from '../../contracts/ids';
import {
  checkReviewNowUpdate,
  correctCardUpdate,
  recordReviewOutcomeUpdate,
  undoReviewOutcomeUpdate,
  type ServiceState,
} from '../../contracts/service';
import { serviceCardSchema } from '../../domain/service-card';
import { verifySignedForm } from '../../integrations/documents/signed-form-verifier';
import { isSignedFormRejected } from '../../integrations/documents/signed-form-errors';
import { actorLabel } from '../auth/roles';
import type { ApiContext } from '../context';
import type { ApiBuilder } from '../endpoint';
import { HttpProblem } from '../problem';
import { temporalCall } from '../temporal-errors';
import { z } from '../zod';
import { ipaParam, serviceParams } from './params';
import { endOfDayInRome } from '../import/italian-dates';
import { comuneStepRefusal, comuneSteps, undoableStepIds } from '../../domain/journey-model';
import { comuneAfterStep, comuneView, serviceAfterStep } from '../journey-view';

export const MAX_SIGNED_FORM_BYTES = 10 * 1024 * 1024;

const note = z.string().trim().max(500).optional();

/** A manage key as pasted from the IO back office: surrounding blanks trimmed, nothing else accepted but visible ASCII. */
const manageKeyText = (label: string) =>
  z
    .string({ error: `${label}: obbligatoria` })
    .trim()
    .min(1, `${label}: obbligatoria`)
    .max(256, `${label}: al massimo 256 caratteri`)
    .regex(
      /^[\x21-\x7e]+$/,
      `${label}: solo lettere, cifre e simboli, senza spazi né caratteri di controllo`,
    );
const stateResponse = z
  .object({ stage: z.string(), timeline: z.array(z.unknown()) })
  .loose()
  .openapi('StepResult');

/** `Idempotency-Key` becomes the Update's id: Temporal applies an update id once, so a retried request is harmless. */
function updateId(req: Request, step: string): string | undefined {
  const key = req.header('idempotency-key');
  if (key === undefined) return undefined;
  if (!/^[A-Za-z0-9_.:-]{8,100}$/.test(key)) {
    throw new HttpProblem(
      400,
      'Richiesta non valida',
      'Idempotency-Key: da 8 a 100 caratteri tra lettere, cifre e _.:-',
      [{ field: 'headers.idempotency-key', message: 'formato non valido' }],
    );
  }
  return `${step}:${key}`;
}

const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: MAX_SIGNED_FORM_BYTES, files: 1 },
});

export function registerStepRoutes(api: ApiBuilder, ctx: ApiContext): void {
  const comune = (ipa: string) => ctx.client.workflow.getHandle(comuneWorkflowId(ipa));

  /** A staff or manager step: one Update, refused by the workflow (409) when out of order. */
  function step<B extends z.ZodObject>(spec: {
    path: string;
    summary: string;
    role: 'staff' | 'manager';
    body: B;
    run: (ipa: string, body: z.infer<B>, actor: string, id: string | undefined) => Promise<ComuneState>;
  }): void {
    api.add({
      method: 'post',
      path: `/comuni/:ipa/${spec.path}`,
      summary: spec.summary,
      description: 'Header facoltativo `Idempotency-Key`: la stessa chiave non applica il passo due volte.',
      tags: ['Passi del percorso'],
      role: spec.role,
      params: ipaParam,
      body: spec.body,
      response: stateResponse,
      errors: { 404: 'Comune non trovato', 409: 'Passo rifiutato dal percorso (fuori ordine o già fatto)' },
      handler: async ({ params, body, actor, req, res }) => {
        res.locals.workflowId = comuneWorkflowId(params.ipa);
        const state = await comuneAfterStep(
          ctx,
          await temporalCall(() =>
            spec.run(params.ipa, body, actorLabel(actor), updateId(req, `${spec.path}:${params.ipa}`)),
          ),
        );
        return comuneView(state, actor.role) as unknown as z.infer<typeof stateResponse>;
      },
    });
  }

  step({
    path: 'adhesion',
    summary: 'Registra l’esito della verifica di adesione su Selfcare (scenario A o B)',
    role: 'staff',
    body: z.object({ adherent: z.boolean(), note }),
    run: (ipa, b, actor, id) =>
      comune(ipa).executeUpdate(recordAdhesionUpdate, {
        args: [{ actor, adherent: b.adherent, note: b.note }],
        updateId: id,
      }),
  });
  step({
    path: 'delegation',
    summary: 'Registra che il Comune ha completato la delega su Selfcare',
    role: 'staff',
    body: z.object({ note }),
    run: (ipa, b, actor, id) =>
      comune(ipa).executeUpdate(recordDelegationDoneUpdate, {
        args: [{ actor, note: b.note }],
        updateId: id,
      }),
  });
  step({
    path: 'onboarding',
    summary: 'Registra l’esito dell’adesione ad App IO su Selfcare (attiva, rifiutata o scaduta)',
    role: 'staff',
    body: z.object({ outcome: z.enum(onboardingOutcomes), note }),
    run: (ipa, b, actor, id) =>
      comune(ipa).executeUpdate(recordOnboardingUpdate, {
        args: [{ actor, outcome: b.outcome, note: b.note }],
        updateId: id,
      }),
  });
  step({
    path: 'tracking-form',
    summary: 'Registra il modulo di tracciamento compilato dal Comune',
    role: 'staff',
    body: z.object({ note }),
    run: (ipa, b, actor, id) =>
      comune(ipa).executeUpdate(recordTrackingFormUpdate, { args: [{ actor, note: b.note }], updateId: id }),
  });
  step({
    path: 'deadline',
    summary: 'Sposta la scadenza contrattuale (i promemoria seguono la nuova data)',
    role: 'manager',
    body: z.object({
      deadline: z.union([z.iso.date(), z.iso.datetime({ offset: true })]),
      reason: z.string().trim().min(3).max(500),
    }),
    run: (ipa, b, actor, id) =>
      comune(ipa).executeUpdate(moveDeadlineUpdate, {
        args: [
          {
            actor,
            deadline: b.deadline.length === 10 ? endOfDayInRome(b.deadline) : b.deadline,
            reason: b.reason,
          },
        ],
        updateId: id,
      }),
  });
  step({
    path: 'withdraw',
    summary: 'Ritira il Comune dal percorso (i servizi in corso vengono annullati)',
    role: 'manager',
    body: z.object({ reason: z.string().trim().min(3).max(500) }),
    run: (ipa, b, actor, id) =>
      comune(ipa).executeUpdate(withdrawUpdate, { args: [{ actor, reason: b.reason }], updateId: id }),
  });
  step({
    path: 'undo',
    summary: 'Annulla un passo registrato per errore, finché nulla vi è stato costruito sopra',
    role: 'manager',
    body: z.object({ step: z.enum(undoableStepIds), reason: z.string().trim().min(3).max(500) }),
    run: (ipa, b, actor, id) =>
      comune(ipa).executeUpdate(undoStepUpdate, {
        args: [{ actor, step: b.step, reason: b.reason }],
        updateId: id,
      }),
  });
  step({
    path: 'watch/stop',
    summary: 'Interrompe il controllo dei servizi pubblicati di un Comune completato: il percorso si chiude',
    role: 'manager',
    body: z.object({ reason: z.string().trim().min(3).max(500) }),
    run: (ipa, b, actor, id) =>
      comune(ipa).executeUpdate(stopWatchUpdate, { args: [{ actor, reason: b.reason }], updateId: id }),
  });
  step({
    path: 'reminders',
    summary: 'Invia subito un sollecito al Comune',
    role: 'manager',
    body: z.object({}),
    run: (ipa, _b, actor, id) =>
      comune(ipa).executeUpdate(remindNowUpdate, { args: [{ actor }], updateId: id }),
  });

  api.add({
    method: 'post',
    path: '/comuni/:ipa/signed-form',
    summary: 'Carica il modulo firmato dal Sindaco (CAdES .p7m): verificato, archiviato e registrato',
    description:
      'Il file deve essere una busta CMS SignedData (DER o base64) che contiene il PDF, con firma valida e ' +
      'certificato valido alla data di firma. Se il codice fiscale del Sindaco è noto, deve coincidere con il firmatario.',
    tags: ['Passi del percorso'],
    role: 'staff',
    params: ipaParam,
    multipart: { fields: z.object({ note }), fileField: 'file', fileDescription: 'Il file .p7m firmato' },
    middleware: [upload.single('file')],
    response: stateResponse,
    errors: {
      404: 'Comune non trovato',
      409: 'Non è il momento del modulo firmato',
      413: 'File troppo grande',
      422: 'Firma non valida',
    },
    handler: async ({ params, actor, req, res }) => {
      const workflowId = comuneWorkflowId(params.ipa);
      res.locals.workflowId = workflowId;
      const file = req.file;
      if (!file || file.size === 0) {
        throw new HttpProblem(400, 'Richiesta non valida', 'file: manca il modulo firmato (.p7m)', [
          { field: 'body.file', message: 'obbligatorio' },
        ]);
      }
      const handle = ctx.client.workflow.getHandle(workflowId);
      const state = await temporalCall(() => handle.query(getComuneStateQuery));
      // Checked before verifying and storing the file; the workflow's validator decides again on the Update.
      const refusal = comuneStepRefusal(comuneSteps.recordSignedForm, state);
      if (refusal) throw new HttpProblem(409, 'Passo rifiutato', refusal);
      let verification;
      try {
        verification = await verifySignedForm(file.buffer, {
          expectedSignerFiscalCode: state.mayorFiscalCode,
        });
      } catch (err) {
        if (isSignedFormRejected(err))
          throw new HttpProblem(422, 'Modulo firmato non valido', `${err.reason}: ${err.message}`);
        throw err;
      }
      const stored = await ctx.documents.put(file.buffer, {
        contentType: 'application/pkcs7-mime',
        originalName: file.originalname,
      });
      const result = await temporalCall(() =>
        handle.executeUpdate(recordSignedFormUpdate, {
          args: [
            {
              actor: actorLabel(actor),
              document: {
                sha256: stored.sha256,
                signerName: verification.signer.commonName,
                ...(verification.signer.fiscalCode
                  ? { signerFiscalCode: verification.signer.fiscalCode }
                  : {}),
                ...(verification.signingTime ? { signingTime: verification.signingTime } : {}),
              },
            },
          ],
          updateId: updateId(req, `signed-form:${params.ipa}`),
        }),
      );
      return comuneView(await comuneAfterStep(ctx, result), actor.role) as unknown as z.infer<
        typeof stateResponse
      >;
    },
  });

  api.add({
    method: 'post',
    path: '/comuni/:ipa/manage-key',
    summary: 'Registra la chiave di gestione IO del Comune: verificata subito con PagoPA, conservata cifrata',
    description:
      'La chiave (primaria, e facoltativamente la secondaria) si legge nel back office IO del Comune, «Chiavi API di ' +
      'gestione». Prima di registrarla l’API la prova con una lettura reale sull’API di gestione di IO: una chiave ' +
      'rifiutata (401), non autorizzata per gli indirizzi del partner (403) o di un altro ente è respinta (422) e non ' +
      'viene conservata. Conservata cifrata (AES-256-GCM), non si può più leggere: le risposte riportano solo ' +
      'l’impronta. Registrare di nuovo la stessa chiave non cambia nulla.',
    tags: ['Passi del percorso'],
    role: 'staff',
    params: ipaParam,
    body: z.object({
      primaryKey: manageKeyText('Chiave primaria'),
      secondaryKey: manageKeyText('Chiave secondaria').optional(),
      group: z.string().trim().min(1).max(100).optional(),
    }),
    response: stateResponse,
    errors: {
      404: 'Comune non trovato',
      409: 'Non è il momento della chiave di gestione',
      422: 'Chiave respinta dalla verifica con PagoPA',
      503: 'Archivio delle chiavi non configurato, o PagoPA non risponde',
    },
    handler: async ({ params, body, actor, req, res }) => {
      const workflowId = comuneWorkflowId(params.ipa);
      res.locals.workflowId = workflowId;
      // Read before anything is verified or stored: a malformed Idempotency-Key is a 400 that leaves no key behind.
      const idempotency = updateId(req, `manage-key:${params.ipa}`);
      const keys = ctx.manageKeys;
      if (!keys) {
        throw new HttpProblem(
          503,
          'Archivio delle chiavi non configurato',
          'MANAGE_KEYS_KEK e IO_MANAGE_BASE_URL non sono impostati: la chiave non può essere conservata.',
        );
      }
      const handle = ctx.client.workflow.getHandle(workflowId);
      const state = await temporalCall(() => handle.query(getComuneStateQuery));
      // Checked before verifying and storing the key; the workflow's validator decides again on the Update.
      const refusal = comuneStepRefusal(comuneSteps.recordManageKey, state);
      if (refusal) throw new HttpProblem(409, 'Passo rifiutato', refusal);
      const organizationFiscalCode =
        state.fiscalCode ??
        (await temporalCall(() => handle.query(getPlannedServiceQuery, state.services[0]!.slug)))?.card
          .organization_fiscal_code;
      if (!organizationFiscalCode) throw new Error(`no fiscal code known for ${params.ipa}`);
      const candidates: [string, 'primaria' | 'secondaria', string][] = [
        [body.primaryKey, 'primaria', 'body.primaryKey'],
        ...(body.secondaryKey
          ? [[body.secondaryKey, 'secondaria', 'body.secondaryKey'] as [string, 'secondaria', string]]
          : []),
      ];
      for (const [key, which, field] of candidates) {
        const verified = await keys.verify(key, { organizationFiscalCode, which });
        if (!verified.ok) {
          ctx.logger.info(
            { comune: params.ipa, cause: verified.cause, which },
            'manage key refused by verification',
          );
          const status = verified.cause === 'unavailable' ? 503 : 422;
          throw new HttpProblem(status, 'Chiave di gestione non registrata', verified.message, [
            { field, message: verified.message },
          ]);
        }
      }
      const { record, undo } = await keys.store.putUndoably({
        ipaCode: params.ipa,
        organizationFiscalCode,
        secret: { primary: body.primaryKey, ...(body.secondaryKey ? { secondary: body.secondaryKey } : {}) },
        ...(body.group ? { group: { id: body.group } } : {}),
        recordedBy: actorLabel(actor),
      });
      ctx.logger.info({ comune: params.ipa, ref: record.ref }, 'manage key verified and sealed');
      let result: ComuneState;
      try {
        result = await temporalCall(() =>
          handle.executeUpdate(recordManageKeyUpdate, {
            args: [
              {
                actor: actorLabel(actor),
                ref: record.ref,
                fingerprint: record.fingerprint,
                hasSecondary: record.hasSecondary,
                ...(body.group ? { group: body.group } : {}),
              },
            ],
            // The same Idempotency-Key with another key is another step: the journey's reference follows the store.
            updateId: idempotency && `${idempotency}:${record.fingerprint}`,
          }),
        );
      } catch (err) {
        // The journey did not take the new reference (its stage changed meanwhile, Temporal unreachable): the store
        // goes back to the key the journey knows, so the services keep calling with it.
        await undo();
        throw err;
      }
      return comuneView(await comuneAfterStep(ctx, result), actor.role) as unknown as z.infer<
        typeof stateResponse
      >;
    },
  });

  /**
   * A staff or manager step on one service: one Update of its workflow (refused by it, 409, when out of order), the
   * answer being where it led (serviceAfterStep). `Idempotency-Key` makes the Update's id, scoped by `idScope`.
   */
  function serviceStep<B extends z.ZodType>(spec: {
    method: 'post' | 'put';
    path: string;
    summary: string;
    description?: string;
    role: 'staff' | 'manager';
    body: B;
    errors: { 404: string; 409: string };
    idScope: string;
    run: (
      handle: ReturnType<typeof ctx.client.workflow.getHandle>,
      body: z.infer<B>,
      actor: string,
      id: string | undefined,
    ) => Promise<ServiceState>;
  }): void {
    api.add({
      method: spec.method,
      path: `/comuni/:ipa/services/:slug/${spec.path}`,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: ['Servizi'],
      role: spec.role,
      params: serviceParams,
      body: spec.body,
      response: z.object({ status: z.string() }).loose(),
      errors: spec.errors,
      handler: async ({ params, body, actor, req, res }) => {
        const workflowId = serviceWorkflowId(params.ipa, params.slug);
        res.locals.workflowId = workflowId;
        const answered = await temporalCall(
          () =>
            spec.run(
              ctx.client.workflow.getHandle(workflowId),
              body,
              actorLabel(actor),
              updateId(req, `${spec.idScope}:${params.ipa}:${params.slug}`),
            ),
          'Servizio',
        );
        return (await serviceAfterStep(ctx, params.ipa, answered)) as unknown as { status: string };
      },
    });
  }

  serviceStep({
    method: 'put',
    path: 'card',
    summary: 'Invia la scheda corretta di un servizio (da correggere o rifiutato)',
    role: 'staff',
    body: z.object({ card: serviceCardSchema }),
    errors: {
      404: 'Servizio non trovato',
      409: 'La scheda non si può correggere ora, o non rispetta le regole',
    },
    idScope: 'card',
    run: (handle, b, actor, id) =>
      handle.executeUpdate(correctCardUpdate, { args: [{ actor, card: b.card }], updateId: id }),
  });

  serviceStep({
    method: 'post',
    path: 'review-outcome',
    summary: 'Registra a mano l’esito della revisione PagoPA di un servizio',
    role: 'staff',
    body: z
      .object({
        outcome: z.enum(['approved', 'rejected']),
        reason: z.string().trim().min(3).max(1000).optional(),
      })
      // The workflow would refuse it too, but a missing field is the request's fault (400), not a conflict (409).
      .refine((b) => b.outcome === 'approved' || b.reason !== undefined, {
        path: ['reason'],
        message: 'motivo obbligatorio per un rifiuto',
      }),
    errors: { 404: 'Servizio non trovato', 409: 'Il servizio non è in revisione' },
    idScope: 'review',
    run: (handle, b, actor, id) =>
      handle.executeUpdate(recordReviewOutcomeUpdate, {
        args: [{ actor, outcome: b.outcome, reason: b.reason }],
        updateId: id,
      }),
  });

  serviceStep({
    method: 'post',
    path: 'review-check',
    summary:
      'Legge ora su IO l’esito della revisione PagoPA di un servizio, senza attendere il prossimo controllo',
    description:
      'Per un servizio in revisione il cui esito il back office legge su IO. Risponde dopo la lettura: approvato (il servizio viene pubblicato), rifiutato, o ancora in revisione; la cronologia registra chi l’ha chiesta e cosa ha letto.',
    role: 'staff',
    body: z.object({}),
    errors: {
      404: 'Servizio non trovato',
      409: 'Il servizio non è in revisione, o il suo esito non viene letto su IO',
    },
    idScope: 'review-check',
    run: (handle, _b, actor, id) =>
      handle.executeUpdate(checkReviewNowUpdate, { args: [{ actor }], updateId: id }),
  });

  serviceStep({
    method: 'post',
    path: 'review-outcome/undo',
    summary:
      'Annulla un rifiuto registrato a mano per errore: il servizio torna in revisione nello stesso giro',
    description:
      'Solo per un rifiuto registrato a mano, finché la scheda non è stata corretta. Il rifiuto resta nella cronologia con il motivo.',
    role: 'manager',
    body: z.object({ reason: z.string().trim().min(3).max(500) }),
    errors: {
      404: 'Servizio non trovato',
      409: 'Il servizio non ha un rifiuto registrato a mano che si possa ancora annullare',
    },
    idScope: 'undo-review',
    run: (handle, b, actor, id) =>
      handle.executeUpdate(undoReviewOutcomeUpdate, { args: [{ actor, reason: b.reason }], updateId: id }),
  });
}
