-- Every order has a short number people can say and type (#1001), the same
-- in the shop and, through the session's metadata, in Stripe's dashboard.
-- Orders already there are numbered in the order they were created; a
-- sequence may leave gaps (a rolled-back checkout), never repeats.
CREATE SEQUENCE order_number_seq START WITH 1001 MINVALUE 1001;
ALTER TABLE orders ADD COLUMN number bigint;
UPDATE orders SET number = n.number
FROM (SELECT id, 1000 + row_number() OVER (ORDER BY created_at, id) AS number FROM orders) n
WHERE orders.id = n.id;
SELECT setval('order_number_seq', coalesce((SELECT max(number) FROM orders), 1001), (SELECT count(*) > 0 FROM orders));
ALTER SEQUENCE order_number_seq OWNED BY orders.number;
ALTER TABLE orders
    ALTER COLUMN number SET DEFAULT nextval('order_number_seq'),
    ALTER COLUMN number SET NOT NULL,
    ADD CONSTRAINT orders_number_key UNIQUE (number);
