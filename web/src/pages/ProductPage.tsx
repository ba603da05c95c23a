import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { ApiError, getProduct, startCheckout, type Product } from '../api';
import { Alert, Loading } from '../components/Alert';
import { Field, fieldMessage } from '../components/Field';
import { ProductImage } from '../components/ProductImage';
import { describeError } from '../errors';
import { useLoad, useTitle } from '../hooks';
import { formatMoney } from '../money';
import { redirectTo } from '../navigation';

const MAX_QUANTITY = 100;

export default function ProductPage() {
  const { id = '' } = useParams();
  const [search] = useSearchParams();
  const cancelled = search.has('cancelled') || search.get('checkout') === 'cancelled';
  const { data: product, error, loading, reload } = useLoad(() => getProduct(id), [id]);
  useTitle(product?.name ?? 'Product');

  if (loading && !product) return <Loading label="Loading product…" />;
  if (error != null || !product) {
    const gone = error instanceof ApiError && error.code === 'not_found';
    return (
      <section>
        <h1>{gone ? 'Product not found' : 'Something went wrong'}</h1>
        <p>{gone ? 'This product is not for sale (any more).' : describeError(error)}</p>
        <p>
          <Link to="/">Back to the shop</Link>
        </p>
      </section>
    );
  }
  return (
    <article className="product-page">
      <p className="breadcrumb product-page__back">
        <Link to="/">← All products</Link>
      </p>
      <ProductImage
        src={product.image_url}
        alt={product.name}
        name={product.name}
        className="product-page__image"
        image={product.images?.[0]}
        sizes="(min-width: 48rem) 50vw, 100vw"
      />
      <div className="product-page__info">
        <h1>{product.name}</h1>
        <p className="product-page__price">{formatMoney(product.unit_amount, product.currency)}</p>
        {cancelled && (
          <Alert kind="info" title="Payment cancelled">
            <p>You have not been charged. You can try again below.</p>
          </Alert>
        )}
        {product.description && <p className="product-page__description">{product.description}</p>}
        <BuyForm product={product} onStale={reload} />
      </div>
    </article>
  );
}

function stockNote(stock: number | null): string | null {
  if (stock === null) return null;
  if (stock === 0) return 'Sold out';
  return stock <= 10 ? `Only ${stock} left` : `${stock} in stock`;
}

export function BuyForm({ product, onStale }: { product: Product; onStale?: () => void }) {
  const [quantity, setQuantity] = useState('1');
  const [pending, setPending] = useState(false);
  const [redirecting, setRedirecting] = useState(false);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const [focusTarget, setFocusTarget] = useState<'field' | 'summary' | null>(null);

  const soldOut = product.stock === 0;
  const perOrder = Math.min(MAX_QUANTITY, product.max_per_order ?? MAX_QUANTITY);
  const max = product.stock === null ? perOrder : Math.min(perOrder, product.stock);

  useEffect(() => {
    if (focusTarget === 'field') inputRef.current?.focus();
    if (focusTarget === 'summary') errorRef.current?.focus();
    setFocusTarget(null);
  }, [focusTarget]);

  function validate(): number | null {
    const n = Number(quantity);
    if (!/^\d+$/.test(quantity.trim()) || !Number.isInteger(n) || n < 1) {
      return null;
    }
    return n;
  }

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (pending || redirecting) return;
    setFormError(null);
    const n = validate();
    if (n === null) {
      setFieldError('Enter a whole number of at least 1.');
      setFocusTarget('field');
      return;
    }
    if (n > max) {
      setFieldError(
        product.stock !== null && product.stock < perOrder
          ? `Only ${product.stock} left: choose ${product.stock} or fewer.`
          : `You can buy at most ${perOrder} at once.`,
      );
      setFocusTarget('field');
      return;
    }
    setFieldError(undefined);
    setPending(true);
    try {
      const started = await startCheckout(product.id, n);
      setRedirecting(true);
      redirectTo(started.checkout_url);
    } catch (err) {
      if (err instanceof ApiError && err.fields.quantity) {
        setFieldError(fieldMessage('Quantity', err.fields.quantity));
        setFocusTarget('field');
      } else {
        setFormError(checkoutErrorText(err));
        setFocusTarget('summary');
      }
      if (err instanceof ApiError && (err.code === 'conflict' || err.code === 'not_found')) onStale?.();
    } finally {
      setPending(false);
    }
  }

  const note = stockNote(product.stock);
  const busy = pending || redirecting;
  return (
    <form className="buy-form" onSubmit={onSubmit} noValidate aria-busy={busy}>
      {note && <p className={`stock-note${soldOut ? ' stock-note--out' : ''}`}>{note}</p>}
      {formError && (
        <Alert kind="error" ref={errorRef}>
          <p>{formError}</p>
        </Alert>
      )}
      {!soldOut && (
        <Field id="quantity" label="Quantity" error={fieldError}>
          {(control) => (
            <input
              {...control}
              ref={inputRef}
              className="quantity-input"
              type="number"
              inputMode="numeric"
              min={1}
              max={max}
              step={1}
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
              disabled={busy}
            />
          )}
        </Field>
      )}
      <button type="submit" className="button button--primary button--large" disabled={soldOut || busy}>
        {soldOut ? 'Sold out' : pending ? 'Starting checkout…' : redirecting ? 'Redirecting to payment…' : 'Buy now'}
      </button>
    </form>
  );
}

function checkoutErrorText(err: unknown): string {
  if (err instanceof ApiError) {
    switch (err.code) {
      case 'conflict':
        // The other conflict is the cap on units one customer may hold in
        // unpaid checkouts; the server's message says how many and the cap.
        if (/\bhold \d+ units?\b/i.test(err.message)) return `Sorry, ${err.message}.`;
        return 'Sorry, there is not enough stock left for that quantity. Choose fewer, or check back later.';
      case 'not_found':
        return 'Sorry, this product is no longer for sale.';
      case 'invalid':
        return err.message ? `That order is not valid: ${err.message}.` : 'That order is not valid.';
    }
  }
  return describeError(err);
}
