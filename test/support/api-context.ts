import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { ApiContext } from '../../api/app';
import { FileTokenStore } from '../../api/auth/token-store';
import type { Role } from '../../api/auth/roles';
import { createLogger } from '../../common/logger';
import { ReadModelStore } from '../../common/read-model-store';
import { FileSystemDocumentStore } from '../../integrations/documents/document-store';
import { DEFAULTS } from '../import/import-fixtures';

export interface TestApiContext {
  ctx: ApiContext;
  dir: string;
  /** A bearer token per role, for `Authorization: Bearer …`. */
  tokens: Record<Role, string>;
  cleanup(): void;
}

/** An API context over a temporary data folder, with one token per role. */
export function testApiContext(client: Client, overrides: Partial<ApiContext> = {}): TestApiContext {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'io-api-'));
  const store = new FileTokenStore(path.join(dir, 'tokens.json'));
  const tokens = Object.fromEntries(
    (['staff', 'manager', 'admin'] as const).map((role) => [
      role,
      store.create({ name: `test-${role}`, role, createdBy: 'test' }).token,
    ]),
  ) as Record<Role, string>;
  const ctx: ApiContext = {
    client,
    namespace: 'default',
    taskQueue: 'api-test',
    logger: createLogger('api-test', 'silent'),
    documents: new FileSystemDocumentStore(path.join(dir, 'documents')),
    tokens: store,
    temporalUiUrl: 'http://localhost:8233',
    registrationDefaults: DEFAULTS,
    // The pages' read model: a test's worker writes it with readModelSinks(ctx.readModel) (test/api/harness.ts).
    readModel: new ReadModelStore(path.join(dir, 'read-model')),
    ...overrides,
  };
  return { ctx, dir, tokens, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
