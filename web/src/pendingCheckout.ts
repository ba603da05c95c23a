// The checkout this tab left for the payment page, so that a customer who
// comes back without paying (the Back button) is offered their open order,
// "Continue to payment" or "Cancel order", instead of a product that looks
// sold out because of their own reservation.
//
// It lives in sessionStorage: one tab's checkout, gone with the tab, and
// there after a reload or a return from another origin. The answer of
// GET /api/checkout/status is kept in memory and shared by the layout's
// banner and the product page.
import { useSyncExternalStore } from 'react';
import { ApiError, cancelCheckout, getCheckoutStatus, type Order } from './api';
import { describeError } from './errors';
import { redirectTo } from './navigation';

export interface PendingCheckout {
  order_id: string;
  session_id: string;
  checkout_url: string;
  /** The order's number for people, when the checkout answer carried it. */
  number?: number;
}

const KEY = 'stripeshop.pendingCheckout';

/** Remembers a checkout: call it just before sending the browser to checkout_url. */
export function rememberCheckout(c: PendingCheckout): void {
  const { order_id, session_id, checkout_url, number } = c;
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ order_id, session_id, checkout_url, number }));
  } catch {
    // Storage may be off: the customer then goes without the banner.
  }
  if (state.kind !== 'none') setState({ kind: 'none' });
}

/** The remembered checkout, or null. */
export function pendingCheckout(): PendingCheckout | null {
  try {
    const v: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    if (v && typeof v === 'object') {
      const c = v as Record<string, unknown>;
      if (typeof c.order_id === 'string' && typeof c.session_id === 'string' && typeof c.checkout_url === 'string') {
        return {
          order_id: c.order_id,
          session_id: c.session_id,
          checkout_url: c.checkout_url,
          number: typeof c.number === 'number' ? c.number : undefined,
        };
      }
    }
  } catch {
    // Unreadable: as if nothing were remembered.
  }
  return null;
}

/** Forgets the remembered checkout (only if it is orderId's, when given). */
export function forgetCheckout(orderId?: string): void {
  const c = pendingCheckout();
  if (orderId !== undefined && c?.order_id !== orderId) return;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing to forget
  }
}

export type OpenOrder =
  | { kind: 'none' }
  /** Still waiting for payment: offer to continue or cancel. */
  | { kind: 'open'; checkout: PendingCheckout; order: Order; busy?: boolean; error?: string }
  /** The customer cancelled it here. */
  | { kind: 'cancelled'; number: number | undefined; productName: string };

let state: OpenOrder = { kind: 'none' };
let checking: Promise<void> | null = null;
const listeners = new Set<() => void>();
const cancelListeners = new Set<(productIds: string[]) => void>();

function setState(next: OpenOrder) {
  state = next;
  for (const l of listeners) l();
}

/** The open order as last checked, for the banner and the product page. */
export function useOpenOrder(): OpenOrder {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );
}

/**
 * Asks the server whether the remembered checkout is still open. Paid,
 * processing, expired or unknown orders are forgotten without a word; when
 * the server cannot answer, nothing is shown and the checkout is kept for
 * the next look.
 */
export function checkOpenOrder(): Promise<void> {
  checking ??= (async () => {
    const c = pendingCheckout();
    if (!c) {
      if (state.kind === 'open') setState({ kind: 'none' });
      return;
    }
    try {
      const order = await getCheckoutStatus(c.session_id);
      if (order.status === 'pending') {
        setState({ kind: 'open', checkout: c, order });
        return;
      }
      forgetCheckout(c.order_id);
      setState({ kind: 'none' });
    } catch (err) {
      if (err instanceof ApiError && (err.code === 'not_found' || err.code === 'invalid')) forgetCheckout(c.order_id);
      setState({ kind: 'none' });
    }
  })().finally(() => {
    checking = null;
  });
  return checking;
}

/** What an order holds: its lines once orders have several, else its one product. */
export function linesOf(order: Order): { product_id: string; quantity: number }[] {
  const lines = (order as Order & { lines?: { product_id: string; quantity: number }[] }).lines;
  return lines?.length ? lines : [{ product_id: order.product_id, quantity: order.quantity }];
}

/** Units of productId the open order holds (0 when none). */
export function unitsHeld(open: OpenOrder, productId: string): number {
  if (open.kind !== 'open') return 0;
  return linesOf(open.order)
    .filter((l) => l.product_id === productId)
    .reduce((n, l) => n + l.quantity, 0);
}

/** Back to the same payment page, while the session is open. */
export function continueToPayment(): void {
  if (state.kind === 'open') redirectTo(state.checkout.checkout_url);
}

/** Cancels the open order: the session is expired and its units return at once. */
export async function cancelOpenOrder(): Promise<void> {
  if (state.kind !== 'open' || state.busy) return;
  const open = state;
  setState({ ...open, busy: true, error: undefined });
  try {
    const result = await cancelCheckout(open.checkout.order_id);
    forgetCheckout(open.checkout.order_id);
    if (result.status === 'paid' || result.status === 'processing') {
      // Paid meanwhile (another tab): there is nothing to cancel.
      setState({ kind: 'none' });
      return;
    }
    setState({ kind: 'cancelled', number: open.order.number ?? open.checkout.number, productName: result.product_name });
    const ids = [...new Set(linesOf(open.order).map((l) => l.product_id))];
    for (const l of cancelListeners) l(ids);
  } catch (err) {
    setState({
      ...open,
      busy: false,
      error: describeError(err),
    });
  }
}

/** Hides the note that an order was cancelled. */
export function dismissCancelled(): void {
  if (state.kind === 'cancelled') setState({ kind: 'none' });
}

/** Calls listener with the products whose units a cancel here gave back (to show their stock again). */
export function onCheckoutCancelled(listener: (productIds: string[]) => void): () => void {
  cancelListeners.add(listener);
  return () => {
    cancelListeners.delete(listener);
  };
}

/** Back to the start (tests). */
export function resetOpenOrder(): void {
  state = { kind: 'none' };
  checking = null;
  forgetCheckout();
}
