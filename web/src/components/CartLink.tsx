import { NavLink } from 'react-router';
import { cartUnits, useCart } from '../cart';

/**
 * The header's link to the cart, with the number of units in it: seen as
 * "Cart 3", heard as "Cart, 3 items" (the visible word starts the name, so
 * voice control finds it by what it shows).
 */
export function CartLink() {
  const units = cartUnits(useCart());
  return (
    <NavLink to="/cart" className="cart-link">
      Cart
      <span className="visually-hidden">, {units} {units === 1 ? 'item' : 'items'}</span>
      {units > 0 && (
        <span className="cart-link__count" aria-hidden="true">
          {units}
        </span>
      )}
    </NavLink>
  );
}
