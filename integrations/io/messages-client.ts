import { z } from 'zod';
import { createLogger, type Logger } from '../../common/logger';
import {
  createHttpClient,
  HttpNonRetryableError,
  parseRequestBody,
  urlPath,
  type HttpClient,
  type RetryPolicy,
} from '../http';
import { PERSONAL_FISCAL_CODE } from './schemas';

export const MESSAGES_BASE_PATH = '/api/v1';
/** PagoPA's test recipient: any service, even unpublished, may write to it. */
export const SANDBOX_FISCAL_CODE = 'AAAAAA00A00A000A';

const fiscalCode = z.string().regex(PERSONAL_FISCAL_CODE, 'must be a fiscal code');

export const messageContentSchema = z.object({
  subject: z.string().min(10).max(120),
  markdown: z.string().min(80).max(10_000),
  due_date: z.iso.datetime({ offset: true }).optional(),
});

export const newMessageSchema = z.object({
  fiscal_code: fiscalCode,
  /** Seconds; PagoPA accepts 3600..604800 (default 604800). */
  time_to_live: z.number().int().min(3600).max(604_800).optional(),
  content: messageContentSchema,
});
export type NewMessage = z.infer<typeof newMessageSchema>;

/** CreatedMessage: `id` is optional in the published spec (the 201's `Location` names the message too). */
export const createdMessageSchema = z.object({ id: z.string().optional() });
export type CreatedMessage = z.infer<typeof createdMessageSchema>;

export const limitedProfileSchema = z.object({
  sender_allowed: z.boolean(),
  preferred_languages: z.array(z.string()).optional(),
});
export type LimitedProfile = z.infer<typeof limitedProfileSchema>;

/** IO's messages API. The key is the service's own (primary or secondary), passed per call. */
export interface IoMessagesClient {
  sendMessage(
    serviceKey: string,
    message: NewMessage,
    opts?: { signal?: AbortSignal },
  ): Promise<CreatedMessage>;
  getProfile(
    serviceKey: string,
    fiscalCode: string,
    opts?: { signal?: AbortSignal },
  ): Promise<LimitedProfile>;
}

export interface IoMessagesClientOptions {
  /** The API host, e.g. `https://api.io.pagopa.it`. */
  baseUrl: string;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  http?: HttpClient;
  /** Test seam: the fetch the HTTP client calls (e.g. a recorder for the conformance tests). */
  fetch?: typeof fetch;
}

export class HttpIoMessagesClient implements IoMessagesClient {
  private readonly http: HttpClient;

  constructor(options: IoMessagesClientOptions) {
    this.http =
      options.http ??
      createHttpClient({
        baseUrl: `${options.baseUrl.replace(/\/+$/, '')}${MESSAGES_BASE_PATH}`,
        timeoutMs: options.timeoutMs,
        retry: options.retry,
        logger: options.logger ?? createLogger('io-messages-client'),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
  }

  /**
   * Not retried in-client on 5xx or timeout (only on 429): a second attempt could deliver the
   * message twice. The error says `retryable`; the caller decides.
   */
  async sendMessage(
    serviceKey: string,
    message: NewMessage,
    opts?: { signal?: AbortSignal },
  ): Promise<CreatedMessage> {
    const body = parseRequestBody(newMessageSchema, message, { method: 'POST', path: '/messages' });
    return this.http.request({
      method: 'POST',
      path: '/messages',
      headers: { 'Ocp-Apim-Subscription-Key': serviceKey },
      body,
      schema: createdMessageSchema,
      ...opts,
    });
  }

  async getProfile(
    serviceKey: string,
    fiscalCode: string,
    opts?: { signal?: AbortSignal },
  ): Promise<LimitedProfile> {
    if (!PERSONAL_FISCAL_CODE.test(fiscalCode)) {
      // Nothing is sent: PagoPA's path parameter is a fiscal code. The value stays out of the error.
      throw new HttpNonRetryableError(
        'invalid_request',
        { method: 'GET', path: '/profiles/{fiscal_code}', attempts: 0 },
        'invalid fiscal_code: must be a fiscal code',
        ['fiscal_code: must be a fiscal code'],
      );
    }
    return this.http.request({
      method: 'GET',
      path: urlPath`/profiles/${fiscalCode}`,
      // A citizen's fiscal code is personal data: keep it out of logs and error messages.
      logPath: '/profiles/{fiscal_code}',
      headers: { 'Ocp-Apim-Subscription-Key': serviceKey },
      schema: limitedProfileSchema,
      ...opts,
    });
  }
}

export function createIoMessagesClient(options: IoMessagesClientOptions): IoMessagesClient {
  return new HttpIoMessagesClient(options);
}
