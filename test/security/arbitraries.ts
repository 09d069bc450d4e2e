import fc from 'fast-check';
import type { JsonSchema, Parameter } from './openapi';

/**
 * fast-check generators of requests that are invalid by construction, derived from the OpenAPI schemas: random
 * JSON with at least one declared field of the wrong type, arrays where objects are expected, text that is not
 * JSON, query strings with random noise and at least one declared parameter out of its domain. Being invalid by
 * construction, none may ever be accepted; the suite checks the API says why, and that Temporal saw nothing.
 */

const text = (maxLength = 40) => fc.string({ unit: 'grapheme', maxLength });

/** The JSON type a schema declares (a union of one type counts as that type); undefined: anything goes. */
function declaredType(schema: JsonSchema): string | undefined {
  if (schema.type) return schema.type;
  const members = schema.anyOf ?? schema.oneOf;
  if (members?.length && members.every((m) => m.type && m.type === members[0]!.type)) return members[0]!.type;
  return schema.enum ? 'string' : undefined;
}

/** A JSON value the schema refuses for its type alone. */
export function wrongTypeValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  const type = declaredType(schema);
  const values: fc.Arbitrary<unknown>[] = [];
  if (type !== 'string') values.push(text());
  if (type !== 'number' && type !== 'integer') {
    values.push(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  }
  if (type !== 'boolean') values.push(fc.boolean());
  if (!schema.nullable) values.push(fc.constant(null));
  if (type !== 'array') values.push(fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }));
  if (type !== 'object') values.push(fc.dictionary(text(12), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }));
  if (schema.enum) values.push(text().filter((v) => !schema.enum!.includes(v)));
  return fc.oneof(...values);
}

export interface InvalidBody {
  kind: 'array' | 'wrong-types' | 'free-form' | 'not-json';
  /** JSON text sent with `Content-Type: application/json`. */
  raw: string;
  /** The declared fields given a value of the wrong type: the Problem must name at least one. */
  poisoned: string[];
}

/** Text that is not a JSON document (and not blank, which body-parser reads as no body). */
export const notJson: fc.Arbitrary<InvalidBody> = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 60 })
  .filter((s) => {
    if (s.trim() === '') return false;
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  })
  .map((raw) => ({ kind: 'not-json' as const, raw, poisoned: [] }));

/** A JSON body the endpoint's schema cannot accept. */
export function invalidJsonBody(schema: JsonSchema): fc.Arbitrary<InvalidBody> {
  const declared = schema.properties ?? {};
  const typed = Object.keys(declared).filter((key) => declaredType(declared[key]!) !== undefined);
  const bodies: fc.Arbitrary<InvalidBody>[] = [
    notJson,
    // Every body is an object: an array never is.
    fc
      .array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 })
      .map((body) => ({ kind: 'array' as const, raw: JSON.stringify(body), poisoned: [] })),
  ];
  if (typed.length > 0) {
    const noise = fc.dictionary(
      text(16).filter((k) => !(k in declared)),
      fc.jsonValue({ maxDepth: 3 }),
      { maxKeys: 6 },
    );
    bodies.push(
      fc
        .tuple(noise, fc.subarray(typed, { minLength: 1 }))
        .chain(([extra, chosen]) =>
          fc.tuple(
            fc.constant(extra),
            fc.constant(chosen),
            fc.tuple(...chosen.map((k) => wrongTypeValue(declared[k]!))),
          ),
        )
        .map(([extra, chosen, values]) => ({
          kind: 'wrong-types' as const,
          raw: JSON.stringify({ ...extra, ...Object.fromEntries(chosen.map((k, i) => [k, values[i]])) }),
          poisoned: chosen,
        })),
    );
  } else if (schema.additionalProperties) {
    // A free-form record (a registration): random fields are each checked and the whole refused.
    bodies.push(
      fc
        .dictionary(text(16), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 10 })
        .map((body) => ({ kind: 'free-form' as const, raw: JSON.stringify(body), poisoned: [] })),
    );
  }
  return fc.oneof(...bodies);
}

/**
 * Whether the server might accept `value` for this parameter: conservative (when in doubt, yes), because the
 * generators below keep only values for which it says no. Mirrors zod's coercions and trims.
 */
export function mightAccept(schema: JsonSchema, value: string): boolean {
  const candidates = [value, value.trim(), value.trim().toLowerCase(), value.trim().toUpperCase()];
  if (schema.enum) return candidates.some((v) => schema.enum!.includes(v));
  if (schema.type === 'integer' || schema.type === 'number') {
    const n = Number(value);
    return (
      Number.isFinite(n) &&
      (schema.type === 'number' || Number.isInteger(n)) &&
      (schema.minimum === undefined || n >= schema.minimum) &&
      (schema.maximum === undefined || n <= schema.maximum)
    );
  }
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    if (!candidates.some((v) => re.test(v))) return false;
  }
  if (schema.format === 'date' && !candidates.some((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return false;
  const lengthOk = (v: string) =>
    (schema.minLength === undefined || v.length >= schema.minLength) &&
    (schema.maxLength === undefined || v.length <= schema.maxLength);
  return candidates.some(lengthOk);
}

/** Whether a parameter has values the server refuses (a free string has none). */
const constrained = (s: JsonSchema) =>
  Boolean(
    s.enum ||
    s.type === 'integer' ||
    s.type === 'number' ||
    s.pattern ||
    s.format === 'date' ||
    s.minLength !== undefined ||
    s.maxLength !== undefined,
  );

/** Values out of the parameter's domain; an array means the parameter repeated (`a=1&a=2`). */
export function invalidQueryValue(schema: JsonSchema): fc.Arbitrary<string | string[]> {
  const refused = (arb: fc.Arbitrary<string>) => arb.filter((v) => !mightAccept(schema, v));
  const values: fc.Arbitrary<string | string[]>[] = [
    refused(text()),
    refused(fc.string({ unit: 'grapheme-ascii', maxLength: 12 })),
    // Repeated, a parameter becomes an array, which no schema here accepts.
    fc.tuple(text(8), text(8)).map(([a, b]) => [a, b]),
  ];
  if (schema.type === 'integer' || schema.type === 'number') {
    if (schema.minimum !== undefined)
      values.push(fc.integer({ min: -1e9, max: schema.minimum - 1 }).map(String));
    if (schema.maximum !== undefined) values.push(fc.integer({ min: schema.maximum + 1 }).map(String));
    values.push(refused(fc.double({ noNaN: true }).map(String)));
  }
  if (schema.maxLength !== undefined) {
    values.push(
      refused(
        fc.string({ unit: 'grapheme', minLength: schema.maxLength + 1, maxLength: schema.maxLength + 30 }),
      ),
    );
  }
  if (schema.enum) values.push(fc.constantFrom(...(schema.enum as string[])).map((v) => `${v}_x`));
  return fc.oneof(...values);
}

export interface InvalidQuery {
  query: string;
  /** The declared parameters given a refused value: the Problem must name them. */
  poisoned: string[];
}

/** A query string of random noise plus at least one declared parameter out of its domain. */
export function invalidQuery(parameters: Parameter[]): fc.Arbitrary<InvalidQuery> {
  const query = parameters.filter((p) => p.in === 'query');
  const names = new Set(query.map((p) => p.name));
  const poisonable = query.filter((p) => constrained(p.schema));
  if (poisonable.length === 0) throw new Error('no constrained query parameter to poison');
  const pair = (k: string, v: string) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
  const noise = fc.array(
    fc.tuple(
      text(12).filter((k) => k.length > 0 && !names.has(k)),
      text(),
    ),
    { maxLength: 5 },
  );
  return fc
    .tuple(noise, fc.subarray(poisonable, { minLength: 1 }))
    .chain(([junk, chosen]) =>
      fc.tuple(...chosen.map((p) => invalidQueryValue(p.schema))).map((values) => ({ junk, chosen, values })),
    )
    .chain(({ junk, chosen, values }) => {
      const poisonPairs = chosen.flatMap((p, i) => {
        const v = values[i]!;
        return (Array.isArray(v) ? v : [v]).map((x) => pair(p.name, x));
      });
      return fc
        .shuffledSubarray([...junk.map(([k, v]) => pair(k, v)), ...poisonPairs], {
          minLength: junk.length + poisonPairs.length,
        })
        .map((pairs) => ({ query: pairs.join('&'), poisoned: chosen.map((p) => p.name) }));
    });
}
