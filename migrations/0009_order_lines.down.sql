DROP TABLE shipping_rates;
ALTER TABLE products DROP COLUMN tax_code;
ALTER TABLE orders ADD COLUMN reserved bigint NOT NULL DEFAULT 0;
UPDATE orders o SET reserved = l.reserved FROM order_lines l WHERE l.order_id = o.id AND l.position = 0;
ALTER TABLE orders DROP CONSTRAINT orders_amount_subtotal_check;
ALTER TABLE orders DROP CONSTRAINT orders_amount_total_check;
UPDATE orders SET amount_total = unit_amount * quantity;
ALTER TABLE orders ADD CONSTRAINT orders_check CHECK (amount_total > 0 AND amount_total = unit_amount * quantity);
ALTER TABLE orders ADD CONSTRAINT orders_reserved_check CHECK (reserved BETWEEN 0 AND quantity);
ALTER TABLE orders DROP COLUMN amount_subtotal, DROP COLUMN amount_discount, DROP COLUMN amount_shipping,
    DROP COLUMN amount_tax, DROP COLUMN amount_refunded, DROP COLUMN shipping, DROP COLUMN promotion_code;
DROP TABLE order_lines;
