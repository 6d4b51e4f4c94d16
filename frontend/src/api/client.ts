/**
 * Minimal typed client for the Skilldex HTTP API.
 *
 * Every API error is a JSON envelope `{ "error": { "code", "message", "details" } }`
 * with a matching HTTP status. `apiFetch` turns that envelope, and transport
 * failures (network, timeout, malformed JSON), into an {@link ApiError}.
 */

/** The `error` object of the API's error envelope. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

/** Codes produced by the client itself, when the server gave no envelope. */
export const ClientErrorCode = {
  /** The request did not finish within its timeout. */
  Timeout: 'client_timeout',
  /** The caller aborted the request through its own signal. */
  Aborted: 'client_aborted',
  /** The request never got an HTTP response (DNS, refused, CORS, offline). */
  Network: 'client_network',
  /** A response arrived but its body was not the JSON we expected. */
  InvalidResponse: 'client_invalid_response',
  /** A non-2xx response without an error envelope (e.g. a proxy's 502 page). */
  Http: 'client_http',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status, or 0 when no response was received. */
  readonly status: number;
  /** Machine-readable code from the envelope, or a {@link ClientErrorCode}. */
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, body: ApiErrorBody, options?: { cause?: unknown }) {
    super(body.message, options);
    this.status = status;
    this.code = body.code;
    this.details = body.details;
  }

  /** True when the error came from the server's error envelope. */
  get fromServer(): boolean {
    return this.status !== 0 && this.code !== ClientErrorCode.Http;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** Narrow an unknown JSON value to the error envelope, or return undefined. */
export function parseErrorEnvelope(value: unknown): ApiErrorBody | undefined {
  if (typeof value !== 'object' || value === null || !('error' in value)) return undefined;
  const error: unknown = value.error;
  if (typeof error !== 'object' || error === null) return undefined;
  if (!('code' in error) || typeof error.code !== 'string') return undefined;
  if (!('message' in error) || typeof error.message !== 'string') return undefined;
  return {
    code: error.code,
    message: error.message,
    details: 'details' in error ? error.details : undefined,
  };
}

/** Default timeout for API requests. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Base URL of the API, without a trailing slash. Empty means "same origin":
 * in production the API serves the UI, and in development Vite proxies
 * `/api`, `/health` and `/metrics`. Set `VITE_API_BASE_URL` at build time to
 * point a separately hosted UI at another origin.
 */
export const API_BASE_URL: string = (import.meta.env.VITE_API_BASE_URL ?? '').replace(/\/+$/, '');

export function apiUrl(path: string, baseUrl: string = API_BASE_URL): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

export interface ApiRequestOptions extends Omit<RequestInit, 'body'> {
  /** Serialised as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Raw body; ignored when `json` is set. */
  body?: BodyInit | null;
  /** Milliseconds before the request is aborted; `0` disables the timeout. */
  timeoutMs?: number;
  /** Overrides {@link API_BASE_URL}. */
  baseUrl?: string;
}

/**
 * Fetch `path` from the API and return its parsed JSON body.
 *
 * Resolves for 2xx responses (an empty body, e.g. 204, yields `undefined`).
 * Rejects with an {@link ApiError} for everything else.
 *
 * The type parameter is a promise about the server's contract, not a runtime
 * check; pass `parse` to validate the body when that matters.
 */
export async function apiFetch<T>(
  path: string,
  options: ApiRequestOptions = {},
  parse?: (data: unknown) => T,
): Promise<T> {
  const { json, body, timeoutMs = DEFAULT_TIMEOUT_MS, baseUrl, signal, headers, ...init } = options;

  const requestHeaders = new Headers(headers);
  if (!requestHeaders.has('Accept')) requestHeaders.set('Accept', 'application/json');
  let requestBody = body;
  if (json !== undefined) {
    requestHeaders.set('Content-Type', 'application/json');
    requestBody = JSON.stringify(json);
  }

  // One controller aborts the request on timeout or when the caller aborts.
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
  const onCallerAbort = () => controller.abort();
  if (signal?.aborted) controller.abort();
  else signal?.addEventListener('abort', onCallerAbort, { once: true });

  try {
    let response: Response;
    try {
      response = await fetch(apiUrl(path, baseUrl), {
        ...init,
        headers: requestHeaders,
        body: requestBody,
        signal: controller.signal,
      });
    } catch (cause) {
      throw transportError(cause, timedOut, controller.signal.aborted, timeoutMs);
    }

    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw transportError(cause, timedOut, controller.signal.aborted, timeoutMs);
    }

    let data: unknown = undefined;
    let parseFailure: unknown = undefined;
    if (text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch (cause) {
        parseFailure = cause;
      }
    }

    if (!response.ok) {
      const envelope = parseErrorEnvelope(data);
      if (envelope) throw new ApiError(response.status, envelope);
      throw new ApiError(response.status, {
        code: ClientErrorCode.Http,
        message: `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
      });
    }

    if (parseFailure !== undefined) {
      throw new ApiError(
        response.status,
        { code: ClientErrorCode.InvalidResponse, message: 'The server response was not valid JSON' },
        { cause: parseFailure },
      );
    }

    if (!parse) return data as T;
    try {
      return parse(data);
    } catch (cause) {
      throw new ApiError(
        response.status,
        {
          code: ClientErrorCode.InvalidResponse,
          message: 'The server response had an unexpected shape',
          details: cause instanceof Error ? cause.message : undefined,
        },
        { cause },
      );
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }
}

function transportError(
  cause: unknown,
  timedOut: boolean,
  aborted: boolean,
  timeoutMs: number,
): ApiError {
  if (timedOut) {
    return new ApiError(
      0,
      { code: ClientErrorCode.Timeout, message: `The request timed out after ${timeoutMs} ms` },
      { cause },
    );
  }
  if (aborted) {
    return new ApiError(0, { code: ClientErrorCode.Aborted, message: 'The request was aborted' }, { cause });
  }
  return new ApiError(
    0,
    { code: ClientErrorCode.Network, message: 'Could not reach the Skilldex API' },
    { cause },
  );
}
