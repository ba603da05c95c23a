import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  adminCreateProduct,
  adminDeleteProduct,
  adminListOrders,
  adminListProducts,
  adminLogin,
  adminMe,
  adminRefundOrder,
  ApiError,
  getCheckoutStatus,
  listProducts,
  parseRetryAfter,
  setCsrfToken,
  setUnauthorizedHandler,
  startCartCheckout,
  startCheckout,
} from './api';
import { headersOf, stubFetch } from './test/fetch';

afterEach(() => {
  setCsrfToken(null);
  setUnauthorizedHandler(null);
});

const product = {
  id: 'p1',
  name: 'Mug',
  description: '',
  unit_amount: 1250,
  currency: 'usd',
  image_url: '',
  stock: 3,
  active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

describe('API client errors', () => {
  it('parses the error shape into an ApiError with fields', async () => {
    stubFetch({
      'POST /api/admin/products': {
        status: 400,
        body: { error: { code: 'invalid', message: 'name is required', fields: { name: 'required' } } },
      },
    });
    const err = await adminCreateProduct({ ...product, name: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 400,
      code: 'invalid',
      message: 'name is required',
      fields: { name: 'required' },
    });
  });

  it('reads Retry-After on 429', async () => {
    stubFetch({
      'POST /api/admin/login': {
        status: 429,
        headers: { 'Retry-After': '42' },
        body: { error: { code: 'rate_limited', message: 'too many attempts' } },
      },
    });
    const err = (await adminLogin('a@example.com', 'pw').catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBe(42);
  });

  it('falls back to the status when the body is not the error shape', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })),
    );
    const err = (await listProducts().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(502);
    expect(err.code).toBe('payment_provider');
    expect(err.fields).toEqual({});
  });

  it('turns a failed fetch into a network ApiError', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const err = (await listProducts().catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('network');
    expect(err.status).toBe(0);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter(new Date(61_000).toUTCString(), 0)).toBe(61);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe('cart checkout', () => {
  it('posts the items and reads the short lines of a 409', async () => {
    const fetch = stubFetch({
      'POST /api/checkout': {
        status: 409,
        body: {
          error: {
            code: 'conflict',
            message: 'not enough stock',
            lines: [
              { product_id: 'p1', available: 1, reason: 'stock' },
              { product_id: 'p2', available: -3, reason: 'max_per_order' },
              { available: 2 },
            ],
          },
        },
      },
    });
    const err = await startCartCheckout([
      { product_id: 'p1', quantity: 2 },
      { product_id: 'p2', quantity: 1 },
    ]).catch((e: unknown) => e);
    expect(JSON.parse(String(fetch.mock.calls[0]![1]!.body))).toEqual({
      items: [
        { product_id: 'p1', quantity: 2 },
        { product_id: 'p2', quantity: 1 },
      ],
    });
    expect(err).toMatchObject({
      code: 'conflict',
      lines: [
        { product_id: 'p1', available: 1, reason: 'stock' },
        { product_id: 'p2', available: 0, reason: 'max_per_order' },
      ],
    });
  });

  it('sends a partial refund with only the options given', async () => {
    setCsrfToken('tok');
    const fetch = stubFetch({ 'POST /api/admin/orders/o1/refund': { body: { id: 'o1' } } });
    await adminRefundOrder('o1', { lines: [{ product_id: 'p1', quantity: 1 }], restock: true });
    await adminRefundOrder('o1', { amount: 500 });
    await adminRefundOrder('o1', { lines: [], restock: false });
    expect(fetch.mock.calls.map(([, init]) => (init?.body ? JSON.parse(String(init.body)) : undefined))).toEqual([
      { lines: [{ product_id: 'p1', quantity: 1 }], restock: true },
      { amount: 500 },
      undefined,
    ]);
  });
});

describe('API client requests', () => {
  it('sends JSON with same-origin credentials', async () => {
    const fetch = stubFetch({
      'POST /api/checkout': { status: 201, body: { order_id: 'o1', session_id: 'cs_1', checkout_url: 'http://sim/pay/cs_1' } },
    });
    const started = await startCheckout('p1', 2);
    expect(started.checkout_url).toBe('http://sim/pay/cs_1');
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/checkout');
    expect(init?.credentials).toBe('same-origin');
    expect(JSON.parse(String(init?.body))).toEqual({ product_id: 'p1', quantity: 2 });
    expect(headersOf(fetch, 0)['Content-Type']).toBe('application/json');
  });

  it('encodes query parameters and skips empty ones', async () => {
    const fetch = stubFetch({
      'GET /api/checkout/status': { body: { id: 'o1', status: 'paid' } },
      'GET /api/admin/orders': { body: { orders: [], next_cursor: null } },
    });
    await getCheckoutStatus('cs_a&b');
    await adminListOrders({ status: '', limit: 25, cursor: 'c 1' });
    expect(fetch.mock.calls[0]![0]).toBe('/api/checkout/status?session_id=cs_a%26b');
    expect(fetch.mock.calls[1]![0]).toBe('/api/admin/orders?limit=25&cursor=c+1');
  });

  it('sends the CSRF token from login on admin mutations, not on GETs', async () => {
    const fetch = stubFetch({
      'POST /api/admin/login': { body: { email: 'a@example.com', csrf_token: 'tok-123' } },
      'GET /api/admin/products': { body: { products: [product] } },
      'POST /api/admin/products': { status: 201, body: product },
      'DELETE /api/admin/products/p1': { status: 204 },
      'POST /api/admin/orders/o1/refund': { body: { id: 'o1', status: 'refunded' } },
    });
    await adminLogin('a@example.com', 'correct horse');
    expect(headersOf(fetch, 0)['X-CSRF-Token']).toBeUndefined();

    await adminListProducts();
    expect(headersOf(fetch, 1)['X-CSRF-Token']).toBeUndefined();

    await adminCreateProduct(product);
    expect(headersOf(fetch, 2)['X-CSRF-Token']).toBe('tok-123');

    await expect(adminDeleteProduct('p1')).resolves.toBeUndefined();
    expect(headersOf(fetch, 3)['X-CSRF-Token']).toBe('tok-123');

    await adminRefundOrder('o1');
    expect(headersOf(fetch, 4)['X-CSRF-Token']).toBe('tok-123');
  });

  it('takes the CSRF token from /me after a reload', async () => {
    const fetch = stubFetch({
      'GET /api/admin/me': { body: { email: 'a@example.com', csrf_token: 'from-me' } },
      'POST /api/admin/products': { status: 201, body: product },
    });
    await adminMe();
    expect(headersOf(fetch, 0)['X-CSRF-Token']).toBeUndefined();
    await adminCreateProduct(product);
    expect(headersOf(fetch, 1)['X-CSRF-Token']).toBe('from-me');
  });

  it('reports a 401 on an admin route, but not a failed login', async () => {
    stubFetch({
      'GET /api/admin/products': { status: 401, body: { error: { code: 'unauthorized', message: 'log in' } } },
      'POST /api/admin/login': { status: 401, body: { error: { code: 'unauthorized', message: 'wrong' } } },
    });
    const onUnauthorized = vi.fn();
    setUnauthorizedHandler(onUnauthorized);
    await expect(adminListProducts()).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await expect(adminLogin('a@example.com', 'nope')).rejects.toMatchObject({ code: 'unauthorized' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });
});
