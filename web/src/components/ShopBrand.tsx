import { useEffect } from 'react';
import { Link } from 'react-router';
import { loadShop, useShop } from '../shop';

/**
 * The header's link home, named for the shop. Until the name is known the
 * link is named for screen readers only: showing a default first would
 * flash the wrong name.
 */
export function ShopBrand() {
  const shop = useShop();
  useEffect(() => {
    void loadShop();
  }, []);
  return (
    <Link to="/" className="brand">
      {shop ? shop.name : <span className="visually-hidden">Home</span>}
    </Link>
  );
}
