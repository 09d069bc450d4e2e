import request from 'supertest';
import type { Express } from 'express';
import type { Role } from '../../api/auth/roles';

/**
 * The API's operations as its generated OpenAPI document lists them (as the authorisation matrix reads them):
 * the security tests derive their endpoint list, request schemas and parameters from here, so an endpoint added
 * later is covered (or flagged as uncovered) without editing a list by hand.
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The subset of JSON Schema the generator emits for request bodies and parameters. */
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: Method;
  /** OpenAPI path, e.g. `/comuni/{ipa}/adhesion`. */
  template: string;
  /** `post /comuni/{ipa}/adhesion`: how the tables name an operation. */
  key: string;
  role: Role | 'public';
  parameters: Parameter[];
  /** The JSON body's schema ($refs resolved), when the body is JSON. */
  jsonBody?: JsonSchema;
  /** The multipart file field, when the body is an upload. */
  uploadField?: string;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        'x-required-role': Role | 'public';
        parameters?: Parameter[];
        requestBody?: { content: Record<string, { schema: JsonSchema }> };
      }
    >
  >;
  components?: { schemas?: Record<string, JsonSchema> };
}

function resolve(schema: JsonSchema, doc: OpenApiDocument): JsonSchema {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolve(doc.components?.schemas?.[name] ?? {}, doc);
  }
  if (!schema.properties) return schema;
  return {
    ...schema,
    properties: Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => [key, resolve(value, doc)]),
    ),
  };
}

export async function loadOperations(app: Express): Promise<Operation[]> {
  const doc = (await request(app).get('/api/v1/openapi.json').expect(200)).body as OpenApiDocument;
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      const multipart = content['multipart/form-data']?.schema;
      const uploadField = multipart
        ? Object.entries(resolve(multipart, doc).properties ?? {}).find(([, s]) => s.format === 'binary')?.[0]
        : undefined;
      ops.push({
        method: method as Method,
        template,
        key: `${method} ${template}`,
        role: op['x-required-role'],
        parameters: (op.parameters ?? []).map((p) => ({ ...p, schema: resolve(p.schema, doc) })),
        ...(json ? { jsonBody: resolve(json, doc) } : {}),
        ...(uploadField ? { uploadField } : {}),
      });
    }
  }
  return ops;
}

/** The operation's path with its parameters filled in (`{ipa}` → values.ipa). */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no sample value for {${name}} in ${template}`);
    return encodeURIComponent(value);
  });
}
