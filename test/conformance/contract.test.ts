import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  API_ROOTS,
  DESCRIPTION_FILES,
  DESCRIPTIONS_DIR,
  dereference,
  loadContract,
  type ApiName,
  type Exchange,
} from './contract';

/** The checker itself: it must catch each kind of drift, or the conformance suite proves nothing. */

const contract = loadContract();
const KEY = { 'ocp-apim-subscription-key': 'k' };
const JSON_TYPE = { 'content-type': 'application/json' };
const PROBLEM_TYPE = { 'content-type': 'application/problem+json' };

function exchange(parts: Omit<Partial<Exchange>, 'url'> & { method: string; url: string }): Exchange {
  return {
    requestHeaders: { ...KEY },
    status: 200,
    responseHeaders: { ...JSON_TYPE },
    responseBody: '',
    ...parts,
    url: new URL(parts.url, 'http://sandbox'),
  };
}

const service = {
  id: '01234567890',
  status: { value: 'draft' },
  last_update: '2025-01-01T00:00:00.000Z',
  name: 'Tassa sui rifiuti (TARI)',
  description: 'Avvisi e pagamenti della TARI.',
  organization: { name: 'Comune di Trento', fiscal_code: '00355870221' },
  metadata: { scope: 'LOCAL', topic: { id: 10, name: 'Redditi, patrimoni e fisco' } },
};

describe('the descriptions', () => {
  it.each(Object.keys(DESCRIPTION_FILES) as ApiName[])(
    '%s: valid OpenAPI 3, with the public spec and commit it follows',
    (name) => {
      const doc = JSON.parse(readFileSync(path.join(DESCRIPTIONS_DIR, DESCRIPTION_FILES[name]), 'utf8')) as {
        openapi: string;
        info: { 'x-sources': { repository: string; commit: string; path: string }[] };
        servers: { url: string }[];
      };
      expect(doc.openapi).toMatch(/^3\.0\./);
      expect(doc.info['x-sources'].length).toBeGreaterThan(0);
      for (const source of doc.info['x-sources']) {
        expect(source.repository).toMatch(/^pagopa\//);
        expect(source.commit).toMatch(/^[0-9a-f]{40}$/);
        expect(source.path).not.toBe('');
      }
      // The servers' path is the root our clients use below their base URL.
      expect(new URL(doc.servers[0]!.url).pathname).toBe(API_ROOTS[name]);
    },
  );

  it('dereference resolves local $refs and refuses others', () => {
    const doc = { a: { $ref: '#/b' }, b: { c: { $ref: '#/d~1e' } }, 'd/e': 1 };
    expect(dereference(doc)).toEqual({ a: { c: 1 }, b: { c: 1 }, 'd/e': 1 });
    expect(() => dereference({ a: { $ref: 'other.json#/x' } })).toThrow('only local');
    expect(() => dereference({ a: { $ref: '#/a' } })).toThrow('circular');
  });
});

describe('requests', () => {
  it('a conforming request has no problem', () => {
    const ok = exchange({ method: 'GET', url: '/api/v1/manage/services?limit=100&offset=0' });
    expect(contract.checkRequest(ok)).toEqual({ api: 'io-manage', operationId: 'getServices', problems: [] });
  });

  it.each([
    ['no subscription key', { requestHeaders: {} }, /no credentials: expected Ocp-Apim-Subscription-Key/],
    ['a query parameter out of range', { url: '/api/v1/manage/services?limit=500' }, /limit must be <= 100/],
    ['an undescribed query parameter', { url: '/api/v1/manage/services?page=2' }, /additional properties/],
    [
      'an undescribed path',
      { url: '/api/v1/manage/services/x/comments' },
      /is not an operation of io-manage/,
    ],
    ['a path outside every API', { url: '/api/v2/other' }, /no description covers/],
  ])('%s is caught', (_what, parts, problem) => {
    const verdict = contract.checkRequest(
      exchange({ method: 'GET', url: '/api/v1/manage/services', ...parts }),
    );
    expect(verdict.problems.join('\n')).toMatch(problem);
  });

  it('a body without topic_id, or with a wrong fiscal code, or of the wrong media type, is caught', () => {
    const { topic: _topic, ...metadata } = service.metadata;
    const body = { ...service, metadata };
    const noTopic = contract.checkRequest(
      exchange({
        method: 'POST',
        url: '/api/v1/manage/services',
        requestHeaders: { ...KEY, ...JSON_TYPE },
        requestBody: JSON.stringify(body),
      }),
    );
    expect(noTopic.problems.join('\n')).toMatch(/topic_id/);
    const wrongCode = contract.checkRequest(
      exchange({
        method: 'POST',
        url: '/api/v1/messages',
        requestHeaders: { ...KEY, ...JSON_TYPE },
        requestBody: JSON.stringify({
          fiscal_code: 'not-a-code',
          content: { subject: 'Oggetto del messaggio', markdown: 'x'.repeat(80) },
        }),
      }),
    );
    expect(wrongCode.problems.join('\n')).toMatch(/fiscal_code must match pattern/);
    const text = contract.checkRequest(
      exchange({
        method: 'PUT',
        url: '/api/v1/manage/services/x/review',
        requestHeaders: { ...KEY, 'content-type': 'text/plain' },
        requestBody: '{"auto_publish":true}',
      }),
    );
    expect(text.problems.join('\n')).toMatch(/content-type text\/plain/);
  });
});

describe('answers', () => {
  it('a conforming answer has no problem, whatever the service id looks like', () => {
    const ok = exchange({
      method: 'GET',
      url: '/api/v1/manage/services/01234567890',
      responseBody: JSON.stringify(service),
    });
    expect(contract.checkResponse(ok).problems).toEqual([]);
  });

  it.each([
    ['an undescribed status', { status: 418 }, /status 418 is not in the description/],
    ['a missing required field', { body: { ...service, last_update: undefined } }, /last_update/],
    ['a wrong enum value', { body: { ...service, status: { value: 'published' } } }, /allowed values/],
    ['a wrong media type', { headers: { 'content-type': 'text/html' } }, /content-type text\/html/],
    ['no body', { body: null }, /no body/],
  ])('%s is caught', (_what, change, problem) => {
    const c = change as { status?: number; body?: unknown; headers?: Record<string, string> };
    const ex = exchange({
      method: 'GET',
      url: '/api/v1/manage/services/01234567890',
      status: c.status ?? 200,
      responseHeaders: c.headers ?? { ...JSON_TYPE },
      responseBody: c.body === null ? '' : JSON.stringify(c.body ?? service),
    });
    expect(contract.checkResponse(ex).problems.join('\n')).toMatch(problem);
  });

  it('problem+json bodies are validated too, and a 204 must be empty', () => {
    const notProblem = exchange({
      method: 'GET',
      url: '/external/v2/institutions?taxCode=1',
      status: 404,
      responseHeaders: { ...PROBLEM_TYPE },
      responseBody: JSON.stringify({ detail: 'no title, no status' }),
    });
    expect(contract.checkResponse(notProblem).problems.join('\n')).toMatch(/required property 'title'/);
    const body204 = exchange({
      method: 'DELETE',
      url: '/api/v1/manage/services/x',
      status: 204,
      responseBody: '{}',
    });
    expect(contract.checkResponse(body204).problems.join('\n')).toMatch(/a 204 body/);
  });
});
