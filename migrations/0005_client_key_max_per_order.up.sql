-- The client an order was placed by (internal/clientip.Key: an IPv4
-- address, or an IPv6 /64), so that the units one client holds in open
-- orders at once can be capped (CHECKOUT_MAX_UNITS_PER_CLIENT). NULL for
-- orders placed before it was recorded: they count against no one.
ALTER TABLE orders ADD COLUMN client_key text;
CREATE INDEX orders_client_open_idx ON orders (client_key)
    WHERE status IN ('pending', 'processing') AND client_key IS NOT NULL;

-- The most units one order of the product may hold; NULL leaves only the
-- checkout's own limit (100).
ALTER TABLE products ADD COLUMN max_per_order bigint CHECK (max_per_order BETWEEN 1 AND 100);
