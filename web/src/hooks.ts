import { useCallback, useEffect, useRef, useState } from 'react';
import { useLocation } from 'react-router';
import { DEFAULT_SHOP, useShop } from './shop';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (data: T) => void;
}

/** Runs load() when deps change and keeps the latest answer; stale answers are dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload, setData };
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Pages<T> {
  items: T[];
  cursor: string | null;
  error: unknown;
  loading: boolean;
  /** Appends the next page (when there is one). */
  loadMore: () => Promise<void>;
  /** Loads the first page again. */
  reload: () => void;
}

/**
 * A cursor-paged list: the first page whenever deps change (stale answers
 * dropped), further pages appended by loadMore.
 */
export function usePages<T>(fetchPage: (cursor?: string) => Promise<Page<T>>, deps: readonly unknown[]): Pages<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  const shownGeneration = useRef(generation);

  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    if (shownGeneration.current === generation) {
      // New deps (a filter): the old list is not of them. A reload keeps
      // showing the list until the fresh one arrives.
      setItems([]);
      setCursor(null);
    }
    shownGeneration.current = generation;
    fetchPage().then(
      (page) => {
        if (!current) return;
        setItems(page.items);
        setCursor(page.next_cursor);
        setLoading(false);
      },
      (err: unknown) => {
        if (!current) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);

  async function loadMore() {
    if (!cursor) return;
    setLoading(true);
    setError(null);
    try {
      const page = await fetchPage(cursor);
      setItems((prev) => [...prev, ...page.items]);
      setCursor(page.next_cursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { items, cursor, error, loading, loadMore, reload };
}

/** Sets the document title: the page's, then the shop's name; the name alone for ''. */
export function useTitle(title: string): void {
  const name = (useShop() ?? DEFAULT_SHOP).name;
  useEffect(() => {
    document.title = title ? `${title} · ${name}` : name;
  }, [title, name]);
}

/**
 * After a route change, moves focus to the new page's heading (its h1 in
 * main, made focusable with tabindex="-1"), so a screen reader announces the
 * page and Tab starts from it rather than from the top of the body. A page
 * that loads first gets its heading focused when it appears, unless the user
 * has put focus somewhere else meanwhile. The first page of a visit is left alone.
 */
export function useFocusHeadingOnNavigate(): void {
  const { pathname } = useLocation();
  const shown = useRef(pathname);

  useEffect(() => {
    if (shown.current === pathname) return;
    shown.current = pathname;
    const focusHeading = (): boolean => {
      const h1 = document.querySelector<HTMLElement>('main h1');
      if (!h1) return false;
      if (!h1.hasAttribute('tabindex')) h1.tabIndex = -1;
      h1.focus();
      return true;
    };
    if (focusHeading()) return;
    // The link that was followed keeps focus until the heading comes; any
    // other element focused meanwhile is the user's choice and stays.
    const followed = document.activeElement;
    const idle = () => {
      const a = document.activeElement;
      return a === null || a === document.body || a.tagName === 'MAIN' || a === followed;
    };
    const observer = new MutationObserver(() => {
      if (!idle()) observer.disconnect();
      else if (focusHeading()) observer.disconnect();
    });
    observer.observe(document.body, { childList: true, subtree: true });
    const timer = setTimeout(() => observer.disconnect(), 10_000);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [pathname]);
}

export interface StatusMessage {
  kind: 'success' | 'error';
  text: string;
}

/**
 * The status message of an admin action, shown in an Alert that takes its
 * ref: show() sets it and moves the focus to it once it is rendered, so a
 * screen reader reads it out.
 */
export function useStatusMessage() {
  const [message, setMessage] = useState<StatusMessage | null>(null);
  const messageRef = useRef<HTMLDivElement>(null);
  const show = useCallback((kind: StatusMessage['kind'], text: string) => {
    setMessage({ kind, text });
    setTimeout(() => messageRef.current?.focus(), 0);
  }, []);
  return { message, setMessage, messageRef, show };
}
