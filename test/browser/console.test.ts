import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createBulkActivities } from '../../activities/bulk';
import { createApp } from '../../api/app';
import { closePortfolio } from '../../api/portfolio-index';
import { pagesIdle } from '../../api/journey-view';
import { stageLabels } from '../../contracts/comune';
import { serviceStatusLabels } from '../../contracts/service';
import { topicIds } from '../../domain/service-card';
import { FileOutbox } from '../../integrations/mail';
import { FileSystemDocumentStore } from '../../integrations/documents/document-store';
import { createLogger } from '../../common/logger';
import { ManageKeyStore } from '../../integrations/keys/manage-key-store';
import { createManageKeyVerifier } from '../../integrations/keys/manage-key-verifier';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { toCsv, trentoRows } from '../import/trento-csv';
import { buildSignedForm, createCa, createSigner } from '../integrations/documents/cms-fixtures';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { mockActivities } from '../support/mock-activities';
import { createDevServerEnv, workflowBundle, testReadModelSinks } from '../support/temporal-env';
import { waitFor } from '../support/wait';

/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core), against the real API, a Temporal
 * dev server and the real workflows with mock activities: a manager signs in, imports three Comuni, finds one,
 * records its steps through the forms the API offers (availableSteps), corrects a card PagoPA rejected, pages the
 * inbox, opens a service still in the queue and reads the dashboard; a clerk sees only the clerks' steps.
 * Screenshots at 1440 and 390 px go to test-artifacts/ (not committed).
 */

process.env.TEST_LOG_LEVEL ??= 'ERROR';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const TASK_QUEUE = 'browser-console';
const STEP_TIMEOUT = 20_000;
const WIDE = { width: 1440, height: 900 };
/** Protects the sandbox's /__admin (where the IO back office's keys are read). */
const SANDBOX_ADMIN_TOKEN = 'browser-test-sandbox-admin-0001';
/** The partner's addresses the 403 message names (the sandbox's keys have no CIDRs: any address may use them). */
const PARTNER_ADDRESSES = ['203.0.113.10/32'];
const PHONE = { width: 390, height: 844 };
/** PagoPA rejects TARI's first review: a service task for staff, and a card to correct through the console. */
const REJECTION = 'Descrizione non chiara: indicare a chi si rivolge il servizio';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Days left before each Comune's deadline: two open, one already late (contracts last 240 days). */
const DAYS_LEFT = [210, 140, -5];
// Two Comuni from the top of the list and Baselga di Pinè, whose accent the CSV export must keep.
const trento = trentoRows();
const rows = [trento[0]!, trento[1]!, trento.find((r) => r.Denominazione_ente.endsWith('Pinè'))!].map(
  (row, i) => {
    const contract = new Date(Date.now() - (240 - DAYS_LEFT[i]!) * DAY_MS).toISOString().slice(0, 10);
    const [y, m, d] = contract.split('-');
    return { ...row, Data_contratto: `${d}/${m}/${y}` };
  },
);
const [first, second] = rows as [(typeof rows)[number], (typeof rows)[number]];

/** An `rgb()`/`rgba()` colour as getComputedStyle gives it, as its channels 0–255. */
function rgb(css: string): [number, number, number] {
  const m = /^rgba?\((\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)/.exec(css);
  if (!m) throw new Error(`not an rgb colour: ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** WCAG 2 contrast ratio of two colours (1–21). */
function contrast(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, bl] = rgb(css).map((c) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('console (browser)', () => {
  let env: TestWorkflowEnvironment;
  let api: TestApiContext;
  let server: Server;
  let worker: Worker;
  let running: Promise<void>;
  let browser: Browser;
  let page: Page;
  /** PagoPA's part: Selfcare's onboarding and the IO back office's manage keys, one per institution. */
  let sandbox: RunningSandbox;
  let base: string;
  const problems: string[] = [];
  /** Every write the console sent: method, path and its Idempotency-Key. */
  const writes: { method: string; path: string; key: string | undefined }[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'console-test-'));
  /** PagoPA has not decided TARI's second review yet. */
  let holdTariReview = true;

  const apiGet = async <T>(route: string): Promise<T> => {
    const res = await fetch(`${base}/api/v1${route}`, {
      headers: { Authorization: `Bearer ${api.tokens.manager}` },
    });
    if (!res.ok) throw new Error(`${route}: ${res.status}`);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: run scripts/install-chromium.sh`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    env = await createDevServerEnv();
    const outbox = new FileOutbox(path.join(tmp, 'outbox'));
    const documents = new FileSystemDocumentStore(path.join(tmp, 'documents'), {
      logger: createLogger('test', 'silent'),
    });
    sandbox = await startSandbox({
      port: 0,
      // Real PagoPA: no partner-wide key, each institution its own (issued when onboarded on prod-io).
      legacyPartnerKeys: [],
      selfcareKey: 'browser-test-selfcare-key-0001',
      portalCredentials: [],
      adminToken: SANDBOX_ADMIN_TOKEN,
      logger: createLogger('browser-test-sandbox', 'silent'),
    });
    api = testApiContext(env.client, {
      taskQueue: TASK_QUEUE,
      outbox,
      documents,
      manageKeys: {
        store: new ManageKeyStore(path.join(tmp, 'manage-keys'), {
          current: { id: 'browser-test', key: randomBytes(32) },
        }),
        verify: createManageKeyVerifier({ baseUrl: sandbox.url, partnerAddresses: PARTNER_ADDRESSES }),
      },
    });
    await outbox.store({
      messageId: '<test-1@backoffice>',
      from: 'backoffice@partner.example',
      to: [`comune.${first.Codice_IPA}@pec.provincia.tn.it`],
      cc: [],
      envelopeTo: [`comune.${first.Codice_IPA}@pec.provincia.tn.it`],
      subject: 'ADESIONE IO - Richiesta di delega',
      text: 'Gentile Segretario,\nla preghiamo di delegare il partner come Amministratore su Selfcare.',
      html: null,
      comuneIpa: first.Codice_IPA,
      kind: 'delegation_request',
      notificationId: 'test-1',
    });

    const app = createApp(api.ctx);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: workflowBundle(),
      sinks: testReadModelSinks(api.ctx.readModel),
      activities: {
        ...mockActivities({
          // TARI's corrected card stays in review until the test lets PagoPA decide (read on IO from the page).
          reviewPending: (name, round) => holdTariReview && name.includes('TARI') && round === 2,
          review: (name, round) =>
            name.includes('TARI') && round === 1
              ? { outcome: 'rejected', reason: REJECTION }
              : { outcome: 'approved' },
        }).activities,
        ...createBulkActivities({ client: env.client, taskQueue: TASK_QUEUE, documents: api.ctx.documents }),
      },
    });
    running = worker.run();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext({
      viewport: WIDE,
      locale: 'it-IT',
      timezoneId: 'Europe/Rome',
    });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (request.method() !== 'GET' && url.pathname.startsWith('/api/v1/')) {
        writes.push({
          method: request.method(),
          path: url.pathname,
          key: request.headers()['idempotency-key'],
        });
      }
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      // Answers with 4xx the test provokes on purpose are logged by the browser as "Failed to load resource".
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(msg.text());
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    // A list refreshed in the background (stale while revalidate) may still be reading visibility: let it end
    // before the connection closes, or its retry timer would fire on a closed channel.
    if (api) await Promise.all([closePortfolio(api.ctx), pagesIdle(api.ctx)]);
    worker?.shutdown();
    await running;
    // The journeys are still running: stop them (worker already gone) so the dev server shuts down quietly.
    if (env) {
      const open: string[] = [];
      for await (const wf of env.client.workflow.list({ query: `ExecutionStatus = 'Running'` }))
        open.push(wf.workflowId);
      await Promise.all(
        open.map((id) =>
          env.client.workflow
            .getHandle(id)
            .terminate('fine del test')
            .catch(() => undefined),
        ),
      );
    }
    await env?.teardown();
    await sandbox?.close();
    api?.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** The manage keys the IO back office shows the institution `fiscalCode` (issued once onboarded on prod-io). */
  const sandboxKeys = async (fiscalCode: string) => {
    const res = await fetch(`${sandbox.url}/__admin/institutions/${fiscalCode}/manage-keys`, {
      headers: { authorization: `Bearer ${SANDBOX_ADMIN_TOKEN}` },
    });
    if (res.status !== 200) throw new Error(`manage keys of ${fiscalCode}: HTTP ${res.status}`);
    return (await res.json()) as { primary_key: string; secondary_key: string };
  };

  /**
   * Moves the focus with Tab (from the top of the page) until `target` has it, then reads its focus ring: colour,
   * style and width, the colours behind it (a gradient's stops, or the first opaque background), and the page's.
   */
  const focusRing = async (target: ReturnType<Page['locator']>) => {
    await page.evaluate('document.activeElement?.blur(); window.scrollTo(0, 0)');
    await page.locator('body').focus();
    for (let i = 0; i < 200; i += 1) {
      await page.keyboard.press('Tab');
      if (await target.evaluate((el) => el === el.ownerDocument.activeElement)) break;
    }
    // Through `el.ownerDocument`: the test's compiler has no DOM globals.
    return target.evaluate((el) => {
      const doc = el.ownerDocument;
      const css = (node: typeof el) => doc.defaultView!.getComputedStyle(node);
      if (el !== doc.activeElement) throw new Error('never reached with Tab');
      // The colours behind: a gradient's stops (the top bar), else the first opaque background colour.
      const opaque = (node: typeof el | null): string[] => {
        for (let n = node; n; n = n.parentElement) {
          const stops = css(n).backgroundImage.match(/rgba?\([^)]*\)/g);
          if (stops) return stops;
          const bg = css(n).backgroundColor;
          if (!/^rgba\(.*,\s*0\)$/.test(bg) && bg !== 'transparent') return [bg];
        }
        return ['rgb(255, 255, 255)'];
      };
      const style = css(el);
      return {
        focusVisible: el.matches(':focus-visible'),
        color: style.outlineColor,
        style: style.outlineStyle,
        width: parseFloat(style.outlineWidth),
        behind: opaque(el.parentElement),
        page: opaque(doc.body),
      };
    });
  };

  /** Screenshots of the page as it is, wide and on a phone (the page is loaded again at each width). */
  const screenshots = async (name: string, ready: () => Promise<unknown>) => {
    await ready();
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-1440.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.reload();
    await ready();
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-390.png`), fullPage: true });
    await page.setViewportSize(WIDE);
    await page.reload();
    await ready();
  };

  /** The stage badge of the Comune page, once it shows `label` (the page refreshes itself after a step). */
  const expectStage = async (label: string) => {
    await page.locator('[data-testid=stage]', { hasText: label }).waitFor();
  };

  it('a manager imports Comuni, records their steps through the forms and reads the dashboard', async () => {
    try {
      await flow();
    } catch (err) {
      await page
        .screenshot({ path: path.join(ARTIFACTS, 'failure.png'), fullPage: true })
        .catch(() => undefined);
      throw err;
    }
  });

  async function flow(): Promise<void> {
    const started = Date.now();

    // Accesso: the token, then name and role in the header.
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Accesso', level: 1 }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'accesso.png') });
    await page.getByLabel('Token di accesso').fill('token-sbagliato-0000');
    await page.getByRole('button', { name: 'Accedi' }).click();
    await page.getByRole('alert').filter({ hasText: 'Token non valido' }).waitFor();
    await page.getByLabel('Token di accesso').fill(api.tokens.manager);
    await page.getByRole('button', { name: 'Accedi' }).click();
    await page.getByRole('heading', { name: 'Attività in attesa' }).waitFor();
    await expect(page.locator('#who').innerText()).resolves.toMatch(/test-manager[\s\S]*Responsabile/);

    // The console's labels are the contracts' labels.
    // A string, so the test's compiler does not rewrite the browser's dynamic import.
    const labels = await page.evaluate(
      `import('/labels.js').then((m) => ({ stageLabels: m.stageLabels, serviceStatusLabels: m.serviceStatusLabels, topicIds: m.topicIds }))`,
    );
    expect(labels).toEqual({ stageLabels, serviceStatusLabels, topicIds: [...topicIds] });
    // Amounts and counts grouped as the e-mails and the dossier print them, 4-digit ones too (the Italian default
    // leaves them ungrouped: «1099 €» beside «12.089 €» on the same page).
    const formatted = await page.evaluate(
      `import('/ui.js').then((m) => [m.euro(1099), m.euro(12089), m.number(7904), m.number(166)])`,
    );
    expect(formatted).toEqual(['1.099\u00a0€', '12.089\u00a0€', '7.904', '166']);
    // The deadlines chart counts services: its axis steps are whole numbers (11 services gave «2,5 – 5 – … – 12,5»).
    const steps = await page.evaluate(
      `import('/charts.js').then((m) => [1, 5, 6, 11, 12, 33, 250, 86944].map((n) => m.countStep(n)))`,
    );
    expect(steps).toEqual([1, 1, 2, 5, 5, 10, 50, 20000]);

    // Importa: three Comuni of the province of Trento from an IPA CSV; the page follows the job to its end.
    await page.getByRole('link', { name: 'Importa' }).click();
    const csvPath = path.join(tmp, 'comuni-trento.csv');
    fs.writeFileSync(csvPath, toCsv(rows));
    await page.getByLabel('File CSV').setInputFiles(csvPath);
    await page.getByRole('button', { name: 'Importa', exact: true }).click();
    await page.getByText('Importazione completata').waitFor({ timeout: 30_000 });
    await expect(page.locator('[data-testid=import-started]').innerText()).resolves.toBe('3');
    await expect(page.locator('#import-progress').getAttribute('value')).resolves.toBe('3');
    // As of when: the job's progress as it recorded it (the read model), not a query of the job.
    await expect(page.locator('.progress-block [data-testid=freshness]').innerText()).resolves.toMatch(
      /^Avanzamento registrato al \d{1,2} \S+ \d{4},? \d{2}:\d{2}$/,
    );
    await page.getByText('Nessuna riga scartata.').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'importa.png'), fullPage: true });
    // Visibility catches up with the new workflows' search attributes.
    await waitFor('three Comuni in the list', async () => {
      const list = await apiGet<{ total: number }>('/comuni');
      return list.total === 3 ? list : undefined;
    });

    // Comuni: all three, then filtered by name, then by stage; sorted by name descending.
    await page.getByRole('link', { name: 'Comuni', exact: true }).click();
    await page.getByText('Comuni 1–3 di 3').waitFor();
    await page.getByLabel('Cerca').fill(second.Denominazione_ente.replace('Comune di ', ''));
    await page.getByRole('button', { name: 'Applica filtri' }).click();
    await page.getByText('Comuni 1–1 di 1').waitFor();
    await page.getByRole('link', { name: second.Denominazione_ente }).waitFor();
    await page.getByRole('button', { name: 'Azzera' }).click();
    await page.getByText('Comuni 1–3 di 3').waitFor();
    await page.getByLabel('Fase').selectOption('services');
    await page.getByText('Nessun Comune con questi filtri.').first().waitFor();
    await page.getByLabel('Fase').selectOption('adhesion_check');
    await page.getByText('Comuni 1–3 di 3').waitFor();
    await page.getByRole('button', { name: 'Comune', exact: true }).click();
    await page.locator('th[aria-sort=descending]').waitFor();
    const names = await page.locator('tbody tr td:first-child a').allInnerTexts();
    expect(names).toEqual(
      [...rows.map((r) => r.Denominazione_ente)].sort((a, b) => b.localeCompare(a, 'it')),
    );
    await page.locator('tbody .badge-danger', { hasText: 'In ritardo' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'comuni.png'), fullPage: true });

    // Comune: its state, then the adhesion step through its form.
    await page.getByRole('link', { name: first.Denominazione_ente, exact: true }).click();
    await page.getByRole('heading', { name: first.Denominazione_ente, level: 1 }).waitFor();
    await expectStage('Verifica adesione');
    // Read from the read model the worker writes: the page says when the journey last changed, in words.
    await expect(page.locator('[data-testid=freshness]').innerText()).resolves.toMatch(
      /^Ultimo aggiornamento del percorso: \d{1,2} [a-z]{3} \d{4}, \d{2}:\d{2} \(/,
    );
    // The link to Temporal's own view is an admin's tool: a manager does not see it.
    await expect(page.getByRole('link', { name: /Apri in Temporal/ }).count()).resolves.toBe(0);
    // The page draws the forms of the steps the API offers a manager at the adhesion check, and only those.
    await page.locator('[data-testid=waits-on]', { hasText: 'Personale del partner' }).waitFor();
    const offered = await apiGet<{ availableSteps: { id: string }[] }>(`/comuni/${first.Codice_IPA}`);
    expect(offered.availableSteps.map((s) => s.id).sort()).toEqual(
      ['moveDeadline', 'recordAdhesion', 'withdraw'].sort(),
    );
    const stepForms = async () =>
      (await page.locator('form.step-form').evaluateAll((forms) => forms.map((f) => f.id))).sort();
    await expect(stepForms()).resolves.toEqual(['step-moveDeadline', 'step-recordAdhesion', 'step-withdraw']);
    const decisions = page.locator('section[aria-labelledby=h-responsabili]');
    await expect(decisions.locator('form.step-form').evaluateAll((f) => f.map((x) => x.id))).resolves.toEqual(
      ['step-moveDeadline', 'step-withdraw'],
    );
    await page.getByLabel(/No, non ha aderito/).check();
    await page
      .locator('#step-recordAdhesion')
      .getByLabel('Nota (facoltativa)')
      .fill('Verificato su Selfcare: nessuna adesione');
    await page.getByRole('button', { name: 'Registra l’esito' }).click();
    await page.locator('.timeline').getByText('Adesione registrata: scenario A').waitFor();
    await page.locator('.timeline').getByText('test-manager (Responsabile)').first().waitFor();
    await expectStage('Delega richiesta');

    // Delegation done: the step asks for confirmation inside its form before it is sent.
    await page.getByRole('button', { name: 'Registra la delega' }).click();
    const question = page.locator('#step-recordDelegationDone .step-confirm');
    await question.getByText('Confermi che il delegato del partner risulta Amministratore').waitFor();
    await question.getByRole('button', { name: 'Annulla' }).click();
    await expect(question.isHidden()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Registra la delega' }).click();
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Conferma');
    await page
      .locator('#step-recordDelegationDone')
      .screenshot({ path: path.join(ARTIFACTS, 'conferma-delega.png') });
    await question.getByRole('button', { name: 'Conferma' }).click();
    await page.locator('.timeline').getByText('Delega completata su Selfcare').waitFor();
    await expectStage('In attesa del modulo firmato');

    // A file that is not a signed envelope: the API's Problem JSON is shown in the form.
    const badPath = path.join(tmp, 'non-firmato.p7m');
    fs.writeFileSync(badPath, 'questo non è un modulo firmato');
    await page.getByLabel('File firmato (.p7m)').setInputFiles(badPath);
    await page.getByRole('button', { name: 'Carica e verifica' }).click();
    const formProblem = page.locator('#step-recordSignedForm [role=alert]', {
      hasText: 'Modulo firmato non valido',
    });
    await formProblem.waitFor();
    // The sentence only: the API's stable reason code («malformed: …») never reaches the screen.
    await expect(formProblem.locator('.alert-detail').innerText()).resolves.not.toMatch(/^[a-z_]+:/);

    // The signed form (CAdES, signed by the Mayor): verified, recorded, and the Comune moves on to its services.
    const ca = await createCa();
    const mayor = await createSigner(ca);
    const p7mPath = path.join(tmp, 'modulo-adesione.pdf.p7m');
    fs.writeFileSync(p7mPath, await buildSignedForm({ signers: [mayor], chain: [ca] }));
    await page.getByLabel('File firmato (.p7m)').setInputFiles(p7mPath);
    await page.getByRole('button', { name: 'Carica e verifica' }).click();
    await page.locator('.timeline').getByText('Modulo firmato registrato').waitFor();
    await expectStage('Accesso a IO');

    // «Accesso a IO»: the Comune's own manage key, read in its IO back office once Selfcare shows the onboarding
    // active. The form asks for it in a password field; a key PagoPA refuses is named beside its field's label.
    const keyForm = page.locator('#step-recordManageKey');
    await keyForm.getByRole('heading', { name: 'Chiave di gestione IO del Comune' }).waitFor();
    await expect(keyForm.getByLabel('Chiave primaria').getAttribute('type')).resolves.toBe('password');
    await expect(keyForm.getByLabel(/Chiave secondaria/).getAttribute('type')).resolves.toBe('password');
    await expect(keyForm.getByLabel(/Gruppo Selfcare/).getAttribute('type')).resolves.toBe('text');
    await expect(keyForm.getByLabel('Chiave primaria').getAttribute('required')).resolves.not.toBeNull();
    await screenshots('chiave-di-gestione', () => keyForm.waitFor());
    sandbox.runtime.upsertInstitution(first.Codice_fiscale_ente, {
      description: first.Denominazione_ente,
      onboarding: [{ productId: 'prod-io', status: 'ACTIVE' }],
    });
    const keys = await sandboxKeys(first.Codice_fiscale_ente);
    const wrongKey = 'chiave-non-di-questo-comune-0000';
    await keyForm.getByLabel('Chiave primaria').fill(wrongKey);
    await keyForm.getByRole('button', { name: 'Verifica e registra' }).click();
    const keyProblem = keyForm.locator('[role=alert]');
    await keyProblem.waitFor();
    await expect(keyProblem.locator('.alert-errors li').innerText()).resolves.toMatch(
      /^Chiave primaria: La chiave primaria è rifiutata da PagoPA \(401\)/,
    );
    // The failed sign-in's pattern: the problem takes the focus, so a screen reader reads it.
    await expect(keyProblem.evaluate((el) => el === el.ownerDocument.activeElement)).resolves.toBe(true);
    // The message also stands beside the field, which is marked invalid and described by it.
    const primaryInput = keyForm.getByLabel('Chiave primaria');
    await expect(primaryInput.getAttribute('aria-invalid')).resolves.toBe('true');
    const describedBy = (await primaryInput.getAttribute('aria-describedby')) ?? '';
    const besideField = keyForm.locator('.field-error');
    await expect(besideField.innerText()).resolves.toMatch(
      /^La chiave primaria è rifiutata da PagoPA \(401\)/,
    );
    expect(describedBy.split(' ')).toContain(await besideField.getAttribute('id'));
    // …and the box above says it once (the detail only repeated the field's message).
    await expect(keyProblem.locator('.alert-detail').count()).resolves.toBe(0);
    await keyForm.screenshot({ path: path.join(ARTIFACTS, 'chiave-di-gestione-rifiutata.png') });
    await expect(page.evaluate('JSON.stringify(sessionStorage)')).resolves.not.toContain(wrongKey);
    // The Comune's key: verified on PagoPA's manage API, sealed, and only its record reaches the page.
    await keyForm.getByLabel('Chiave primaria').fill(keys.primary_key);
    await keyForm.getByRole('button', { name: 'Verifica e registra' }).click();
    await page.getByText('Chiave di gestione verificata e registrata.').first().waitFor();
    await expect(keyForm.locator('.field-error').count()).resolves.toBe(0);
    const keyFact = page.locator('.facts > div', {
      has: page.locator('dt', { hasText: 'Chiave di gestione IO' }),
    });
    await expect(keyFact.locator('dd').innerText()).resolves.toMatch(
      // Who recorded it, as the timeline names people (never the raw «manager:test-manager»).
      /^registrata da test-manager \(Responsabile\), .+ · chiave dell’ente$/,
    );
    await expectStage('Servizi in lavorazione');
    await screenshots('chiave-di-gestione-registrata', () => keyFact.waitFor());
    expect(await page.content()).not.toContain(keys.primary_key);
    expect(await page.content()).not.toContain(keys.secondary_key);
    await expect(page.evaluate('JSON.stringify(sessionStorage)')).resolves.not.toContain(keys.primary_key);
    await expect(
      page.evaluate(`[...document.querySelectorAll('input')].map((i) => i.value).join(' ')`),
    ).resolves.not.toContain(keys.primary_key);

    // The focus ring, reached with the keyboard: 3:1 or better against what surrounds the control and against the
    // page (WCAG 2.2, 1.4.11 and 2.4.13), on the light page and on the blue top bar.
    const rings = [];
    for (const [name, target] of [
      ['Verifica e registra', keyForm.getByRole('button', { name: 'Verifica e registra' })],
      ['Esci', page.getByRole('button', { name: 'Esci' })],
    ] as const) {
      const ring = await focusRing(target);
      rings.push({
        name,
        visible: ring.focusVisible && ring.style !== 'none' && ring.width >= 2,
        // The worst stop counts.
        againstBehind: Number(Math.min(...ring.behind.map((c) => contrast(ring.color, c))).toFixed(2)),
        againstPage: Number(Math.min(...ring.page.map((c) => contrast(ring.color, c))).toFixed(2)),
      });
    }
    const [onPage, onBar] = rings as [(typeof rings)[number], (typeof rings)[number]];
    // The form's button sits on a white panel on the light page: the ring stands out from both.
    expect(onPage.visible).toBe(true);
    expect(onPage.againstBehind).toBeGreaterThanOrEqual(3);
    expect(onPage.againstPage).toBeGreaterThanOrEqual(3);
    console.log(`focus ring contrast: ${JSON.stringify(rings)}`);
    expect(onBar.visible).toBe(true);
    expect(onBar.againstBehind).toBeGreaterThanOrEqual(3);

    // A manager moves the deadline; the same date again is refused by the workflow (409, its own sentence).
    const deadlineForm = page.locator('#step-moveDeadline');
    const newDeadline = new Date(Date.now() + (DAYS_LEFT[0]! + 30) * DAY_MS).toISOString().slice(0, 10);
    await deadlineForm.getByLabel('Nuova scadenza').fill(newDeadline);
    await deadlineForm.getByLabel('Motivo').fill('Proroga concordata con il Comune');
    await deadlineForm.getByRole('button', { name: 'Sposta la scadenza' }).click();
    await page.locator('.timeline').getByText('Scadenza spostata').waitFor();
    await page.locator('#step-moveDeadline').getByLabel('Motivo').fill('Stessa data per errore');
    await page.locator('#step-moveDeadline').getByRole('button', { name: 'Sposta la scadenza' }).click();
    const refusal = page.locator('#step-moveDeadline [role=alert]');
    await refusal.waitFor();
    await expect(refusal.innerText()).resolves.toContain('La nuova scadenza è uguale a quella attuale.');

    // Services appear with their Italian status labels. PagoPA rejects TARI; every other service goes live.
    await page.getByRole('link', { name: 'TARI' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.comune tbody tr').nth(2).waitFor();
    const settled = await waitFor(
      'TARI rejected, every other service active',
      async () => {
        const state = await apiGet<{ services: { slug: string; name: string; status: string }[] }>(
          `/comuni/${first.Codice_IPA}`,
        );
        const ok = state.services.every((s) => s.status === (s.slug === 'tari' ? 'rejected' : 'active'));
        return ok ? state : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const tari = settled.services.find((s) => s.slug === 'tari')!;
    // The Comune lists the services waiting for staff from their own availableSteps, each linked by its name.
    await page.getByRole('button', { name: 'Aggiorna' }).click();
    await page.getByRole('link', { name: `Correggi la scheda: ${tari.name}` }).waitFor();
    await expect(page.locator('.comune tbody tr td:first-child a').count()).resolves.toBe(
      settled.services.length,
    );
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshots('comune', () =>
      page.getByRole('link', { name: `Correggi la scheda: ${tari.name}` }).waitFor(),
    );

    // A service still in the queue has its page: where it waits, its place in the queue, its planned card.
    const queued = await apiGet<{ services: { slug: string; name: string; status: string }[] }>(
      `/comuni/${second.Codice_IPA}`,
    );
    const waiting = queued.services[2]!;
    expect(waiting.status).toBe('pending');
    await page.goto(`${base}/#/comuni/${second.Codice_IPA}/servizi/${waiting.slug}`);
    const place = page.locator('[data-testid=place]');
    await screenshots('servizio-in-coda', () =>
      page.getByRole('heading', { name: waiting.name, level: 1 }).waitFor(),
    );
    await expect(page.getByText('non trovato').count()).resolves.toBe(0);
    await expect(place.innerText()).resolves.toContain(
      `quando il Comune arriva alla fase «${stageLabels.services}»`,
    );
    await expect(place.innerText()).resolves.toContain(`3º di ${queued.services.length} in coda`);
    await expect(place.innerText()).resolves.toContain(stageLabels.adhesion_check);
    await expect(page.locator('[data-testid=service-status]').innerText()).resolves.toBe(
      serviceStatusLabels.pending,
    );
    await page.getByRole('heading', { name: 'Scheda prevista del servizio' }).waitFor();
    // A queued service's planned card comes from its Comune's plan in the read model, not from a query.
    await expect(page.locator('[data-testid=freshness]').innerText()).resolves.toContain(
      'Ultimo aggiornamento del percorso',
    );
    await expect(page.getByText('Servizio su IO').count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: /Apri in Temporal/ }).count()).resolves.toBe(0);

    // Attività: every open task, one row each, paged two at a time; the count is the total and paging shows all.
    await page.getByRole('link', { name: 'Attività', exact: true }).click();
    await page.getByLabel('Chi deve agire').selectOption('staff');
    await page.getByRole('cell', { name: second.Denominazione_ente }).waitFor();
    await expect(
      page.getByText('Verificare su Selfcare l’adesione a App IO e registrarne l’esito').count(),
    ).resolves.toBe(2);
    // The service task shows the service's name, linked to its page, never its identifier.
    const serviceRow = page.locator('.inbox-table tbody tr', { hasText: tari.name });
    await serviceRow.getByRole('link', { name: tari.name }).waitFor();
    await expect(serviceRow.innerText()).resolves.toContain(serviceStatusLabels.rejected);
    await page.getByLabel('Chi deve agire').selectOption('');
    await page.getByText('Scadenza superata: decidere se spostarla o ritirare il Comune').waitFor();
    await page.locator('.inbox-table .badge-danger', { hasText: 'scaduto' }).first().waitFor();
    const inbox = await apiGet<{ total: number }>('/inbox');
    await expect(page.locator('[data-testid=inbox-count]').innerText()).resolves.toBe(
      `1–${inbox.total} di ${inbox.total} attività`,
    );
    await screenshots('attivita', () => page.locator('.inbox-table tbody tr').first().waitFor());
    await page.goto(`${base}/#/attivita?limit=2`);
    const seen: string[] = [];
    for (let pageNo = 1; ; pageNo += 1) {
      const from = (pageNo - 1) * 2 + 1;
      const to = Math.min(inbox.total, pageNo * 2);
      await page
        .locator('[data-testid=inbox-count]', { hasText: `${from}–${to} di ${inbox.total} attività` })
        .waitFor();
      for (const text of await page.locator('.inbox-table tbody tr').allInnerTexts()) seen.push(text);
      const next = page.getByRole('button', { name: 'Successiva →' });
      if (await next.isDisabled()) break;
      await next.click();
    }
    expect(seen).toHaveLength(inbox.total);
    expect(new Set(seen).size).toBe(inbox.total);
    await page.getByRole('button', { name: '← Precedente' }).click();
    await page.locator('[data-testid=inbox-count]', { hasText: `3–4 di ${inbox.total} attività` }).waitFor();

    // The rejected service: its card editor from the card's fields, the rejection beside it; corrected, it goes live.
    // Problems found in a card are shown beside their fields: two are added to the answer as the workflow reports
    // them ('contacts', at least one contact, belongs to the phone).
    const tariAnswer = `**/api/v1/comuni/${first.Codice_IPA}/services/tari`;
    await page.route(tariAnswer, async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as Record<string, unknown>;
      await route.fulfill({
        response,
        json: {
          ...json,
          issues: [
            { field: 'description', message: 'la descrizione non dice a chi si rivolge il servizio' },
            { field: 'contacts', message: 'almeno un contatto tra telefono, email, PEC e URL di supporto' },
          ],
        },
      });
    });
    await page.goto(`${base}/#/comuni/${first.Codice_IPA}/servizi/tari`);
    const cardForm = page.locator('#step-correctCard');
    await cardForm.getByText(`Motivo del rifiuto PagoPA: «${REJECTION}»`).waitFor();
    await page
      .getByText('La scheda non rispetta le regole PagoPA: 2 problemi, indicati accanto ai campi.')
      .waitFor();
    const invalid = await cardForm.locator('.field-invalid').allInnerTexts();
    expect(invalid).toHaveLength(2);
    expect(invalid[0]).toMatch(/^Descrizione[\s\S]*Da correggere: la descrizione non dice a chi si rivolge/);
    expect(invalid[1]).toMatch(/^Telefono[\s\S]*Da correggere: almeno un contatto/);
    await expect(page.getByRole('link', { name: /Apri in Temporal/ }).count()).resolves.toBe(0);
    // The rejection came from PagoPA (read on IO): a manager cannot undo it, so the page does not offer it.
    await expect(page.getByText('Annulla il rifiuto registrato per errore').count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'servizio.png'), fullPage: true });
    await page.unroute(tariAnswer);
    const description = cardForm.getByLabel('Descrizione');
    await description.fill(
      `${await description.inputValue()} Il servizio si rivolge a chi ha un’utenza nel Comune.`,
    );
    await cardForm.getByRole('button', { name: 'Invia la scheda corretta' }).click();
    await page.getByText('Scheda corretta inviata: il servizio riparte.').first().waitFor();
    // Back in review: the back office reads IO at intervals of up to hours; staff read it now from the page.
    await page
      .locator('[data-testid=service-status]', { hasText: serviceStatusLabels.in_review })
      .waitFor({ timeout: 30_000 });
    const readNow = page.locator('#step-checkReviewNow');
    await readNow.getByRole('heading', { name: 'Leggi ora l’esito su IO' }).waitFor();
    await readNow.getByRole('button', { name: 'Leggi l’esito su IO' }).click();
    await page.getByText('Esito letto su IO: lo stato e la cronologia sono aggiornati.').first().waitFor();
    // The timeline's details: who asked is beside each, what IO said is the detail.
    const readOnIo = (said: string) => page.locator('.timeline-detail', { hasText: said });
    await readOnIo('ancora in revisione').waitFor();
    await expect(page.locator('[data-testid=service-status]').innerText()).resolves.toBe(
      serviceStatusLabels.in_review,
    );
    await screenshots('servizio-letto-su-io', () => readOnIo('ancora in revisione').waitFor());
    holdTariReview = false;
    await page.locator('#step-checkReviewNow').getByRole('button', { name: 'Leggi l’esito su IO' }).click();
    await page
      .locator('[data-testid=service-status]', { hasText: serviceStatusLabels.active })
      .waitFor({ timeout: 30_000 });
    await readOnIo('approvato').waitFor();
    await expect(page.locator('#step-checkReviewNow').count()).resolves.toBe(0);

    // E-mail: the list and one message.
    await page.getByRole('link', { name: 'E-mail', exact: true }).click();
    await page.getByRole('link', { name: 'ADESIONE IO - Richiesta di delega' }).click();
    await page.getByText('la preghiamo di delegare il partner').waitFor();

    // Cruscotto: totals, the funnel and the deadlines chart; the services by status add up to the total.
    await page.getByRole('link', { name: 'Cruscotto' }).click();
    await page.getByRole('heading', { name: 'Comuni per fase' }).waitFor();
    await page.locator('svg[role=img]').nth(1).waitFor();
    await expect(
      page.locator('.kpi', { hasText: 'Comuni' }).first().locator('.kpi-value').innerText(),
    ).resolves.toBe('3');
    const summary = await apiGet<{
      byStage: Record<string, number>;
      services: { total: number; byStatus: Record<string, number>; unclassified: number };
    }>('/portfolio/summary');
    const classes = await page.locator('.hbar-class .hbar-value').allInnerTexts();
    expect(classes.reduce((sum, n) => sum + Number(n.replace(/\D/g, '')), 0)).toBe(summary.services.total);
    await expect(page.locator('[data-testid=services-total]').innerText()).resolves.toBe(
      `${summary.services.total} su ${summary.services.total} servizi`,
    );
    expect(
      Object.values(summary.services.byStatus).reduce((a, b) => a + b, 0) + summary.services.unclassified,
    ).toBe(summary.services.total);
    await screenshots('dashboard', () => page.locator('svg[role=img]').nth(1).waitFor());

    // The CSV export, as a spreadsheet program opens it: UTF-8 with its mark, accents intact, the day in its name.
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Scarica il portafoglio (CSV)' }).click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/^portafoglio-comuni-\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = fs.readFileSync(await csv.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('Comune di Baselga di Pinè');

    // «Fondi per fascia di popolazione»: its total row says what the cards say, and the report downloads.
    const kpiValue = (label: string) =>
      page.locator('.kpi', { hasText: label }).locator('.kpi-value').innerText();
    const fundingTotal = await page.locator('[data-testid=funding-total] td').allInnerTexts();
    expect(fundingTotal.slice(3)).toEqual([
      await kpiValue('Fondi ottenuti'),
      await kpiValue('Fondi da ottenere'),
      await kpiValue('Fondi persi'),
    ]);
    const [fundingCsv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Scarica il report dei fondi (CSV)' }).click(),
    ]);
    expect(fundingCsv.suggestedFilename()).toMatch(/^report-fondi-comuni-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(fs.readFileSync(await fundingCsv.path()).toString('utf8')).toContain(
      'Riepilogo per fascia di popolazione',
    );

    // «Dove si fermano i percorsi»: the Comuni in each stage now are the funnel's Comuni still under way, in Italian.
    const stalls = page.locator('section[aria-labelledby=h-fermi]');
    await stalls.getByRole('heading', { name: 'Dove si fermano i percorsi' }).waitFor();
    const nowByStage = await stalls.locator('tbody tr td:nth-child(3)').allInnerTexts();
    const underWay = Object.entries(summary.byStage)
      .filter(([stage]) => stage !== 'completed' && stage !== 'withdrawn')
      .reduce((sum, [, n]) => sum + n, 0);
    expect(nowByStage.reduce((sum, n) => sum + Number(n.replace(/\D/g, '')), 0)).toBe(underWay);
    const byParty = await stalls.locator('[data-testid=stalls-by-party]').innerText();
    expect(byParty).toMatch(
      /^Tempo speso in attesa, su tutte le fasi: Comune \d+% .*Personale del partner \d+% .*PagoPA \d+% /,
    );
    expect([...byParty.matchAll(/(\d+)%/g)].reduce((sum, m) => sum + Number(m[1]), 0)).toBe(100);
    expect(await stalls.innerText()).not.toMatch(/delegation_requested|waitsOn|staff\b|pagopa\b/);

    // On a 1280-pixel laptop screen every table of the dashboard fits its panel: no column cut off behind a scroll.
    await page.setViewportSize({ width: 1280, height: 900 });
    const overflowing = await page.evaluate(
      `[...document.querySelectorAll('section.dashboard .table-wrap')]
        .filter((wrap) => wrap.scrollWidth > wrap.clientWidth)
        .map((wrap) => wrap.querySelector('caption')?.textContent ?? '?')`,
    );
    expect(overflowing).toEqual([]);
    await page.setViewportSize(WIDE);

    // A figure opens the list it counts: «Comuni in ritardo» lists the late Comune, and only it.
    await page.locator('.kpi', { hasText: 'Comuni in ritardo' }).getByRole('link').click();
    await page.waitForURL(/#\/comuni\?late=true/);
    // The dashboard's tables name Baselga too («Il più lungo»): count the list's rows once the dashboard is gone.
    await page.locator('section.dashboard').waitFor({ state: 'detached' });
    await page.locator('tbody tr', { hasText: 'Baselga di Pinè' }).waitFor();
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await page.goto(`${base}/#/cruscotto`);
    await page.locator('svg[role=img]').nth(1).waitFor();

    // The Comune page on a phone.
    await page.setViewportSize(PHONE);
    await page.goto(`${base}/#/comuni/${first.Codice_IPA}`);
    await page.getByRole('heading', { name: first.Denominazione_ente, level: 1 }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'comune-mobile.png'), fullPage: true });
    await page.setViewportSize(WIDE);

    // Esci.
    await page.getByRole('button', { name: 'Esci' }).click();
    await page.getByLabel('Token di accesso').waitFor();
    await expect(page.evaluate('sessionStorage.length')).resolves.toBe(0);

    // Staff see the journey's steps but neither the managers' pages nor their decisions.
    await page.getByLabel('Token di accesso').fill(api.tokens.staff);
    await page.getByRole('button', { name: 'Accedi' }).click();
    await page.getByRole('heading', { name: 'Attività in attesa' }).waitFor();
    await expect(page.locator('#nav').innerText()).resolves.not.toMatch(/Cruscotto|Importa/);
    await page.goto(`${base}/#/comuni/${second.Codice_IPA}`);
    await page.locator('#step-recordAdhesion').waitFor();
    await expect(stepForms()).resolves.toEqual(['step-recordAdhesion']);
    await expect(page.locator('#step-moveDeadline').count()).resolves.toBe(0);
    await expect(page.getByRole('heading', { name: 'Decisioni dei responsabili' }).count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'comune-personale.png'), fullPage: true });

    // Each write carried its own Idempotency-Key (a retried submission reuses it; a new one gets a new key).
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual([
      'POST /api/v1/imports',
      `POST /api/v1/comuni/${first.Codice_IPA}/adhesion`,
      `POST /api/v1/comuni/${first.Codice_IPA}/delegation`,
      `POST /api/v1/comuni/${first.Codice_IPA}/signed-form`,
      `POST /api/v1/comuni/${first.Codice_IPA}/signed-form`,
      `POST /api/v1/comuni/${first.Codice_IPA}/manage-key`,
      `POST /api/v1/comuni/${first.Codice_IPA}/manage-key`,
      `POST /api/v1/comuni/${first.Codice_IPA}/deadline`,
      `POST /api/v1/comuni/${first.Codice_IPA}/deadline`,
      `PUT /api/v1/comuni/${first.Codice_IPA}/services/tari/card`,
      // Read on IO twice: still in review, then approved (a new request each time, with its own key).
      `POST /api/v1/comuni/${first.Codice_IPA}/services/tari/review-check`,
      `POST /api/v1/comuni/${first.Codice_IPA}/services/tari/review-check`,
    ]);
    for (const w of writes) expect(w.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(writes[4]!.key).toBe(writes[3]!.key); // the refused upload was retried with the same key
    expect(writes[6]!.key).toBe(writes[5]!.key); // so was the refused key, with the right one
    expect(new Set(writes.map((w) => w.key)).size).toBe(writes.length - 2);

    // Every page of the manager's console, at 1440 and 390 px, kept under test-artifacts/ (pagina-*).
    for (const [name, hash] of [
      ['attivita', '#/attivita'],
      ['comuni', '#/comuni'],
      ['cruscotto', '#/cruscotto'],
      ['importa', '#/importa'],
      ['email', '#/email'],
      ['comune', `#/comuni/${first.Codice_IPA}`],
      ['servizio', `#/comuni/${first.Codice_IPA}/servizi/tari`],
    ] as const) {
      await page.goto(`${base}/${hash}`);
      await screenshots(`pagina-${name}`, () => page.locator('main h1').first().waitFor());
    }

    expect(problems).toEqual([]);
    console.log(`console browser flow: ${Date.now() - started} ms`);
  }

  it('an admin creates a staff token in «Accesso», sees it once, and it signs in in a new tab', async () => {
    await page.goto(`${base}/#/accesso`);
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await page.getByLabel('Token di accesso').fill(api.tokens.admin);
    await page.getByRole('button', { name: 'Accedi' }).click();
    await page.getByRole('link', { name: 'Accesso', exact: true }).click();
    await page.getByRole('heading', { name: 'Accesso utenti', level: 1 }).waitFor();
    await expect(page.getByTestId('first-admin').innerText()).resolves.toContain(
      'Il primo token amministratore è stampato una sola volta all’avvio del back office',
    );
    // The existing tokens, roles in Italian.
    await page.locator('tr', { hasText: 'test-manager' }).getByText('Responsabile').waitFor();

    // The sign-in lasts for the browser session: a new tab (Ctrl+click) opens signed in, without asking again.
    const opened = await page.context().newPage();
    opened.setDefaultTimeout(STEP_TIMEOUT);
    await opened.goto(`${base}/#/comuni`);
    await opened.getByRole('heading', { name: 'Comuni', level: 1 }).waitFor();
    await expect(opened.locator('#who').innerText()).resolves.toContain('Amministratore');
    await opened.close();

    await page.getByLabel('Nome della persona').fill('Sara Neri');
    await page.getByLabel('Ruolo').selectOption('staff');
    await page.getByRole('button', { name: 'Crea il token' }).click();
    const shown = page.getByTestId('new-token');
    await shown.waitFor();
    await page.getByText('Copialo adesso: non verrà mostrato di nuovo.').waitFor();
    await page.getByRole('button', { name: 'Copia il token' }).waitFor();
    const token = await shown.inputValue();
    expect(token).toMatch(/^iob_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('tr', { hasText: 'Sara Neri' });
    await expect(row.locator('td').nth(1).innerText()).resolves.toBe('Personale');
    await expect(row.locator('td').nth(3).innerText()).resolves.toBe('Mai');
    await page.screenshot({ path: path.join(ARTIFACTS, 'accesso-utenti.png'), fullPage: true });

    // Shown once: reloading the page does not show it again.
    await page.reload();
    await page.getByRole('heading', { name: 'Accesso utenti', level: 1 }).waitFor();
    await expect(page.getByTestId('new-token').count()).resolves.toBe(0);
    await expect(page.locator('main').innerText()).resolves.not.toContain(token);

    // In a new tab of the same browser the token signs in as staff: no «Accesso», no «Importa».
    const tab = await page.context().newPage();
    tab.setDefaultTimeout(STEP_TIMEOUT);
    tab.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    await tab.goto(`${base}/#/accesso`);
    await tab.getByLabel('Token di accesso').fill(token);
    await tab.getByRole('button', { name: 'Accedi' }).click();
    await tab.getByRole('heading', { name: 'Attività in attesa' }).waitFor();
    await expect(tab.locator('#who').innerText()).resolves.toContain('Sara Neri');
    const nav = await tab.locator('#nav').innerText();
    expect(nav).toContain('Attività');
    expect(nav).not.toMatch(/Accesso|Importa|Cruscotto/);
    // The admin sees its use.
    await page.reload();
    await expect(row.locator('td').nth(3).innerText()).resolves.not.toBe('Mai');

    // Revocation asks for confirmation, then the new tab is signed out.
    await row.getByRole('button', { name: 'Revoca il token di Sara Neri' }).click();
    await row.getByText('Revocare il token di Sara Neri?').waitFor();
    await row.getByRole('button', { name: 'Sì, revoca' }).click();
    await page.locator('tr', { hasText: 'Sara Neri' }).getByText('Revocato').waitFor();
    await tab.reload();
    await tab.getByLabel('Token di accesso').waitFor();
    await tab.close();
    expect(problems).toEqual([]);
  });
});
