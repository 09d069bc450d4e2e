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

/** Calls the back office's API with a bearer token; the latency of each answer goes to `book` under `series`. */
export class ApiCaller {
  /** Answers that are neither 2xx nor an expected refusal: what makes a run BROKEN. */
  readonly errors: { series: string; status: number; detail: string }[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly book: LatencyBook,
  ) {}

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
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      status = res.status;
      serverTiming = res.headers.get('server-timing');
      const text = await res.text();
      body = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
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
}
