import { vi } from 'vitest';

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = Reply | ((req: { url: URL; init: RequestInit; body: unknown }) => Reply | Promise<Reply>);

/** JSON Response like the server sends. */
export function jsonResponse({ status = 200, body, headers = {} }: Reply): Response {
  const text = body === undefined ? null : JSON.stringify(body);
  return new Response(status === 204 ? null : text, {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/**
 * Stubs global fetch with a table of "METHOD /path" → reply. An unexpected
 * request fails the test loudly instead of hanging it.
 */
export function stubFetch(routes: Record<string, Handler>) {
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://shop.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler) throw new Error(`unexpected request ${method} ${url.pathname}`);
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const reply = typeof handler === 'function' ? await handler({ url, init, body }) : handler;
    return jsonResponse(reply);
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

/** The headers of the n-th call of a stubbed fetch, as a plain object. */
export function headersOf(fn: ReturnType<typeof stubFetch>, n: number): Record<string, string> {
  const init = fn.mock.calls[n]?.[1] ?? {};
  return { ...(init.headers as Record<string, string>) };
}

/** A promise and the functions that settle it, to hold a request open. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
