// The shop's name and tagline (GET /api/shop), loaded once per page load by
// the shop layout and read by the header, the home page and every title.
import { useSyncExternalStore } from 'react';
import { getShop, type Shop } from './api';

/** What the shop is called when the server could not be asked. */
export const DEFAULT_SHOP: Shop = { name: 'stripeshop', tagline: '' };

let shop: Shop | null = null;
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

function set(next: Shop | null) {
  shop = next;
  for (const l of listeners) l();
}

/** Asks the server once; a failure falls back to the default name. */
export function loadShop(): Promise<void> {
  loading ??= getShop().then(set, () => set(DEFAULT_SHOP));
  return loading;
}

/** The shop, or null until loadShop has an answer. */
export function useShop(): Shop | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => shop,
  );
}

/** Forgets the answer, so the next loadShop asks again (tests, between renders). */
export function resetShop(): void {
  loading = null;
  shop = null;
}
