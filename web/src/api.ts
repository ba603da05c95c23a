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

/** An uploaded product image (docs/api.md); paths are same-origin and relative. */
/** A product picture (the Gallery's name for ProductImage). */
export type Image = ProductImage;

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
  /** Stripe tax code ("txcd_…") or "" for the shop's default. */
  tax_code?: string;
  active: boolean;
  created_at: string;
  updated_at: string;
  /** Uploaded pictures in order, the main one first; [] when none. */
  images?: ProductImage[];
}

/** One uploaded picture of a product (docs/api.md, Product images). */
export interface ProductImage {
  id: string;
  /** The original's size, upright: the aspect ratio to reserve. */
  width: number;
  height: number;
  alt: string;
  /** A mid-size variant, same-origin. */
  src: string;
  /** Every variant, as an srcset value ("… 320w, … 640w, …"). */
  srcset: string;
}

export interface ProductInput {
  name: string;
  description: string;
  unit_amount: number;
  currency: string;
  image_url: string;
  stock: number | null;
  max_per_order?: number | null;
  /** Stripe's tax code (txcd_ and 8 digits), or '' for the account's default. */
  tax_code?: string;
  active?: boolean;
}

/** One product of an order, as sold. */
export interface OrderLine {
  product_id: string;
  product_name: string;
  unit_amount: number;
  quantity: number;
  amount_subtotal: number;
  refunded_quantity?: number;
}

export interface ShippingAddress {
  line1: string;
  line2?: string | null;
  city: string;
  state?: string | null;
  postal_code: string;
  country: string;
}

/** Where the order goes and how: the address and rate the customer chose at Stripe. */
export interface OrderShipping {
  name: string;
  address: ShippingAddress;
  rate_name?: string;
  rate_id?: string;
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
  /** Set when the customer cancelled it (its status is then expired). */
  cancelled_at?: string | null;
  refunded_at?: string | null;
  /** Set when Stripe reported an amount other than the order's. */
  flagged?: boolean;
  flag_reason?: string | null;
  // A cart order's lines and totals (issue 14); absent from older servers,
  // where product_id, product_name and quantity say it all.
  lines?: OrderLine[];
  amount_subtotal?: number;
  amount_discount?: number;
  amount_shipping?: number;
  amount_tax?: number;
  /** What has been refunded so far; a partial refund keeps the status paid. */
  amount_refunded?: number;
  shipping?: OrderShipping | null;
  promotion_code?: string;
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
  /** The order's number for people (#1001). */
  number?: number;
}

/** The shop itself: SHOP_NAME and SHOP_TAGLINE. */
export interface Shop {
  name: string;
  tagline: string;
}

/** One line of a cart checkout. */
export interface CheckoutItem {
  product_id: string;
  quantity: number;
}

/** Why a checkout line could not be reserved (409 and 404 answers to a checkout). */
export type LineProblemReason = 'stock' | 'client_cap' | 'max_per_order' | 'unavailable';

export interface LineProblem {
  product_id: string;
  /** Units that could be had now (0 for an unavailable product). */
  available: number;
  reason: LineProblemReason | string;
}

export interface ShippingRate {
  id: string;
  name: string;
  /** In the currency's minor unit. */
  amount: number;
  currency: string;
  min_days: number | null;
  max_days: number | null;
  active: boolean;
}

export type ShippingRateInput = Omit<ShippingRate, 'id'>;

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
  /** The checkout lines a 409 or 404 names. */
  readonly lines: LineProblem[];

  constructor(
    status: number,
    code: ErrorCode | string,
    message: string,
    fields: Record<string, string> = {},
    retryAfter: number | null = null,
    lines: LineProblem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
    this.lines = lines;
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
    const e = err as { code?: unknown; message?: unknown; fields?: unknown; lines?: unknown };
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
      lineProblems(e.lines),
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

function lineProblems(raw: unknown): LineProblem[] {
  if (!Array.isArray(raw)) return [];
  const out: LineProblem[] = [];
  for (const l of raw) {
    if (!l || typeof l !== 'object') continue;
    const { product_id, available, reason } = l as Record<string, unknown>;
    if (typeof product_id !== 'string') continue;
    out.push({
      product_id,
      available: typeof available === 'number' && available > 0 ? Math.floor(available) : 0,
      reason: typeof reason === 'string' ? reason : 'stock',
    });
  }
  return out;
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

export function getShop(): Promise<Shop> {
  return request<Shop>('GET', '/api/shop');
}

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

/** Starts one checkout for a whole cart: all lines are reserved or none (409 names the short ones). */
export function startCartCheckout(items: CheckoutItem[]): Promise<CheckoutStarted> {
  return request<CheckoutStarted>('POST', '/api/checkout', { body: { items } });
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

export interface OrdersQuery extends PageQuery {
  status?: OrderStatus | '';
  number?: number | null;
  /** Orders with a line of this product. */
  product_id?: string;
  /** A customer e-mail substring or an order number. */
  q?: string;
}

export async function adminListOrders(q: OrdersQuery = {}): Promise<OrdersPage> {
  const body = await request<OrdersPage>('GET', '/api/admin/orders', {
    admin: true,
    query: {
      status: q.status,
      number: q.number ?? undefined,
      product_id: q.product_id,
      q: q.q,
      limit: q.limit,
      cursor: q.cursor,
    },
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

export interface RefundRequest {
  /** Refund these units (the server prices them as sold); none: the whole order. */
  lines?: CheckoutItem[];
  /** Refund this amount (minor units) instead. */
  amount?: number;
  /** Put the refunded units back in their products' stock. */
  restock?: boolean;
}

/**
 * Refunds a paid order: in full with no options (as before), or the chosen
 * lines or an amount. restock gives the refunded units back to stock.
 */
export function adminRefundOrder(id: string, opts: RefundRequest = {}): Promise<Order> {
  const body: RefundRequest = {};
  if (opts.lines && opts.lines.length > 0) body.lines = opts.lines;
  if (opts.amount !== undefined) body.amount = opts.amount;
  if (opts.restock) body.restock = true;
  return request<Order>('POST', `/api/admin/orders/${seg(id)}/refund`, {
    admin: true,
    body: Object.keys(body).length > 0 ? body : undefined,
  });
}

/** The address of the CSV of the orders created from one day to another (YYYY-MM-DD, both included). */
export function ordersExportUrl(from: string, to: string): string {
  const params = new URLSearchParams();
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  const qs = params.toString();
  return `/api/admin/orders/export.csv${qs ? `?${qs}` : ''}`;
}

export async function adminListShippingRates(): Promise<ShippingRate[]> {
  const body = await request<{ shipping_rates?: ShippingRate[]; rates?: ShippingRate[] } | ShippingRate[]>(
    'GET',
    '/api/admin/shipping-rates',
    { admin: true },
  );
  // The contract names the routes but not the list's envelope; take either key or a bare list.
  if (Array.isArray(body)) return body;
  return body.shipping_rates ?? body.rates ?? [];
}

export function adminCreateShippingRate(input: ShippingRateInput): Promise<ShippingRate> {
  return request<ShippingRate>('POST', '/api/admin/shipping-rates', { body: input, admin: true });
}

export function adminUpdateShippingRate(id: string, patch: Partial<ShippingRateInput>): Promise<ShippingRate> {
  return request<ShippingRate>('PATCH', `/api/admin/shipping-rates/${seg(id)}`, { body: patch, admin: true });
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

// ---- Product images (admin) ----

/** The largest file the server takes, in bytes (images.MaxBytes). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export async function adminReorderImages(productId: string, ids: string[]): Promise<ProductImage[]> {
  const body = await request<{ images: ProductImage[] }>(
    'POST',
    `/api/admin/products/${seg(productId)}/images/reorder`,
    { body: { ids }, admin: true },
  );
  return body.images;
}

export async function adminUpdateImage(
  productId: string,
  imageId: string,
  patch: { alt?: string; main?: true },
): Promise<ProductImage[]> {
  const body = await request<{ images: ProductImage[] }>(
    'PATCH',
    `/api/admin/products/${seg(productId)}/images/${seg(imageId)}`,
    { body: patch, admin: true },
  );
  return body.images;
}

export function adminDeleteImage(productId: string, imageId: string): Promise<void> {
  return request<void>('DELETE', `/api/admin/products/${seg(productId)}/images/${seg(imageId)}`, {
    admin: true,
  });
}

/**
 * Uploads one picture with XMLHttpRequest, whose upload events (unlike
 * fetch's) report progress: onProgress gets the fraction sent, 0 to 1.
 * Errors are ApiErrors as from every other call.
 */
export function adminUploadImage(
  productId: string,
  file: File,
  onProgress: (fraction: number) => void,
  alt = '',
): { done: Promise<ProductImage>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<ProductImage>((resolve, reject) => {
    xhr.open('POST', `/api/admin/products/${seg(productId)}/images`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () =>
      reject(new ApiError(0, 'network', 'Could not reach the shop. Check your connection and try again.'));
    xhr.onabort = () => reject(new ApiError(0, 'network', 'The upload was cancelled.'));
    xhr.onload = async () => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      const retryAfter = xhr.getResponseHeader('Retry-After');
      if (retryAfter) headers['Retry-After'] = retryAfter;
      const res = new Response(xhr.responseText || null, { status: xhr.status, headers });
      if (!res.ok) {
        const err = await errorFromResponse(res);
        if (err.status === 401) {
          rememberAdminSession(false);
          onUnauthorized?.();
        }
        reject(err);
        return;
      }
      onProgress(1);
      try {
        resolve((await res.json()) as ProductImage);
      } catch {
        reject(new ApiError(res.status, 'internal', 'The server sent a response the app could not read.'));
      }
    };
    const form = new FormData();
    if (alt) form.append('alt', alt);
    form.append('file', file);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}
