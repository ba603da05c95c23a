-- When the customer gave the order up themselves (the cancel link or the
-- "Cancel order" button): its status is expired, as for a session that ran
-- out, but the shop says "Cancelled".
ALTER TABLE orders ADD COLUMN cancelled_at timestamptz;
