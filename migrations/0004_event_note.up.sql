-- What the workflow noted about an event ("partial refund: the order stays
-- paid", "no order for session …") is a note for the admin, not an error.
ALTER TABLE stripe_events RENAME COLUMN error TO note;
