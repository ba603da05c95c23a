ALTER TABLE orders DROP COLUMN IF EXISTS reconciled_at;
DROP INDEX IF EXISTS stripe_events_payment_intent_idx;
ALTER TABLE stripe_events DROP COLUMN IF EXISTS payment_intent_id;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_reserved_check;
ALTER TABLE orders DROP COLUMN IF EXISTS reserved;
