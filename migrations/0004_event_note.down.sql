ALTER TABLE stripe_events RENAME COLUMN note TO error;
