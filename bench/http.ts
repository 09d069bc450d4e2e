import http from 'node:http';
import type { LatencyBook } from './stats';

export interface ApiAnswer {
  status: number;
  ms: number;
  body: unknown;
  /** Wall clock when the request was sent (epoch ms). */
  sentAtMs: number;
  /** The answer's `Server-Timing` header (api/timing.ts). */
  serverTiming: string | null;
}

/**
 * Calls the back office's API with a bearer token; the latency of each answer goes to `book` under `series`.
 *
 * Over `node:http` with kept-alive connections, not `fetch`: the readers share the box with what they measure, and
 * undici's `fetch` spent about 0.7 ms of CPU per call in the bench's process (a CPU profile of a 200/60 run: 20 s of
 * it), CPU the journeys then did not have. A browser elsewhere costs the box nothing.
 */
export class ApiCaller {
  /** Answers that are neither 2xx nor an expected refusal: what makes a run BROKEN. */
  readonly errors: { series: string; status: number; detail: string }[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly book: LatencyBook,
  ) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:') throw new Error(`the bench calls its own API over http: ${baseUrl}`);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  async call(
    series: string,
    token: string,
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; expected?: number[] } = {},
  ): Promise<ApiAnswer> {
    const started = performance.now();
    const sentAtMs = Date.now();
    let status = 0;
    let body: unknown;
    let serverTiming: string | null = null;
    try {
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
      const res = await this.request(
        method,
        path,
        {
          authorization: `Bearer ${token}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
          ...options.headers,
        },
        payload,
      );
      status = res.status;
      serverTiming = res.serverTiming;
      body = res.text && res.json ? JSON.parse(res.text) : res.text;
    } catch (err) {
      body = String(err);
    }
    const ms = performance.now() - started;
    if (status >= 200 && status < 300) this.book.record(series, ms);
    else {
      this.book.status(series, status);
      if (!options.expected?.includes(status)) {
        const detail = typeof body === 'string' ? body : JSON.stringify(body);
        this.errors.push({ series, status, detail: `${method} ${path}: ${detail.slice(0, 300)}` });
      }
    }
    return { status, ms, body, sentAtMs, serverTiming };
  }

  private request(
    method: string,
    path: string,
    headers: Record<string, string>,
    payload: string | undefined,
  ): Promise<{ status: number; serverTiming: string | null; json: boolean; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path: `${this.base.pathname.replace(/\/$/, '')}${path}`,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const timing = res.headers['server-timing'];
            resolve({
              status: res.statusCode ?? 0,
              serverTiming: (Array.isArray(timing) ? timing.join(', ') : timing) ?? null,
              json: res.headers['content-type']?.includes('json') ?? false,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}
