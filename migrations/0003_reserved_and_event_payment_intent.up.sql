-- The units an order actually took from stock. A product with unlimited
-- stock takes none, so giving an order up must return what it reserved, not
-- its quantity (a product made limited in between would gain phantom units).
ALTER TABLE orders ADD COLUMN reserved bigint NOT NULL DEFAULT 0;
UPDATE orders o SET reserved = o.quantity
FROM products p
WHERE p.id = o.product_id AND p.stock IS NOT NULL AND o.status IN ('pending', 'processing', 'paid', 'refunded');
ALTER TABLE orders ADD CONSTRAINT orders_reserved_check CHECK (reserved BETWEEN 0 AND quantity);

-- The payment intent an event is about, so a refund reported before the
-- payment (events arrive in any order) is found when the payment lands.
ALTER TABLE stripe_events ADD COLUMN payment_intent_id text;
CREATE INDEX stripe_events_payment_intent_idx ON stripe_events (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- When the reconciler last asked Stripe about an open order: it sweeps the
-- least recently checked first, so orders that stay open for days (delayed
-- payment methods) cannot crowd out the rest.
ALTER TABLE orders ADD COLUMN reconciled_at timestamptz;
