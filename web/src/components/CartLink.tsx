import { NavLink } from 'react-router';
import { cartUnits, useCart } from '../cart';

/** The header's link to the cart, with the number of units in it. */
export function CartLink() {
  const units = cartUnits(useCart());
  return (
    <NavLink to="/cart" className="cart-link" aria-label={`Cart, ${units} ${units === 1 ? 'item' : 'items'}`}>
      Cart
      {units > 0 && (
        <span className="cart-link__count" aria-hidden="true">
          {units}
        </span>
      )}
    </NavLink>
  );
}
