// The one typed client for the HTTP contract in docs/api.md. Every request the
// app makes goes through request(), so the error shape, cookies and the CSRF
// header are handled in exactly one place.

export type OrderStatus = 'pending' | 'processing' | 'paid' | 'failed' | 'expired' | 'refunded';

export const ORDER_STATUSES: readonly OrderStatus[] = [
  'pending',
  'processing',
  'paid',
  'failed',
  'expired',
  'refunded',
];

/** Statuses an order never leaves. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['paid', 'failed', 'expired', 'refunded'];

export interface Product {
  id: string;
  name: string;
  description: string;
  /** Price in the currency's minor unit. */
  unit_amount: number;
  currency: string;
  image_url: string;
  /** Units still available to reserve; null means unlimited. */
  stock: number | null;
  /** The most units one order may hold; null: only the checkout's limit of 100. */
  max_per_order?: number | null;
  active: boolean;
  created_at: string;
  updated_at: string;
}

export interface ProductInput {
  name: string;
  description: string;
  unit_amount: number;
  currency: string;
  image_url: string;
  stock: number | null;
  max_per_order?: number | null;
  active?: boolean;
}

export interface Order {
  id: string;
  /** The short number people use for the order: 1001 is "#1001". */
  number: number;
  status: OrderStatus;
  product_id: string;
  product_name: string;
  quantity: number;
  amount_total: number;
  currency: string;
  customer_email?: string | null;
  session_id?: string | null;
  created_at: string;
  paid_at?: string | null;
  refunded_at?: string | null;
  /** Set when Stripe reported an amount other than the order's. */
  flagged?: boolean;
  flag_reason?: string | null;
}

export interface OrderEvent {
  id: string;
  type: string;
  received_at: string;
}

export interface OrderDetail extends Order {
  events: OrderEvent[];
  /** The e-mails the order caused, oldest first. */
  emails: OrderEmail[];
  /** An e-mail of the order failed for good: it wants a resend. */
  email_failed: boolean;
  /** The dispute opened on the order's payment, if any. */
  dispute: { reason: string; amount: number } | null;
}

export type EmailStatus = 'queued' | 'retrying' | 'sent' | 'failed';

export interface OrderEmail {
  id: number;
  order_id: string;
  kind: string;
  recipient: string;
  status: EmailStatus;
  attempts: number;
  last_error: string;
  message_id: string;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

export interface Job {
  id: number;
  kind: string;
  state: string;
  attempt: number;
  max_attempts: number;
  args: Record<string, unknown>;
  last_error: string;
  created_at: string;
  scheduled_at: string;
  finalized_at: string | null;
}

export interface JobsPage {
  counts: Record<string, number>;
  jobs: Job[];
}

export interface WebhookEvent {
  id: string;
  type: string;
  api_version?: string;
  order_id?: string | null;
  received_at: string;
  processed_at: string | null;
  note: string | null;
  /** Deprecated: the same text as note. */
  error?: string | null;
}

export interface OrdersPage {
  orders: Order[];
  next_cursor: string | null;
}

export interface EventsPage {
  events: WebhookEvent[];
  next_cursor: string | null;
}

export interface StatsDay {
  date: string;
  orders: number;
  /** Revenue per currency, in minor units. */
  revenue: Record<string, number>;
}

export interface Stats {
  days: StatsDay[];
  by_status?: Partial<Record<OrderStatus, number>>;
}

export interface AdminSession {
  email: string;
  csrf_token: string;
}

export interface CheckoutStarted {
  order_id: string;
  session_id: string;
  checkout_url: string;
}

export type ErrorCode =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'payment_provider'
  | 'unavailable'
  | 'internal'
  | 'network';

const codeForStatus: Record<number, ErrorCode> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  502: 'payment_provider',
  503: 'unavailable',
};

/** An error answer from the API, or a request that never got one (code "network"). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | string;
  /** Per-field messages, keyed by the JSON field name. */
  readonly fields: Record<string, string>;
  /** Seconds to wait before retrying, from Retry-After (429, 503). */
  readonly retryAfter: number | null;

  constructor(
    status: number,
    code: ErrorCode | string,
    message: string,
    fields: Record<string, string> = {},
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

/** Parses Retry-After, which is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

async function errorFromResponse(res: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's HTML page, say); fall back to the status below.
  }
  const err =
    body && typeof body === 'object' && 'error' in body
      ? (body as { error: unknown }).error
      : null;
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; fields?: unknown };
    const fields: Record<string, string> = {};
    if (e.fields && typeof e.fields === 'object') {
      for (const [k, v] of Object.entries(e.fields as Record<string, unknown>)) {
        fields[k] = String(v);
      }
    }
    return new ApiError(
      res.status,
      typeof e.code === 'string' ? e.code : (codeForStatus[res.status] ?? 'internal'),
      typeof e.message === 'string' && e.message ? e.message : res.statusText || 'Request failed',
      fields,
      retryAfter,
    );
  }
  return new ApiError(
    res.status,
    codeForStatus[res.status] ?? 'internal',
    res.statusText || `Request failed (${res.status})`,
    {},
    retryAfter,
  );
}

// The CSRF token lives only in memory: a reload fetches it again from /me.
let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function getCsrfToken(): string | null {
  return csrfToken;
}

/**
 * Registers what happens when an admin request answers 401 (the session
 * expired): the admin shell sends the user back to the login page.
 */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | null | undefined>;
  /** Admin routes send the CSRF token on mutations and report 401s. */
  admin?: boolean;
}

async function request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
  let url = path;
  if (opts.query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.admin && method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(
      0,
      'network',
      'Could not reach the shop. Check your connection and try again.',
    );
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (err.status === 401 && opts.admin) {
      rememberAdminSession(false);
      onUnauthorized?.();
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError(res.status, 'internal', 'The server sent a response the app could not read.');
  }
}

const seg = encodeURIComponent;

// ---- Public routes ----

export async function listProducts(): Promise<Product[]> {
  const body = await request<{ products: Product[] }>('GET', '/api/products');
  return body.products;
}

export function getProduct(id: string): Promise<Product> {
  return request<Product>('GET', `/api/products/${seg(id)}`);
}

export function startCheckout(productId: string, quantity: number): Promise<CheckoutStarted> {
  return request<CheckoutStarted>('POST', '/api/checkout', {
    body: { product_id: productId, quantity },
  });
}

/** What the cancel route tells about an order: only what the cancel page shows. */
export interface CancelledCheckout {
  order_id: string;
  status: OrderStatus;
  product_id: string;
  product_name: string;
}

/** Gives up a pending checkout: the units return at once (the cancel page calls it). */
export function cancelCheckout(orderId: string): Promise<CancelledCheckout> {
  return request<CancelledCheckout>('POST', '/api/checkout/cancel', { body: { order_id: orderId } });
}

export function getCheckoutStatus(sessionId: string): Promise<Order> {
  return request<Order>('GET', '/api/checkout/status', { query: { session_id: sessionId } });
}

// ---- Admin routes ----

export async function adminLogin(email: string, password: string): Promise<AdminSession> {
  // Not marked admin: a 401 here means wrong credentials, not an expired session.
  const session = await request<AdminSession>('POST', '/api/admin/login', {
    body: { email, password },
  });
  setCsrfToken(session.csrf_token);
  rememberAdminSession(true);
  return session;
}

// The session cookie is HttpOnly, so the page cannot see whether there is
// one; it remembers instead whether this browser logged in and has not since
// been told the session ended. Without that, the admin shell's first /me
// would answer 401 for every visitor and the browser would log it as an error.
const SESSION_HINT = 'stripeshop.admin';

function rememberAdminSession(on: boolean): void {
  try {
    if (on) localStorage.setItem(SESSION_HINT, '1');
    else localStorage.removeItem(SESSION_HINT);
  } catch {
    // Storage may be off; mayHaveAdminSession then always asks.
  }
}

/** False when this browser has surely no admin session, so /me need not be asked. */
export function mayHaveAdminSession(): boolean {
  try {
    return localStorage.getItem(SESSION_HINT) === '1';
  } catch {
    return true;
  }
}

export async function adminMe(): Promise<AdminSession> {
  // Not marked admin either: the shell asks /me to find out whether to show the login page.
  let session: AdminSession;
  try {
    session = await request<AdminSession>('GET', '/api/admin/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) rememberAdminSession(false);
    throw err;
  }
  setCsrfToken(session.csrf_token);
  rememberAdminSession(true);
  return session;
}

export async function adminLogout(): Promise<void> {
  try {
    await request<void>('POST', '/api/admin/logout', { admin: true });
  } finally {
    setCsrfToken(null);
    rememberAdminSession(false);
  }
}

/**
 * Changes the signed-in admin's password. The server ends the admin's other
 * sessions; this one goes on. A wrong current password is a field error
 * (400 with fields.current_password), not a 401.
 */
export async function adminChangePassword(currentPassword: string, newPassword: string): Promise<void> {
  await request<void>('POST', '/api/admin/password', {
    body: { current_password: currentPassword, new_password: newPassword },
    admin: true,
  });
}

/** Ends every session of the signed-in admin, this one included. */
export async function adminLogoutEverywhere(): Promise<void> {
  await request<void>('POST', '/api/admin/logout-everywhere', { admin: true });
  setCsrfToken(null);
  rememberAdminSession(false);
}

export async function adminListProducts(): Promise<Product[]> {
  const body = await request<{ products: Product[] }>('GET', '/api/admin/products', {
    admin: true,
  });
  return body.products;
}

export function adminGetProduct(id: string): Promise<Product> {
  return request<Product>('GET', `/api/admin/products/${seg(id)}`, { admin: true });
}

export function adminCreateProduct(input: ProductInput): Promise<Product> {
  return request<Product>('POST', '/api/admin/products', { body: input, admin: true });
}

export function adminUpdateProduct(id: string, patch: Partial<ProductInput>): Promise<Product> {
  return request<Product>('PATCH', `/api/admin/products/${seg(id)}`, {
    body: patch,
    admin: true,
  });
}

/** Deletes a product, or archives it (active=false) when it has orders. */
export function adminDeleteProduct(id: string): Promise<void> {
  return request<void>('DELETE', `/api/admin/products/${seg(id)}`, { admin: true });
}

export interface PageQuery {
  limit?: number;
  cursor?: string | null;
}

export async function adminListOrders(
  q: PageQuery & { status?: OrderStatus | ''; number?: number | null } = {},
): Promise<OrdersPage> {
  const body = await request<OrdersPage>('GET', '/api/admin/orders', {
    admin: true,
    query: { status: q.status, number: q.number ?? undefined, limit: q.limit, cursor: q.cursor },
  });
  return { orders: body.orders ?? [], next_cursor: body.next_cursor ?? null };
}

export async function adminGetOrder(id: string): Promise<OrderDetail> {
  const order = await request<OrderDetail>('GET', `/api/admin/orders/${seg(id)}`, {
    admin: true,
  });
  return {
    ...order,
    events: order.events ?? [],
    emails: order.emails ?? [],
    email_failed: order.email_failed ?? false,
    dispute: order.dispute ?? null,
  };
}

/** Sends an order's e-mail again (same Message-ID; its attempts go on counting). */
export function adminResendEmail(orderId: string, emailId: number): Promise<OrderEmail> {
  return request<OrderEmail>('POST', `/api/admin/orders/${seg(orderId)}/emails/${emailId}/resend`, { admin: true });
}

/** The job queue: counts by state and the latest 100 jobs, optionally of one state. */
export async function adminListJobs(state = ''): Promise<JobsPage> {
  const body = await request<JobsPage>('GET', '/api/admin/jobs', { admin: true, query: { state: state || undefined } });
  return { counts: body.counts ?? {}, jobs: body.jobs ?? [] };
}

/** Refunds a paid order in full; restock gives its units back to the product's stock. */
export function adminRefundOrder(id: string, opts: { restock?: boolean } = {}): Promise<Order> {
  return request<Order>('POST', `/api/admin/orders/${seg(id)}/refund`, {
    admin: true,
    body: opts.restock ? { restock: true } : undefined,
  });
}

export async function adminListEvents(q: PageQuery = {}): Promise<EventsPage> {
  const body = await request<EventsPage | WebhookEvent[]>('GET', '/api/admin/events', {
    admin: true,
    query: { limit: q.limit, cursor: q.cursor },
  });
  // The contract names the fields of an event but not the envelope; accept a bare list too.
  if (Array.isArray(body)) return { events: body, next_cursor: null };
  return { events: body.events ?? [], next_cursor: body.next_cursor ?? null };
}

export async function adminReprocessEvent(id: string): Promise<void> {
  await request<unknown>('POST', `/api/admin/events/${seg(id)}/reprocess`, { admin: true });
}

export async function adminStats(days = 30): Promise<Stats> {
  const body = await request<Stats>('GET', '/api/admin/stats', { admin: true, query: { days } });
  return { ...body, days: body.days ?? [] };
}
