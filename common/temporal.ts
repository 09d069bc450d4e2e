import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import { temporal } from '@temporalio/proto';
import { allSearchAttributeKeys } from '../contracts/search-attributes';
import type { Config } from './config';
import type { Logger } from './logger';
import { dataConverterFromConfig, type PayloadEncryptionConfig } from './payload-codec';

type TemporalConnectionConfig = Pick<
  Config,
  | 'temporalAddress'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CERT_PATH'
  | 'TEMPORAL_TLS_KEY_PATH'
  | 'TEMPORAL_TLS_CA_PATH'
  | 'TEMPORAL_TLS_SERVER_NAME'
>;

/** Connection options shared by the client (API) and the worker's NativeConnection. */
export function temporalConnectionOptions(config: TemporalConnectionConfig) {
  const useTls =
    config.TEMPORAL_TLS || Boolean(config.TEMPORAL_TLS_CERT_PATH) || Boolean(config.TEMPORAL_API_KEY);
  const tls = useTls
    ? {
        serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME,
        serverRootCACertificate: config.TEMPORAL_TLS_CA_PATH
          ? fs.readFileSync(config.TEMPORAL_TLS_CA_PATH)
          : undefined,
        clientCertPair:
          config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
            ? {
                crt: fs.readFileSync(config.TEMPORAL_TLS_CERT_PATH),
                key: fs.readFileSync(config.TEMPORAL_TLS_KEY_PATH),
              }
            : undefined,
      }
    : undefined;
  return {
    address: config.temporalAddress,
    tls,
    apiKey: config.TEMPORAL_API_KEY,
  } satisfies ConnectionOptions;
}

/** A client whose payloads go through the configured codec (encrypted when PAYLOAD_ENCRYPTION_KEY is set). */
export async function connectClient(
  config: TemporalConnectionConfig & Pick<Config, 'TEMPORAL_NAMESPACE'> & PayloadEncryptionConfig,
): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: dataConverterFromConfig(config),
  });
}

const indexedValueType: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers the project's custom search attributes; those already present are left alone, so this runs at every
 * start. On Temporal Cloud the operator API is not open to namespace users: there they are created once by hand
 * (README), and a PERMISSION_DENIED here is logged, not fatal.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  logger: Logger,
): Promise<void> {
  const existing = await connection.operatorService
    .listSearchAttributes({ namespace })
    .then((r) => r.customAttributes ?? {})
    .catch((err: unknown) => {
      logger.warn({ err }, 'cannot list search attributes');
      return {} as Record<string, unknown>;
    });
  const missing = allSearchAttributeKeys.filter((key) => !(key.name in existing));
  if (missing.length === 0) return;
  const names = missing.map((k) => k.name);
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, indexedValueType[k.type]!])),
    });
    logger.info({ added: names }, 'search attributes registered');
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === grpcStatus.PERMISSION_DENIED) {
      logger.warn({ missing: names }, 'no permission to register search attributes');
      return;
    }
    if (code !== grpcStatus.ALREADY_EXISTS) throw err;
  }
  await awaitSearchAttributesUsable(connection, namespace, names, logger);
}

/**
 * Waits until the server accepts the attributes just registered. A server reads them through caches: production's
 * (and the dev servers this project starts, `devServerArgs`) for about a second after the registration refuse a
 * workflow started with them («Failed to start Workflow»). A count naming each one is refused until then, and
 * changes nothing.
 */
async function awaitSearchAttributesUsable(
  connection: Connection,
  namespace: string,
  names: readonly string[],
  logger: Logger,
  timeoutMs = 15_000,
): Promise<void> {
  const query = names.map((name) => `${name} IS NULL`).join(' AND ');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query });
      return;
    } catch (err) {
      // Only «not a valid search attribute» (INVALID_ARGUMENT) says to wait: a server without the count (the
      // time-skipping test server answers UNIMPLEMENTED) or without the permission cannot tell, and is not waited on.
      if ((err as { code?: number }).code !== grpcStatus.INVALID_ARGUMENT) return;
      if (Date.now() > deadline) {
        logger.warn({ err, names }, 'search attributes registered but not yet accepted by the server');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The dev server's names of the search attribute types (`temporal server start-dev --search-attribute`). */
const devServerTypeName: Record<string, string> = {
  KEYWORD: 'Keyword',
  TEXT: 'Text',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/**
 * The dev server's dynamic configuration, as production's (deploy/temporal/dynamicconfig/production-sql.yaml), as
 * `--dynamic-config-value` options. The CLI turns on `system.forceSearchAttributesCacheRefreshOnRead` so that
 * attributes registered at run time are usable at once, which makes the server read its cluster metadata from the
 * database, under a lock, at every lookup of a search attribute: every workflow start, upsert and visibility write.
 * The journeys upsert theirs at each milestone; the bench measured the dev server's CPU per service journey 9 % lower
 * with it off, and the journeys 8 % faster (BENCHMARKS.md, «The dev server configured as production»).
 */
export function devServerDynamicConfigArgs(): string[] {
  return ['--dynamic-config-value', 'system.forceSearchAttributesCacheRefreshOnRead=false'];
}

/**
 * Options of `temporal server start-dev` for every dev server the project starts (`npm start`, the bench, the fault
 * tests): the dynamic configuration above, and the project's search attributes created with the namespace, so a new
 * data file has them before the server answers. A data file from an earlier release gets the ones it lacks from
 * `registerSearchAttributes` at start, which waits until the server accepts them.
 */
export function devServerArgs(): string[] {
  return [
    ...devServerDynamicConfigArgs(),
    ...allSearchAttributeKeys.flatMap((key) => [
      '--search-attribute',
      `${key.name}=${devServerTypeName[key.type]!}`,
    ]),
  ];
}
