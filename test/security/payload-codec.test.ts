import { pagesIdle } from '../../api/journey-view';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createBulkActivities } from '../../activities/bulk';
import { createApp } from '../../api/app';
import { ConfigError, parseConfig } from '../../common/config';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  PayloadDecryptionError,
  dataConverterFromConfig,
  payloadCodecFromConfig,
} from '../../common/payload-codec';
import {
  getComuneStateQuery,
  recordManageKeyUpdate,
  recordSignedFormUpdate,
  type ComuneState,
} from '../../contracts/comune';
import { comuneWorkflowId } from '../../contracts/ids';
import { createWorker } from '../../worker/create-worker';
import { createLogger } from '../../common/logger';
import { ReadModelStore } from '../../common/read-model-store';
import { eventually } from '../api/harness';
import { DEFAULTS, trento } from '../import/import-fixtures';
import { testApiContext, type TestApiContext } from '../support/api-context';
import { mockActivities } from '../support/mock-activities';
import { createDevServerEnv, testReadModelSinks, workflowBundle } from '../support/temporal-env';
import { workflowPatches } from '../../workflows/patches';

const key = (id: string) => ({ id, key: randomBytes(32) });
const text = new TextDecoder();
const encoding = (p: Payload) => text.decode(p.metadata?.encoding ?? new Uint8Array());

describe('AES-256-GCM payload codec', () => {
  const k1 = key('k1');
  const codec = new AesGcmPayloadCodec({ current: k1 });
  const plain: Payload[] = [
    defaultPayloadConverter.toPayload({ comune: 'Comune di Trento', pec: 'protocollo@pec.comune.trento.it' }),
    defaultPayloadConverter.toPayload('RSSMRA85T10A562S'),
    defaultPayloadConverter.toPayload(undefined),
    defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 2, 255])),
    defaultPayloadConverter.toPayload(''),
  ];

  it('round-trips every kind of payload, metadata included', async () => {
    const decoded = await codec.decode(await codec.encode(plain));
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(
      plain.map((p) => defaultPayloadConverter.fromPayload(p)),
    );
    for (const [i, p] of decoded.entries()) {
      expect(encoding(p)).toBe(encoding(plain[i]!));
      expect(Buffer.from(p.data ?? [])).toEqual(Buffer.from(plain[i]!.data ?? []));
    }
  });

  it('stores binary/encrypted with the key id, a fresh 12-byte IV each time, and no plaintext', async () => {
    const [a, b] = await codec.encode([plain[0]!, plain[0]!]);
    for (const p of [a!, b!]) {
      expect(encoding(p)).toBe(ENCRYPTED_ENCODING);
      expect(text.decode(p.metadata![KEY_ID_METADATA])).toBe('k1');
      expect(Object.keys(p.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
      const data = Buffer.from(p.data!);
      expect(data.length).toBe(12 + temporal.api.common.v1.Payload.encode(plain[0]!).finish().length + 16);
      expect(data.toString('latin1')).not.toContain('Trento');
      expect(data.toString('latin1')).not.toContain('json/plain');
    }
    expect(Buffer.from(a!.data!).subarray(0, 12)).not.toEqual(Buffer.from(b!.data!).subarray(0, 12));
    expect(Buffer.from(a!.data!)).not.toEqual(Buffer.from(b!.data!));
  });

  it('detects tampering: IV, ciphertext, tag, key id, truncation', async () => {
    const [sealed] = await codec.encode([plain[0]!]);
    const data = Buffer.from(sealed!.data!);
    const flipped = (at: number) => {
      const copy = Buffer.from(data);
      copy[at] = copy[at]! ^ 0x01;
      return { ...sealed!, data: copy };
    };
    const k2 = key('k2');
    const twoKeys = new AesGcmPayloadCodec({ current: k1, previous: [k2] });
    const tampered: [string, Payload, AesGcmPayloadCodec][] = [
      ['IV', flipped(0), codec],
      ['ciphertext', flipped(20), codec],
      ['tag', flipped(data.length - 1), codec],
      ['truncated', { ...sealed!, data: data.subarray(0, 20) }, codec],
      ['too short', { ...sealed!, data: data.subarray(0, 10) }, codec],
      [
        'key id changed to another known key',
        { ...sealed!, metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } },
        twoKeys,
      ],
    ];
    for (const [what, payload, c] of tampered) {
      await expect(c.decode([payload]).then(() => what)).rejects.toThrow(PayloadDecryptionError);
    }
    await expect(codec.decode([flipped(20)])).rejects.toThrow(/wrong key or altered data/);
  });

  it('refuses the wrong key: same id with other bytes, or an unknown id', async () => {
    const sealed = await codec.encode(plain);
    await expect(
      new AesGcmPayloadCodec({ current: { id: 'k1', key: randomBytes(32) } }).decode(sealed),
    ).rejects.toThrow(/cannot be decrypted/);
    await expect(new AesGcmPayloadCodec({ current: key('k9') }).decode(sealed)).rejects.toThrow(
      /key «k1», which is not configured/,
    );
  });

  it('passes plain payloads through untouched (histories recorded before encryption)', async () => {
    const decoded = await codec.decode(plain);
    for (const [i, p] of decoded.entries()) expect(p).toBe(plain[i]);
  });

  it('rotates: a new key encrypts, the previous one still decrypts; decrypt-only turns encryption off', async () => {
    const old = await codec.encode(plain);
    const k2 = key('k2');
    const rotated = new AesGcmPayloadCodec({ current: k2, previous: [k1] });
    expect((await rotated.decode(old)).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(
      plain.map((p) => defaultPayloadConverter.fromPayload(p)),
    );
    const fresh = await rotated.encode(plain);
    expect(fresh.map((p) => text.decode(p.metadata![KEY_ID_METADATA]))).toEqual(plain.map(() => 'k2'));
    const decryptOnly = new AesGcmPayloadCodec({ previous: [k1, k2] });
    expect(await decryptOnly.encode(plain)).toBe(plain);
    expect(await decryptOnly.decode([...old, ...fresh])).toHaveLength(plain.length * 2);
  });

  it('refuses keys that are not 32 bytes or ids out of format', () => {
    expect(() => new AesGcmPayloadCodec({ current: { id: 'k1', key: randomBytes(16) } })).toThrow(/32 bytes/);
    expect(() => new AesGcmPayloadCodec({ current: { id: 'k 1', key: randomBytes(32) } })).toThrow(/key id/);
    expect(
      () => new AesGcmPayloadCodec({ current: { id: 'k1', key: randomBytes(32) }, previous: [key('k1')] }),
    ).toThrow(/given twice/);
  });

  it('comes from the configuration: PAYLOAD_ENCRYPTION_KEY, _KEY_ID, _PREVIOUS_KEYS', async () => {
    expect(payloadCodecFromConfig(parseConfig({}))).toBeUndefined();
    expect(dataConverterFromConfig(parseConfig({ PAYLOAD_ENCRYPTION_KEY: '' }))).toBeUndefined();
    const b64 = randomBytes(32).toString('base64');
    const configured = payloadCodecFromConfig(parseConfig({ PAYLOAD_ENCRYPTION_KEY: b64 }));
    expect(configured?.currentKeyId).toBe('k1');
    const old = randomBytes(32).toString('base64');
    const rotated = payloadCodecFromConfig(
      parseConfig({
        PAYLOAD_ENCRYPTION_KEY: b64,
        PAYLOAD_ENCRYPTION_KEY_ID: '2026-11',
        PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: `k1:${old}`,
      }),
    )!;
    expect(rotated.currentKeyId).toBe('2026-11');
    const byOld = new AesGcmPayloadCodec({ current: { id: 'k1', key: Buffer.from(old, 'base64') } });
    await expect(rotated.decode(await byOld.encode(plain))).resolves.toHaveLength(plain.length);

    for (const [env, variable] of [
      [{ PAYLOAD_ENCRYPTION_KEY: 'c2hvcnQ=' }, 'PAYLOAD_ENCRYPTION_KEY'],
      [{ PAYLOAD_ENCRYPTION_KEY: 'not base64 at all!' }, 'PAYLOAD_ENCRYPTION_KEY'],
      [{ PAYLOAD_ENCRYPTION_KEY_ID: 'with space' }, 'PAYLOAD_ENCRYPTION_KEY_ID'],
      [{ PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: 'k0' }, 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS'],
      [
        { PAYLOAD_ENCRYPTION_KEY: b64, PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: `k1:${old}` },
        'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS',
      ],
    ] as const) {
      let error: unknown;
      try {
        parseConfig(env);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([variable]);
    }
  });
});

/** Every string and byte string of a history, with the path it was found at. */
function pieces(value: unknown, path = ''): { path: string; text: string }[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [{ path, text: value }];
  if (value instanceof Uint8Array) return [{ path, text: Buffer.from(value).toString('utf8') }];
  if (typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => pieces(v, `${path}.${k}`));
}

const isPayload = (v: unknown): v is Payload =>
  typeof v === 'object' &&
  v !== null &&
  'metadata' in v &&
  (v as Payload).metadata?.encoding instanceof Uint8Array;

/** Every payload of a history with its path (search attributes are payloads too, indexed in clear by design). */
function payloads(value: unknown, path = ''): { path: string; payload: Payload }[] {
  if (isPayload(value)) return [{ path, payload: value }];
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => payloads(v, `${path}.${k}`));
}

/** A copy of the history with every encrypted payload decrypted. */
async function decrypted(value: unknown, codec: AesGcmPayloadCodec): Promise<unknown> {
  if (isPayload(value)) return (await codec.decode([value]))[0];
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return Promise.all(value.map((v) => decrypted(v, codec)));
  const entries = await Promise.all(
    Object.entries(value as Record<string, unknown>).map(
      async ([k, v]) => [k, await decrypted(v, codec)] as const,
    ),
  );
  return Object.fromEntries(entries);
}

const inSearchAttributes = (path: string) => /\.searchAttributes\./.test(path);
/** patched() markers: written by the SDK's core in clear, holding only the patch id (checked below). */
const inPatchMarker = (path: string) => /\.markerRecordedEventAttributes\.details\.patch-data\./.test(path);

describe('no secret in clear in Temporal histories (dev server, codec on client, worker and API)', () => {
  const codec = new AesGcmPayloadCodec({ current: key('k1') });
  const dataConverter = { payloadCodecs: [codec] };
  let env: TestWorkflowEnvironment;
  let api: TestApiContext;
  let plainClient: Client;
  let worker: Worker;
  let running: Promise<void>;

  const today = new Date().toISOString().slice(0, 10);
  const registration = trento({
    contractDate: today,
    mayor: { name: 'Franco Ianeselli', email: 'sindaco@comune.trento.it', fiscalCode: 'NSLFNC79A01L378K' },
  });
  const ipa = registration.ipaCode;
  const secrets = {
    pec: registration.pec,
    mayorEmail: registration.mayor.email,
    mayorFiscalCode: 'NSLFNC79A01L378K',
    delegateFiscalCode: DEFAULTS.delegate.fiscalCode,
    secretaryEmail: registration.secretary.email,
  };
  const comuneName = 'Comune di Trento';

  beforeAll(async () => {
    env = await createDevServerEnv({ dataConverter });
    plainClient = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
    api = testApiContext(env.client);
    // The pages' read model, sealed with the same codec (as worker/main.ts and api/main.ts build it).
    api.ctx.readModel = new ReadModelStore(path.join(api.dir, 'read-model'), codec);
    worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: api.ctx.taskQueue,
      workflowBundle: workflowBundle(),
      dataConverter,
      readModel: { store: api.ctx.readModel, logger: createLogger('codec-test', 'silent') },
      activities: {
        ...mockActivities().activities,
        ...createBulkActivities({
          client: env.client,
          taskQueue: api.ctx.taskQueue,
          documents: api.ctx.documents,
        }),
      },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    if (api) await pagesIdle(api.ctx); // background page refreshes end before the connection closes
    await env?.teardown();
    api?.cleanup();
  });

  it('runs a Comune journey through the API to completion; histories hold ciphertext, never the secrets or tokens', async () => {
    const app = createApp(api.ctx);
    const as = (role: 'staff' | 'manager') => (method: 'get' | 'post', path: string) =>
      request(app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${api.tokens[role]}`);
    const state = (accept: (s: ComuneState) => boolean) =>
      eventually(
        'the Comune state',
        async () => (await as('staff')('get', `/comuni/${ipa}`).expect(200)).body as ComuneState,
        accept,
        60_000,
      );

    await as('manager')('post', '/comuni').send(registration).expect(201);
    await state((s) => s.stage === 'adhesion_check');
    await as('staff')('post', `/comuni/${ipa}/adhesion`)
      .send({ adherent: true, note: 'verificato su Selfcare' })
      .expect(200);
    await state((s) => s.stage === 'delegation_requested');
    await as('staff')('post', `/comuni/${ipa}/delegation`)
      .set('Idempotency-Key', 'delega-trento-1')
      .send({})
      .expect(200);
    // A refused step still carries the workflow's sentence through the encrypted channel.
    const refused = await as('staff')('post', `/comuni/${ipa}/delegation`).send({}).expect(409);
    expect((refused.body as { detail: string }).detail.length).toBeGreaterThan(10);
    await as('staff')('post', `/comuni/${ipa}/tracking-form`).send({ note: 'modulo ricevuto' }).expect(200);
    await state((s) => s.stage === 'awaiting_signed_form');
    await env.client.workflow.getHandle(comuneWorkflowId(ipa)).executeUpdate(recordSignedFormUpdate, {
      args: [
        {
          actor: 'staff:test',
          document: {
            sha256: 'c'.repeat(64),
            signerName: 'Franco Ianeselli',
            signerFiscalCode: secrets.mayorFiscalCode,
          },
        },
      ],
    });
    // «Accesso a IO»: the key's reference only (the key itself stays in the API's sealed store: test/api/manage-key).
    await state((s) => s.stage === 'io_access');
    await env.client.workflow.getHandle(comuneWorkflowId(ipa)).executeUpdate(recordManageKeyUpdate, {
      args: [
        {
          actor: 'staff:test',
          ref: `mk_${ipa}_0123456789ab`,
          fingerprint: '0123456789ab',
          hasSecondary: false,
        },
      ],
    });
    const done = await state((s) => s.stage === 'completed');

    // The API, whose client has the codec, reads everything (the page from the sealed read model).
    expect(done).toMatchObject({ name: comuneName, stage: 'completed', freshness: { source: 'read-model' } });
    // On disk the read model is ciphertext: no secret, token or name of the Comune in clear.
    const readModelFiles = fs
      .readdirSync(api.ctx.readModel!.dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8'));
    expect(readModelFiles.length).toBeGreaterThanOrEqual(1 + 1 + 11); // the journey, its plan, its services
    for (const text of readModelFiles) {
      for (const [what, secret] of [...Object.entries(secrets), ['name', comuneName]]) {
        expect({ what, found: text.includes(secret!) }).toEqual({ what, found: false });
      }
    }
    expect(JSON.stringify(done)).toContain(secrets.mayorFiscalCode);
    // A client without the codec reads nothing.
    const handle = plainClient.workflow.getHandle(comuneWorkflowId(ipa));
    await expect(handle.query(getComuneStateQuery)).rejects.toThrow();
    await expect(handle.result()).rejects.toThrow();

    // Every history of the run, fetched raw by the client without the codec.
    const histories: { id: string; history: unknown; raw: temporal.api.history.v1.IHistory }[] = [];
    // Listed by the codec's client: the memo (the journey's read model) is encrypted like every payload.
    for await (const wf of env.client.workflow.list()) {
      const raw = await plainClient.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      histories.push({
        id: wf.workflowId,
        raw,
        history: temporal.api.history.v1.History.toObject(raw as never),
      });
    }
    expect(histories.length).toBeGreaterThanOrEqual(1 + 11); // the Comune and its services
    // A token is iob_<id>_<secret>, and the base64url secret may itself hold "_": cut after the id, not at the
    // last "_" (a two-letter tail would turn up by chance in ciphertext).
    const tokens = Object.values(api.tokens).flatMap((t) => {
      const secret = /^iob_[a-z0-9]{12}_(.{43})$/.exec(t)?.[1];
      if (!secret) throw new Error(`unexpected token format: ${t.slice(0, 17)}…`);
      return [t, secret];
    });

    let nameInSearchAttributes = 0;
    let encryptedPayloads = 0;
    for (const { id, history } of histories) {
      // Outside search attributes (indexed in clear by Temporal, by design), every payload is ciphertext.
      for (const { path, payload } of payloads(history)) {
        if (inSearchAttributes(path)) continue;
        if (inPatchMarker(path)) {
          const marker = JSON.parse(
            Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'),
          ) as unknown;
          // Only the id of one of our patches, nothing of the Comune's.
          const { id: patchId } = marker as { id: string };
          expect(Object.values(workflowPatches)).toContain(patchId);
          expect(marker).toEqual({ id: patchId, deprecated: false });
          continue;
        }
        expect({ id, path, encoding: encoding(payload) }).toEqual({ id, path, encoding: ENCRYPTED_ENCODING });
        encryptedPayloads += 1;
      }
      for (const { path, text: piece } of pieces(history)) {
        for (const [what, secret] of Object.entries(secrets)) {
          expect({ id, path, what, found: piece.includes(secret) }).toEqual({ id, path, what, found: false });
        }
        for (const token of tokens)
          expect({ id, path, token: piece.includes(token) }).toEqual({ id, path, token: false });
        if (piece.includes(comuneName)) {
          // The name is a search attribute (the portfolio is read from visibility): nowhere else.
          expect({ id, path, inSearchAttributes: inSearchAttributes(path) }).toEqual({
            id,
            path,
            inSearchAttributes: true,
          });
          nameInSearchAttributes += 1;
        }
      }
      // Decrypted, the history holds the journey's data (so the scan above looks where the data is)...
      const open = pieces(await decrypted(history, codec))
        .map((p) => p.text)
        .join('\n');
      // ...and still no API token, in clear or encrypted.
      for (const token of tokens) expect({ id, token: open.includes(token) }).toEqual({ id, token: false });
      if (id === comuneWorkflowId(ipa)) {
        for (const secret of [secrets.pec, secrets.mayorEmail, secrets.delegateFiscalCode, comuneName]) {
          expect(open).toContain(secret);
        }
      }
    }
    expect(encryptedPayloads).toBeGreaterThan(50);
    expect(nameInSearchAttributes).toBeGreaterThan(0);

    // The encrypted history replays with the codec; without it the workflow cannot even read its input.
    const comune = histories.find((h) => h.id === comuneWorkflowId(ipa))!.raw;
    await Worker.runReplayHistory(
      { workflowBundle: workflowBundle(), dataConverter, sinks: testReadModelSinks() },
      comune,
      'encrypted',
    );
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: workflowBundle(), sinks: testReadModelSinks() },
        comune,
        'no-codec',
      ),
    ).rejects.toThrow();
  });
});
