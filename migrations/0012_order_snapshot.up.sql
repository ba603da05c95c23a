-- What an order's Checkout Session is made of, kept when the order is
-- placed, as its lines' names and prices are: the reconciler repeats the
-- session's creation with the same idempotency key when the server stopped
-- before recording Stripe's answer, and Stripe refuses a repeat whose
-- parameters differ (a picture or a shipping rate changed meanwhile), which
-- the shop would take for "no session was made" while the customer can pay it.

-- The line's picture: the path of the product's main uploaded picture on
-- the shop ("/media/…", made absolute on APP_URL when it is sent), else its
-- external image_url, else ''.
ALTER TABLE order_lines ADD COLUMN image text NOT NULL DEFAULT '';

-- The shipping options offered, in order: [{"id", "name", "amount",
-- "min_days", "max_days"}] (id "free" for free shipping). NULL on an order
-- placed before this migration: its session reads the shop's rates as then.
ALTER TABLE orders ADD COLUMN shipping_options jsonb;

-- An open order placed before this migration may still have its session
-- made again: give its lines the picture it was sent with, the product's
-- picture of now.
UPDATE order_lines l SET image = coalesce(
    (SELECT '/media/' || m.key || '/' || (SELECT max(v.width) FROM media_variants v WHERE v.key = m.key) || '.' || m.ext
     FROM product_images pi JOIN media m ON m.key = pi.media_key
     WHERE pi.product_id = l.product_id
     ORDER BY pi.position, pi.created_at, pi.id LIMIT 1),
    (SELECT p.image_url FROM products p WHERE p.id = l.product_id), '')
FROM orders o WHERE o.id = l.order_id AND o.status = 'pending';
