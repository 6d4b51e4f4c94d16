import { vi } from 'vitest';

export type Route = { status: number; body?: unknown } | (() => Promise<Response>);

export function jsonResponse(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
  });
}

/** Replace global fetch with a stub that answers by request path. */
export function mockFetchRoutes(routes: Record<string, Route>) {
  const fetchMock = vi.fn(async (input: RequestInfo | URL, _init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const path = new URL(url, 'http://localhost').pathname;
    const route = routes[path];
    if (route === undefined) return jsonResponse(404, { error: { code: 'not_found', message: 'Not found' } });
    if (typeof route === 'function') return route();
    return jsonResponse(route.status, route.body);
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

export function errorEnvelope(code: string, message: string, details: unknown = null) {
  return { error: { code, message, details } };
}
