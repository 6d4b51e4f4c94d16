import { describe, expect, it, vi } from 'vitest';
import { mockFetchRoutes, errorEnvelope, jsonResponse } from '../test/fetch.ts';
import { ApiError, ClientErrorCode, apiFetch, apiUrl, isApiError, parseErrorEnvelope } from './client.ts';

async function captureError(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(isApiError(error)).toBe(true);
    return error as ApiError;
  }
  throw new Error('expected the promise to reject');
}

describe('apiFetch', () => {
  it('returns the parsed JSON body of a 2xx response', async () => {
    const fetchMock = mockFetchRoutes({ '/health': { status: 200, body: { status: 'ok', version: '0.1.0' } } });

    await expect(apiFetch('/health')).resolves.toEqual({ status: 'ok', version: '0.1.0' });

    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe('/health');
    expect(new Headers(init?.headers).get('Accept')).toBe('application/json');
  });

  it('turns the error envelope into a typed ApiError', async () => {
    mockFetchRoutes({
      '/health/db': {
        status: 503,
        body: errorEnvelope('unavailable', 'database is unavailable', { dependency: 'database' }),
      },
    });

    const error = await captureError(apiFetch('/health/db'));

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ApiError');
    expect(error.status).toBe(503);
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe('database is unavailable');
    expect(error.details).toEqual({ dependency: 'database' });
    expect(error.fromServer).toBe(true);
  });

  it('reports a non-envelope error response with its HTTP status', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })),
    );

    const error = await captureError(apiFetch('/api/v1/skills'));

    expect(error.status).toBe(502);
    expect(error.code).toBe(ClientErrorCode.Http);
    expect(error.message).toBe('HTTP 502 Bad Gateway');
    expect(error.fromServer).toBe(false);
  });

  it('rejects a 2xx response whose body is not JSON', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('not json', { status: 200 })));

    const error = await captureError(apiFetch('/health'));

    expect(error.status).toBe(200);
    expect(error.code).toBe(ClientErrorCode.InvalidResponse);
  });

  it('runs an optional parser and reports its failure as an invalid response', async () => {
    mockFetchRoutes({ '/health': { status: 200, body: { status: 'ok' } } });
    const parse = (data: unknown) => {
      if (typeof data === 'object' && data !== null && 'version' in data) return data;
      throw new Error('missing version');
    };

    const error = await captureError(apiFetch('/health', {}, parse));

    expect(error.code).toBe(ClientErrorCode.InvalidResponse);
    expect(error.details).toBe('missing version');
  });

  it('resolves undefined for an empty 204 response', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(204)));

    await expect(apiFetch('/api/v1/thing', { method: 'DELETE' })).resolves.toBeUndefined();
  });

  it('maps a network failure to status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));

    const error = await captureError(apiFetch('/health'));

    expect(error.status).toBe(0);
    expect(error.code).toBe(ClientErrorCode.Network);
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('aborts and reports a timeout', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        (_input: RequestInfo | URL, init?: RequestInit) =>
          new Promise<Response>((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
          }),
      ),
    );

    const error = await captureError(apiFetch('/health', { timeoutMs: 20 }));

    expect(error.status).toBe(0);
    expect(error.code).toBe(ClientErrorCode.Timeout);
    expect(error.message).toContain('20 ms');
  });

  it('reports an abort requested by the caller', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        (_input: RequestInfo | URL, init?: RequestInit) =>
          new Promise<Response>((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
          }),
      ),
    );
    const controller = new AbortController();

    const pending = captureError(apiFetch('/health', { signal: controller.signal }));
    controller.abort();
    const error = await pending;

    expect(error.code).toBe(ClientErrorCode.Aborted);
  });

  it('sends a JSON body with a content type', async () => {
    const fetchMock = mockFetchRoutes({ '/api/v1/repositories': { status: 202, body: { workflow_id: 'sync:x' } } });

    await apiFetch('/api/v1/repositories', { method: 'POST', json: { url: 'https://github.com/a/b' } });

    const [, init] = fetchMock.mock.calls[0]!;
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"url":"https://github.com/a/b"}');
    expect(new Headers(init?.headers).get('Content-Type')).toBe('application/json');
  });
});

describe('parseErrorEnvelope', () => {
  it('accepts the envelope and rejects other shapes', () => {
    expect(parseErrorEnvelope({ error: { code: 'c', message: 'm' } })).toEqual({
      code: 'c',
      message: 'm',
      details: undefined,
    });
    expect(parseErrorEnvelope({ error: 'boom' })).toBeUndefined();
    expect(parseErrorEnvelope({ error: { code: 1, message: 'm' } })).toBeUndefined();
    expect(parseErrorEnvelope({ message: 'm' })).toBeUndefined();
    expect(parseErrorEnvelope(null)).toBeUndefined();
  });
});

describe('apiUrl', () => {
  it('joins a base URL and a path', () => {
    expect(apiUrl('/health', '')).toBe('/health');
    expect(apiUrl('/health', 'https://skilldex.example/')).toBe('https://skilldex.example/health');
    expect(apiUrl('health', 'https://skilldex.example')).toBe('https://skilldex.example/health');
    expect(apiUrl('https://other.example/x', 'https://skilldex.example')).toBe('https://other.example/x');
  });
});
