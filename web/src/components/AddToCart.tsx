import { useState } from 'react';
import { Link } from 'react-router';
import type { Product } from '../api';
import { addToCart, cartUnits, MAX_LINES, MAX_QUANTITY, unitLimit, useCart } from '../cart';

interface Props {
  product: Product;
  /** What the product page's quantity field holds. */
  quantity: string;
  disabled?: boolean;
  /** Shows a message beside the quantity field (undefined clears it). */
  onQuantityError: (message: string | undefined) => void;
}

/** "Add to cart" beside the product page's "Buy now", within the same limits. */
export function AddToCart({ product, quantity, disabled, onQuantityError }: Props) {
  const lines = useCart();
  const [added, setAdded] = useState<number | null>(null);
  const [full, setFull] = useState(false);
  const inCart = lines.find((l) => l.product_id === product.id)?.quantity ?? 0;
  const units = cartUnits(lines);

  if (product.stock === 0) return null;

  function add() {
    setAdded(null);
    setFull(false);
    const n = Number(quantity);
    if (!/^\d+$/.test(quantity.trim()) || n < 1) {
      onQuantityError('Enter a whole number of at least 1.');
      return;
    }
    const limit = unitLimit(product);
    if (inCart + n > limit) {
      const stockBound = product.stock !== null && product.stock < Math.min(MAX_QUANTITY, product.max_per_order ?? MAX_QUANTITY);
      const most = stockBound ? `Only ${product.stock} left` : `You can buy at most ${limit} at once`;
      const room = limit - inCart;
      onQuantityError(
        inCart === 0
          ? `${most}: choose ${limit} or fewer.`
          : room > 0
            ? `${most} and your cart holds ${inCart}: add ${room} or fewer.`
            : `${most}, and your cart already holds ${inCart}.`,
      );
      return;
    }
    onQuantityError(undefined);
    if (!addToCart(product, n)) {
      setFull(true);
      return;
    }
    setAdded(n);
  }

  return (
    <>
      <button type="button" className="button button--large add-to-cart" onClick={add} disabled={disabled}>
        Add to cart
      </button>
      <p className="cart-note" role="status">
        {full && `Your cart holds ${MAX_LINES} different products, the most one checkout takes. Check out or remove some first.`}
        {added !== null && `Added ${added} to your cart. `}
        {(added !== null || (inCart > 0 && !full)) && (
          <Link to="/cart">
            {added === null ? `${inCart} in your cart: view cart` : `View cart (${units} ${units === 1 ? 'item' : 'items'})`}
          </Link>
        )}
      </p>
    </>
  );
}
