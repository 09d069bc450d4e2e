import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  OpenAPIBackend,
  OpenAPIRouter,
  OpenAPIValidator,
  ValidationContext,
  type Document,
  type Operation,
} from 'openapi-backend';

/**
 * Our OpenAPI descriptions of PagoPA's APIs (integrations/pagopa-openapi), checked with openapi-backend: the
 * description itself against the OpenAPI 3 schema, then its router matches a request to its operation and its
 * validator (Ajv underneath) checks path, query and body, and answers by status. What it leaves out (the
 * subscription key, media types, undocumented statuses, problem+json bodies) is checked here from the same
 * description.
 *
 * `OpenAPIBackend.init()` loads json-schema-ref-parser, an ES module, through `import()`, which Jest cannot run
 * without `--experimental-vm-modules`: the descriptions are JSON with local `$ref`s only, resolved below, and the
 * router and validator are built from the dereferenced document, as `init()` does.
 */

export const DESCRIPTIONS_DIR = path.resolve(__dirname, '../../integrations/pagopa-openapi');

export type ApiName = 'io-manage' | 'io-messages' | 'selfcare';

/** Where each API lives below the base URL our clients are given (the sandbox's, or PagoPA's hosts). */
export const API_ROOTS: Record<ApiName, string> = {
  'io-manage': '/api/v1/manage',
  'io-messages': '/api/v1',
  selfcare: '/external/v2',
};

export const DESCRIPTION_FILES: Record<ApiName, string> = {
  'io-manage': 'io-manage.json',
  'io-messages': 'io-messages.json',
  selfcare: 'selfcare-external-v2.json',
};

/** One HTTP exchange as a client sent it and as the server answered. */
export interface Exchange {
  method: string;
  url: URL;
  /** Lower-case names. */
  requestHeaders: Record<string, string>;
  /** The raw body sent, when any. */
  requestBody?: string;
  status: number;
  /** Lower-case names. */
  responseHeaders: Record<string, string>;
  responseBody: string;
}

export interface Verdict {
  api?: ApiName;
  operationId?: string;
  problems: string[];
}

/** The parts of an OpenAPI 3 document read here (openapi-backend has dereferenced every `$ref`). */
interface MediaTypeObject {
  schema?: object;
}
interface ResponseObject {
  content?: Record<string, MediaTypeObject>;
}
interface RequestBodyObject {
  content: Record<string, MediaTypeObject>;
}
interface ApiKeyScheme {
  type: string;
  in?: string;
  name?: string;
}
type SecurityRequirement = Record<string, string[]>;
type ValidateFunction = ReturnType<ReturnType<OpenAPIValidator['getAjv']>['compile']>;

export interface LoadedApi {
  name: ApiName;
  root: string;
  /** As written (with `$ref`s). */
  document: Document;
  /** Every `$ref` resolved. */
  definition: Document;
  router: OpenAPIRouter<Document>;
  validator: OpenAPIValidator<Document>;
}

export interface Contract {
  apis: LoadedApi[];
  /** Every operation id of every description, as `api:operationId`. */
  operations(): string[];
  checkRequest(ex: Exchange): Verdict;
  checkResponse(ex: Exchange): Verdict;
  /** The API whose root `pathname` is under. */
  apiFor(pathname: string): LoadedApi | undefined;
}

const mediaType = (value: string | undefined): string => (value ?? '').split(';')[0]!.trim().toLowerCase();

function describeErrors(errors: { instancePath?: string; message?: string; params?: unknown }[]): string[] {
  return errors.map(
    (e) => `${e.instancePath || '(root)'} ${e.message ?? 'invalid'} ${JSON.stringify(e.params)}`,
  );
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Resolves the local `$ref`s (`#/components/...`) of a description; anything else is an error. */
export function dereference<T>(document: T): T {
  const root = structuredClone(document) as unknown;
  const resolving = new Set<string>();
  const resolved = new Map<string, unknown>();
  const target = (ref: string): unknown => {
    if (!ref.startsWith('#/')) throw new Error(`only local $ref are supported: ${ref}`);
    const cached = resolved.get(ref);
    if (cached !== undefined) return cached;
    if (resolving.has(ref)) throw new Error(`circular $ref: ${ref}`);
    resolving.add(ref);
    let node: unknown = root;
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
      node = (node as Record<string, unknown> | undefined)?.[key];
      if (node === undefined) throw new Error(`$ref to nothing: ${ref}`);
    }
    const value = walk(node);
    resolving.delete(ref);
    resolved.set(ref, value);
    return value;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const record = node as Record<string, unknown>;
    if (typeof record.$ref === 'string') return target(record.$ref);
    for (const [k, v] of Object.entries(record)) record[k] = walk(v);
    return record;
  };
  return walk(root) as T;
}

/** RFC 3339 `date-time` (openapi-backend registers OpenAPI's numeric and byte formats, not this one). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const withDateTime: NonNullable<ConstructorParameters<typeof OpenAPIValidator>[0]['customizeAjv']> = (
  ajv,
) => {
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (v: string) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)),
  });
  return ajv;
};

/** Loads every description; one that is not valid OpenAPI 3 throws (openapi-backend's `validateDefinition`). */
export function loadDescription(name: ApiName): LoadedApi {
  const document = JSON.parse(
    readFileSync(path.join(DESCRIPTIONS_DIR, DESCRIPTION_FILES[name]), 'utf8'),
  ) as Document;
  const checker = new OpenAPIBackend<Document>({ definition: document, quick: true });
  checker.document = document;
  checker.validateDefinition();
  const definition = dereference(document);
  const router = new OpenAPIRouter<Document>({ definition, apiRoot: API_ROOTS[name] });
  const validator = new OpenAPIValidator<Document>({
    definition,
    router,
    ajvOpts: { allErrors: true },
    customizeAjv: withDateTime,
  });
  return { name, root: API_ROOTS[name], document, definition, router, validator };
}

export function loadContract(): Contract {
  const apis = (Object.keys(DESCRIPTION_FILES) as ApiName[]).map(loadDescription);
  // The longest root first: `/api/v1/manage` before `/api/v1`.
  apis.sort((a, b) => b.root.length - a.root.length);

  const problemValidators = new WeakMap<object, ValidateFunction>();

  const apiFor = (pathname: string) =>
    apis.find((a) => pathname === a.root || pathname.startsWith(`${a.root}/`));

  const operationOf = (ex: Exchange) => {
    const api = apiFor(ex.url.pathname);
    if (!api) return { problems: [`no description covers ${ex.url.pathname}`] };
    const operation = api.router.matchOperation({
      method: ex.method,
      path: ex.url.pathname,
      headers: ex.requestHeaders,
    });
    if (!operation) {
      return { api, problems: [`${ex.method} ${ex.url.pathname} is not an operation of ${api.name}`] };
    }
    return { api, operation, problems: [] as string[] };
  };

  function securityProblems(api: LoadedApi, operation: Operation<Document>, ex: Exchange): string[] {
    const document = api.definition;
    const requirements = (operation.security ?? document.security ?? []) as SecurityRequirement[];
    if (requirements.length === 0) return [];
    const schemes = (document.components?.securitySchemes ?? {}) as Record<string, ApiKeyScheme | undefined>;
    const satisfied = requirements.some((requirement) =>
      Object.keys(requirement).every((schemeName) => {
        const scheme = schemes[schemeName];
        if (scheme?.type !== 'apiKey' || !scheme.name) return false;
        if (scheme.in === 'header') return Boolean(ex.requestHeaders[scheme.name.toLowerCase()]);
        if (scheme.in === 'query') return Boolean(ex.url.searchParams.get(scheme.name));
        return false;
      }),
    );
    if (satisfied) return [];
    const names = requirements.flatMap((r) => Object.keys(r).map((n) => schemes[n]?.name ?? n));
    return [`no credentials: expected ${names.join(' or ')}`];
  }

  function checkRequest(ex: Exchange): Verdict {
    const found = operationOf(ex);
    if (!found.operation) return { api: found.api?.name, problems: found.problems };
    const { api, operation } = found;
    const problems: string[] = [];
    const contentType = mediaType(ex.requestHeaders['content-type']);
    let body: unknown;
    if (ex.requestBody !== undefined && ex.requestBody !== '') {
      const parsed = parseJson(ex.requestBody);
      if (!parsed.ok) problems.push('the request body is not JSON');
      else body = parsed.value;
    }
    const requestBody = operation.requestBody as RequestBodyObject | undefined;
    if (!requestBody && body !== undefined) problems.push('a body the operation does not take');
    if (requestBody && body !== undefined && !requestBody.content[contentType]) {
      problems.push(
        `content-type ${contentType || '(none)'} not in ${Object.keys(requestBody.content).join(', ')}`,
      );
    }
    const result = api.validator.validateRequest(
      {
        method: ex.method,
        path: ex.url.pathname,
        query: ex.url.search.replace(/^\?/, ''),
        headers: ex.requestHeaders,
        ...(body === undefined ? {} : { body }),
      },
      operation,
    );
    if (!result.valid) problems.push(...describeErrors(result.errors ?? []));
    problems.push(...securityProblems(api, operation, ex));
    return { api: api.name, operationId: operation.operationId, problems };
  }

  function checkResponse(ex: Exchange): Verdict {
    const found = operationOf(ex);
    if (!found.operation) return { api: found.api?.name, problems: found.problems };
    const { api, operation } = found;
    const verdict = (problems: string[]): Verdict => ({
      api: api.name,
      operationId: operation.operationId,
      problems,
    });
    const responses = (operation.responses ?? {}) as Record<string, ResponseObject | undefined>;
    const key = [String(ex.status), `${Math.floor(ex.status / 100)}XX`, 'default'].find((k) => responses[k]);
    if (!key) return verdict([`status ${ex.status} is not in the description`]);
    const response = responses[key]!;
    const hasBody = ex.responseBody.trim() !== '';
    if (!response.content) {
      // Error statuses without a described body (the gateway's) accept any; a success without content has none.
      return verdict(ex.status < 300 && hasBody ? [`a ${ex.status} body the description does not have`] : []);
    }
    if (!hasBody)
      return verdict([`no body, the description has ${Object.keys(response.content).join(', ')}`]);
    const type = mediaType(ex.responseHeaders['content-type']);
    const media = response.content[type];
    if (!media) {
      return verdict([`content-type ${type || '(none)'} not in ${Object.keys(response.content).join(', ')}`]);
    }
    const parsed = parseJson(ex.responseBody);
    if (!parsed.ok) return verdict(['the body is not JSON']);
    if (type === 'application/json') {
      const result = api.validator.validateResponse(parsed.value, operation, ex.status);
      return verdict(result.valid ? [] : describeErrors(result.errors ?? []));
    }
    // openapi-backend validates only application/json bodies: problem+json goes through its own Ajv set-up.
    const schema = media.schema ?? {};
    let validate = problemValidators.get(schema);
    if (!validate) {
      validate = api.validator.getAjv(ValidationContext.Response).compile(schema);
      problemValidators.set(schema, validate);
    }
    return verdict(validate(parsed.value) ? [] : describeErrors(validate.errors ?? []));
  }

  return {
    apis,
    operations: () =>
      apis.flatMap((a) => a.router.getOperations().map((o) => `${a.name}:${o.operationId ?? '?'}`)),
    checkRequest,
    checkResponse,
    apiFor,
  };
}

/** A fetch that records every exchange (request as sent, answer as received) and passes the answer on. */
export function recordingFetch(exchanges: Exchange[], inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const requestBody = typeof init?.body === 'string' ? init.body : undefined;
    const response = await inner(input, init);
    const responseBody = await response.clone().text();
    exchanges.push({
      method: request.method,
      url: new URL(request.url),
      requestHeaders: Object.fromEntries([...request.headers].map(([k, v]) => [k.toLowerCase(), v])),
      ...(requestBody === undefined ? {} : { requestBody }),
      status: response.status,
      responseHeaders: Object.fromEntries([...response.headers].map(([k, v]) => [k.toLowerCase(), v])),
      responseBody,
    });
    return response;
  };
}
