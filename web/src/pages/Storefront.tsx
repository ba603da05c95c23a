import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { listProducts, type Product } from '../api';
import { indexCatalog, pageOf, parsePage, parseSort, searchCatalog, SORTS, stockBadge, type SortKey } from '../catalog';
import { Alert, Loading } from '../components/Alert';
import { PageLinks } from '../components/PageLinks';
import { ProductImage } from '../components/ProductImage';
import { describeError } from '../errors';
import { useLoad, useTitle } from '../hooks';
import { formatMoney } from '../money';
import { onCheckoutCancelled, unitsHeld, useOpenOrder } from '../pendingCheckout';
import { loadShop, useShop } from '../shop';

/** How long typing pauses before the list (and the URL) follow the search box. */
export const SEARCH_DEBOUNCE_MS = 250;

export default function Storefront() {
  const shop = useShop();
  useEffect(() => {
    void loadShop();
  }, []);
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const sort = parseSort(params.get('sort'));
  const { data: products, error, loading, reload } = useLoad(listProducts, []);
  // Cancelling the open order (the banner) gives its units back: show them.
  useEffect(() => onCheckoutCancelled(reload), [reload]);
  useTitle(query ? `Search: ${query}` : '');

  return (
    <>
      {shop && (
        <div className="hero">
          <h1 id="shop-heading">{shop.name}</h1>
          {shop.tagline && <p className="hero__tagline">{shop.tagline}</p>}
        </div>
      )}
      {loading && !products && <Loading label="Loading products…" />}
      {error != null && (
        <Alert kind="error" title="The products could not be loaded">
          <p>{describeError(error)}</p>
          <button type="button" onClick={reload}>
            Try again
          </button>
        </Alert>
      )}
      {products && products.length === 0 && <p className="empty">Nothing for sale yet. Please come back soon.</p>}
      {products && products.length > 0 && (
        <Catalog products={products} query={query} sort={sort} page={parsePage(params.get('page'))} setParams={setParams} />
      )}
    </>
  );
}

interface CatalogProps {
  products: Product[];
  query: string;
  sort: SortKey;
  page: number;
  setParams: ReturnType<typeof useSearchParams>[1];
}

function Catalog({ products, query, sort, page: wanted, setParams }: CatalogProps) {
  const index = useMemo(() => indexCatalog(products), [products]);
  const found = useMemo(() => searchCatalog(index, query, sort), [index, query, sort]);
  const { page, pages, items, first } = pageOf(found, wanted);

  // The box follows the URL (Back, a shared link) unless the change is the
  // one typing made: that would undo what was typed since.
  const [input, setInput] = useState(query);
  const committed = useRef(query);
  useEffect(() => {
    if (query !== committed.current) {
      committed.current = query;
      setInput(query);
    }
  }, [query]);
  useEffect(() => {
    const q = input.trim();
    if (q === committed.current) return;
    const timer = setTimeout(() => {
      // The first search is a step Back returns from; refining it is not.
      const replace = committed.current !== '' && q !== '';
      committed.current = q;
      update({ q, page: null }, replace);
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [input]);

  function update(changes: Record<string, string | null>, replace = false) {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(changes)) {
          if (v) next.set(k, v);
          else next.delete(k);
        }
        return next;
      },
      { replace },
    );
  }

  function pageLink(n: number) {
    const next = new URLSearchParams();
    if (query) next.set('q', query);
    if (sort !== 'newest') next.set('sort', sort);
    if (n > 1) next.set('page', String(n));
    const s = next.toString();
    return { search: s ? `?${s}` : '' };
  }

  // A new page of the same list starts at its top: focus (and scroll to)
  // the list's heading. A new search or sort also goes back to page 1, but
  // focus stays in the box or the menu the customer is using.
  const heading = useRef<HTMLHeadingElement>(null);
  const shown = useRef({ page, query, sort });
  useEffect(() => {
    const before = shown.current;
    shown.current = { page, query, sort };
    if (before.page !== page && before.query === query && before.sort === sort) heading.current?.focus();
  }, [page, query, sort]);

  const count = new Intl.NumberFormat().format(found.length);
  return (
    <section className="catalog" aria-labelledby="catalog-heading">
      <h2 id="catalog-heading" className="visually-hidden" tabIndex={-1} ref={heading}>
        Products
      </h2>
      <div className="catalog__controls">
        <p className="catalog__search">
          <label htmlFor="catalog-q">Search</label>
          <input
            id="catalog-q"
            type="search"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            placeholder="Name or description"
            autoComplete="off"
            maxLength={200}
          />
        </p>
        <p className="catalog__sort">
          <label htmlFor="catalog-sort">Sort by</label>
          <select
            id="catalog-sort"
            value={sort}
            onChange={(e) => update({ sort: e.target.value === 'newest' ? null : e.target.value, page: null })}
          >
            {SORTS.map((s) => (
              <option key={s.key} value={s.key}>
                {s.label}
              </option>
            ))}
          </select>
        </p>
      </div>
      <p className="catalog__count muted" role="status">
        {found.length === 0
          ? `No products match “${query}”.`
          : query
            ? `${count} ${found.length === 1 ? 'product matches' : 'products match'} “${query}”${pages > 1 ? `, ${first}–${first + items.length - 1} shown` : ''}`
            : pages > 1
              ? `${first}–${first + items.length - 1} of ${count} products`
              : `${count} ${found.length === 1 ? 'product' : 'products'}`}
      </p>
      {found.length === 0 ? (
        <div className="empty">
          <p>Try other words, or look through everything.</p>
          <button type="button" className="button" onClick={() => setInput('')}>
            Clear search
          </button>
        </div>
      ) : (
        <ul className="product-grid">
          {items.map((p) => (
            <ProductCard key={p.id} product={p} />
          ))}
        </ul>
      )}
      <PageLinks page={page} pages={pages} to={pageLink} />
    </section>
  );
}

function ProductCard({ product }: { product: Product }) {
  const badge = stockBadge(product.stock);
  // The customer's own open order holds units its stock no longer counts.
  const held = unitsHeld(useOpenOrder(), product.id);
  return (
    <li className={`product-card${badge?.kind === 'sold-out' ? ' product-card--sold-out' : ''}`}>
      <Link to={`/products/${encodeURIComponent(product.id)}`} className="product-card__link">
        <ProductImage
          src={product.image_url}
          alt=""
          name={product.name}
          image={product.images?.[0]}
          sizes="(min-width: 60rem) 18rem, (min-width: 40rem) 45vw, 90vw"
        />
        <span className="product-card__name">{product.name}</span>
        <span className="product-card__price">{formatMoney(product.unit_amount, product.currency)}</span>
        {badge && <span className={`badge badge--${badge.kind}`}>{badge.text}</span>}
        {held > 0 && <span className="badge badge--held">{held} in your open order</span>}
      </Link>
    </li>
  );
}
