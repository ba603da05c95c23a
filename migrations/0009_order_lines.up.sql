-- A cart: an order has lines (issue 14). Each line is a snapshot of what
-- was sold at what price, the units it took from stock and the units
-- refunded. The order's product_id, product_name, unit_amount and quantity
-- stay as the first line's, for the clients that read a one-product order.
CREATE TABLE order_lines (
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          integer NOT NULL CHECK (position >= 0),
    product_id        uuid NOT NULL REFERENCES products (id),
    product_name      text NOT NULL,
    unit_amount       bigint NOT NULL CHECK (unit_amount > 0),
    quantity          bigint NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    -- The units the line took from stock (0 for unlimited stock, and once given back).
    reserved          bigint NOT NULL DEFAULT 0 CHECK (reserved BETWEEN 0 AND quantity),
    refunded_quantity bigint NOT NULL DEFAULT 0 CHECK (refunded_quantity BETWEEN 0 AND quantity),
    tax_code          text NOT NULL DEFAULT '',
    PRIMARY KEY (order_id, position),
    UNIQUE (order_id, product_id)
);
CREATE INDEX order_lines_product_idx ON order_lines (product_id, order_id);

INSERT INTO order_lines (order_id, position, product_id, product_name, unit_amount, quantity, reserved, refunded_quantity)
SELECT id, 0, product_id, product_name, unit_amount, quantity, reserved,
    CASE WHEN status = 'refunded' THEN quantity ELSE 0 END
FROM orders;

-- The totals as Stripe reports them on completion; amount_subtotal is what
-- the shop priced (the lines' sum), amount_total is the lines' sum until
-- Stripe reports the total with shipping, discount and tax.
-- 0001 wrote it as a column constraint naming two other columns: Postgres
-- named it orders_check.
ALTER TABLE orders DROP CONSTRAINT orders_check;
ALTER TABLE orders DROP CONSTRAINT orders_reserved_check;
ALTER TABLE orders
    ADD COLUMN amount_subtotal bigint,
    ADD COLUMN amount_discount bigint NOT NULL DEFAULT 0 CHECK (amount_discount >= 0),
    ADD COLUMN amount_shipping bigint NOT NULL DEFAULT 0 CHECK (amount_shipping >= 0),
    ADD COLUMN amount_tax      bigint NOT NULL DEFAULT 0 CHECK (amount_tax >= 0),
    ADD COLUMN amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
    -- {"name", "address": {...}, "rate_name", "rate_id"} once Stripe reports an address.
    ADD COLUMN shipping        jsonb,
    ADD COLUMN promotion_code  text NOT NULL DEFAULT '';
UPDATE orders SET amount_subtotal = unit_amount * quantity,
    amount_refunded = CASE WHEN status = 'refunded' THEN amount_total ELSE 0 END;
ALTER TABLE orders ALTER COLUMN amount_subtotal SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_amount_total_check CHECK (amount_total >= 0);
ALTER TABLE orders ADD CONSTRAINT orders_amount_subtotal_check CHECK (amount_subtotal > 0);
-- The units now live on the lines.
ALTER TABLE orders DROP COLUMN reserved;

-- A product's Stripe tax code (txcd_…), sent with its line when automatic tax is on.
ALTER TABLE products ADD COLUMN tax_code text NOT NULL DEFAULT ''
    CHECK (tax_code = '' OR tax_code ~ '^txcd_[0-9]{8}$');

-- Shipping rates offered at checkout, in one currency each; archived
-- (active = false) rather than deleted, so an order's rate id keeps naming one.
CREATE TABLE shipping_rates (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (char_length(btrim(name)) BETWEEN 1 AND 100),
    amount     bigint NOT NULL CHECK (amount BETWEEN 0 AND 99999999),
    currency   text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    min_days   integer CHECK (min_days BETWEEN 1 AND 365),
    max_days   integer CHECK (max_days BETWEEN 1 AND 365),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (min_days IS NULL OR max_days IS NULL OR min_days <= max_days)
);
