import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { ApiError, getProduct, startCartCheckout, type LineProblem, type Product } from '../api';
import { Alert } from '../components/Alert';
import { ProductImage } from '../components/ProductImage';
import {
  acceptPrices,
  MAX_QUANTITY,
  rememberCartCheckout,
  removeFromCart,
  setLineQuantity,
  unitLimit,
  useCart,
  type CartLine,
} from '../cart';
import { describeError } from '../errors';
import { useTitle } from '../hooks';
import { formatMoney } from '../money';
import { redirectTo } from '../navigation';
import { rememberCheckout } from '../pendingCheckout';

/** What the catalog says of a line's product now. */
type Fresh = { product: Product } | { gone: true } | { failed: true };

/** What stands between a line and the checkout. */
type Flag =
  | { kind: 'gone' }
  | { kind: 'sold-out' }
  | { kind: 'short'; available: number; reason: string };

function flagOf(line: CartLine, fresh: Fresh | undefined, problem: LineProblem | undefined): Flag | null {
  // The checkout's answer is the newest word on a line; the catalog's comes next.
  if (problem) {
    if (problem.reason === 'unavailable') return { kind: 'gone' };
    if (problem.available === 0 && problem.reason === 'stock') return { kind: 'sold-out' };
    if (line.quantity > problem.available) return { kind: 'short', available: problem.available, reason: problem.reason };
  }
  if (!fresh || 'failed' in fresh) return null;
  if ('gone' in fresh) return { kind: 'gone' };
  const p = fresh.product;
  if (p.stock === 0) return { kind: 'sold-out' };
  const limit = unitLimit(p);
  if (line.quantity > limit) {
    const stockBound = p.stock !== null && p.stock === limit;
    return { kind: 'short', available: limit, reason: stockBound ? 'stock' : 'max_per_order' };
  }
  return null;
}

function quantityId(productId: string): string {
  return `cart-quantity-${productId}`;
}

function shortText(available: number, reason: string): string {
  switch (reason) {
    case 'stock':
      return `Only ${available} left.`;
    case 'client_cap':
      return `You can check out ${available} of these now: units waiting in unpaid checkouts count towards a limit per customer.`;
    default:
      return `At most ${available} per order.`;
  }
}

interface Row {
  line: CartLine;
  /** The price and name to show: the catalog's when it has answered. */
  name: string;
  unitAmount: number;
  currency: string;
  imageUrl: string;
  /** The price the customer saw when adding, when the catalog's differs. */
  was: { unitAmount: number; currency: string } | null;
  flag: Flag | null;
  limit: number;
  checking: boolean;
}

export default function CartPage() {
  useTitle('Cart');
  const lines = useCart();
  const [fresh, setFresh] = useState<Record<string, Fresh>>({});
  const [recheck, setRecheck] = useState(0);
  const [problems, setProblems] = useState<Record<string, LineProblem>>({});
  const [pending, setPending] = useState<string | null>(null);
  const [redirecting, setRedirecting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const freshRef = useRef(fresh);
  freshRef.current = fresh;
  const checkedRound = useRef(recheck);

  const idsKey = lines.map((l) => l.product_id).join('\n');

  // Prices and stock from the catalog: each line's product once (again after
  // a checkout was refused), so what the cart shows is what checkout charges.
  useEffect(() => {
    let current = true;
    const all = checkedRound.current !== recheck;
    checkedRound.current = recheck;
    const ids = idsKey ? idsKey.split('\n') : [];
    const todo = ids.filter((id) => all || !(id in freshRef.current));
    for (const id of todo) {
      getProduct(id).then(
        (product) => current && setFresh((f) => ({ ...f, [id]: { product } })),
        (err: unknown) => {
          if (!current) return;
          const gone = err instanceof ApiError && err.code === 'not_found';
          setFresh((f) => ({ ...f, [id]: gone ? { gone: true } : { failed: true } }));
        },
      );
    }
    return () => {
      current = false;
    };
  }, [idsKey, recheck]);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  // Back from the payment page through the browser's cache: the page is as
  // it was left, redirecting; let the customer use it again.
  useEffect(() => {
    const onShow = (e: PageTransitionEvent) => e.persisted && setRedirecting(false);
    window.addEventListener('pageshow', onShow);
    return () => window.removeEventListener('pageshow', onShow);
  }, []);

  const rows: Row[] = lines.map((line) => {
    const f = fresh[line.product_id];
    const p = f && 'product' in f ? f.product : null;
    const unitAmount = p?.unit_amount ?? line.unit_amount;
    const currency = p?.currency ?? line.currency;
    const changed = p !== null && line.currency !== '' && (p.unit_amount !== line.unit_amount || p.currency !== line.currency);
    return {
      line,
      name: p?.name || line.name || 'Product',
      unitAmount,
      currency,
      imageUrl: p?.image_url ?? line.image_url,
      was: changed ? { unitAmount: line.unit_amount, currency: line.currency } : null,
      flag: flagOf(line, f, problems[line.product_id]),
      limit: p ? Math.max(1, unitLimit(p)) : MAX_QUANTITY,
      checking: f === undefined,
    };
  });

  // One payment is in one currency: a cart holding several is checked out a currency at a time.
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    if (r.flag?.kind === 'gone' || !r.currency) continue;
    groups.set(r.currency, [...(groups.get(r.currency) ?? []), r]);
  }
  const currencies = [...groups.keys()];
  const busy = pending !== null || redirecting;

  function changeQuantity(productId: string, quantity: number) {
    setLineQuantity(productId, quantity);
    setProblems(({ [productId]: _, ...rest }) => rest);
  }

  // The buttons below go away when used; focus goes where the customer can
  // go on from, not to the top of the page.
  function fixQuantity(productId: string, quantity: number) {
    changeQuantity(productId, quantity);
    setTimeout(() => document.getElementById(quantityId(productId))?.focus(), 0);
  }

  function remove(productId: string) {
    removeFromCart(productId);
    setProblems(({ [productId]: _, ...rest }) => rest);
    setTimeout(() => document.getElementById('cart-heading')?.focus(), 0);
  }

  async function checkout(currency: string) {
    const group = groups.get(currency) ?? [];
    const items = group.map((r) => ({ product_id: r.line.product_id, quantity: r.line.quantity }));
    if (busy || items.length === 0) return;
    setError(null);
    setPending(currency);
    try {
      const started = await startCartCheckout(items);
      rememberCartCheckout(started.order_id, items);
      rememberCheckout(started);
      // The prices shown are the ones paid now: no flag for them next time.
      acceptPrices(group.flatMap((r) => {
        const f = fresh[r.line.product_id];
        return f && 'product' in f ? [f.product] : [];
      }));
      setRedirecting(true);
      redirectTo(started.checkout_url);
    } catch (err) {
      if (err instanceof ApiError && err.lines.length > 0) {
        setProblems((prev) => {
          const next = { ...prev };
          for (const l of err.lines) {
            next[l.product_id] = err.code === 'not_found' ? { ...l, reason: 'unavailable' } : l;
          }
          return next;
        });
        setError(
          err.code === 'not_found'
            ? 'Some items are no longer for sale. Remove them, then check out again.'
            : 'Some items are short. Change them as shown below, then check out again.',
        );
      } else if (err instanceof ApiError && err.code === 'conflict') {
        setError(`Sorry, ${err.message}.`);
      } else if (err instanceof ApiError && err.code === 'invalid') {
        setError(err.message ? `That order is not valid: ${err.message}.` : 'That order is not valid.');
      } else {
        setError(describeError(err));
      }
      if (err instanceof ApiError && (err.code === 'conflict' || err.code === 'not_found')) setRecheck((n) => n + 1);
    } finally {
      setPending(null);
    }
  }

  if (lines.length === 0) {
    return (
      <section aria-labelledby="cart-heading">
        <h1 id="cart-heading" tabIndex={-1}>
          Your cart
        </h1>
        <p className="empty">
          Your cart is empty. <Link to="/">Browse the products</Link>
        </p>
      </section>
    );
  }

  return (
    <section aria-labelledby="cart-heading" className="cart-page" aria-busy={busy}>
      <h1 id="cart-heading" tabIndex={-1}>
        Your cart
      </h1>
      {error && (
        <Alert kind="error" ref={errorRef}>
          <p>{error}</p>
        </Alert>
      )}
      {lines.some((l) => fresh[l.product_id] && 'failed' in fresh[l.product_id]!) && (
        <Alert kind="warning">
          <p>Some prices could not be checked just now; checkout will check them again.</p>
          <button type="button" className="button button--small" onClick={() => setRecheck((n) => n + 1)}>
            Check again
          </button>
        </Alert>
      )}
      {currencies.length > 1 && (
        <Alert kind="warning" title="Your cart holds more than one currency">
          <p>
            One payment is in one currency, so the {currencies.map((c) => c.toUpperCase()).join(' and ')} items are
            checked out one group at a time.
          </p>
        </Alert>
      )}
      <ul className="cart-lines" aria-label="Items in your cart">
        {rows.map((r) => (
          <CartRow
            key={r.line.product_id}
            row={r}
            disabled={busy}
            onQuantity={(q) => changeQuantity(r.line.product_id, q)}
            onFixQuantity={(q) => fixQuantity(r.line.product_id, q)}
            onRemove={() => remove(r.line.product_id)}
          />
        ))}
      </ul>
      {currencies.map((currency) => {
        const group = groups.get(currency)!;
        const subtotal = group.reduce((n, r) => n + r.unitAmount * r.line.quantity, 0);
        const blocked = group.filter((r) => r.flag !== null).length;
        const checking = group.some((r) => r.checking);
        const label = currencies.length > 1 ? `Check out the ${currency.toUpperCase()} items` : 'Check out';
        const headingId = `cart-total-${currency}`;
        return (
          <div className="card cart-summary" key={currency} aria-labelledby={headingId} role="group">
            <dl className="summary">
              <div>
                <dt id={headingId}>
                  Subtotal{currencies.length > 1 ? ` (${currency.toUpperCase()})` : ''}
                </dt>
                <dd>{formatMoney(subtotal, currency)}</dd>
              </div>
            </dl>
            <p className="muted">Shipping and tax are calculated at checkout.</p>
            {blocked > 0 && (
              <p className="cart-summary__blocked">
                {blocked === 1 ? 'One item needs' : `${blocked} items need`} your attention before checkout.
              </p>
            )}
            <button
              type="button"
              className="button button--primary button--large"
              disabled={busy || blocked > 0 || checking}
              onClick={() => checkout(currency)}
            >
              {pending === currency
                ? 'Starting checkout…'
                : redirecting
                  ? 'Redirecting to payment…'
                  : checking
                    ? 'Checking prices…'
                    : label}
            </button>
          </div>
        );
      })}
      <p>
        <Link to="/">← Continue shopping</Link>
      </p>
    </section>
  );
}

function CartRow({
  row,
  disabled,
  onQuantity,
  onFixQuantity,
  onRemove,
}: {
  row: Row;
  disabled: boolean;
  onQuantity: (quantity: number) => void;
  onFixQuantity: (quantity: number) => void;
  onRemove: () => void;
}) {
  const { line, name, flag } = row;
  const href = `/products/${encodeURIComponent(line.product_id)}`;
  const gone = flag?.kind === 'gone';
  const noteId = `cart-note-${line.product_id}`;
  return (
    <li className={`cart-line${flag ? ' cart-line--flagged' : ''}`}>
      <ProductImage src={row.imageUrl} alt="" name={name} className="cart-line__image" />
      <div className="cart-line__main">
        <p className="cart-line__name">{gone ? name : <Link to={href}>{name}</Link>}</p>
        <p className="cart-line__price muted">{formatMoney(row.unitAmount, row.currency)} each</p>
        <div id={noteId}>
          {row.was && (
            <p className="cart-line__note cart-line__note--warn">
              Price changed from {formatMoney(row.was.unitAmount, row.was.currency)} to{' '}
              {formatMoney(row.unitAmount, row.currency)}
            </p>
          )}
          {flag?.kind === 'gone' && <p className="cart-line__note cart-line__note--bad">No longer for sale.</p>}
          {flag?.kind === 'sold-out' && <p className="cart-line__note cart-line__note--bad">Sold out.</p>}
          {flag?.kind === 'short' && (
            <p className="cart-line__note cart-line__note--bad">
              {shortText(flag.available, flag.reason)} You have {line.quantity} in your cart.
            </p>
          )}
        </div>
        {flag?.kind === 'short' && flag.available > 0 && (
          <button type="button" className="button button--small" disabled={disabled} onClick={() => onFixQuantity(flag.available)}>
            Update quantity to {flag.available}
          </button>
        )}
      </div>
      {!gone && (
        <QuantityStepper
          id={quantityId(line.product_id)}
          name={name}
          quantity={line.quantity}
          limit={row.limit}
          disabled={disabled}
          describedBy={flag || row.was ? noteId : undefined}
          onChange={onQuantity}
        />
      )}
      <p className="cart-line__total">
        <span className="visually-hidden">Line total: </span>
        {gone ? '—' : formatMoney(row.unitAmount * line.quantity, row.currency)}
      </p>
      <button
        type="button"
        className="button button--small button--danger-outline cart-line__remove"
        onClick={onRemove}
        disabled={disabled}
        aria-label={`Remove ${name}`}
      >
        Remove
      </button>
    </li>
  );
}

function QuantityStepper({
  id,
  name,
  quantity,
  limit,
  disabled,
  describedBy,
  onChange,
}: {
  id: string;
  name: string;
  quantity: number;
  limit: number;
  disabled: boolean;
  describedBy: string | undefined;
  onChange: (quantity: number) => void;
}) {
  // What is typed, while it is not (yet) a quantity: the cart keeps the last good one.
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <div className="stepper" role="group" aria-label={`Quantity of ${name}`}>
      <button
        type="button"
        className="button button--small"
        aria-label={`One fewer ${name}`}
        disabled={disabled || quantity <= 1}
        onClick={() => onChange(Math.min(quantity - 1, limit))}
      >
        −
      </button>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        className="stepper__input"
        aria-label={`Quantity of ${name}`}
        aria-describedby={describedBy}
        min={1}
        max={limit}
        step={1}
        value={draft ?? String(quantity)}
        disabled={disabled}
        onChange={(e) => {
          const v = e.target.value;
          const n = Number(v);
          if (/^\d+$/.test(v) && n >= 1) {
            setDraft(null);
            onChange(Math.min(n, MAX_QUANTITY));
          } else setDraft(v);
        }}
        onBlur={() => setDraft(null)}
      />
      <button
        type="button"
        className="button button--small"
        aria-label={`One more ${name}`}
        disabled={disabled || quantity >= limit}
        onClick={() => onChange(quantity + 1)}
      >
        +
      </button>
    </div>
  );
}
