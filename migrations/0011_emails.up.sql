-- Issue 15: every e-mail an order causes, as the admin reads it, and the
-- disputes Stripe reports. River's own tables (river_job, …) are applied by
-- River's migrator in the same start-up step (internal/postgres/migrate.go).
CREATE TABLE order_emails (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id    uuid NOT NULL REFERENCES orders (id),
	kind        text NOT NULL,
	recipient   text NOT NULL,
	status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'retrying', 'sent', 'failed')),
	attempts    integer NOT NULL DEFAULT 0,
	last_error  text NOT NULL DEFAULT '',
	message_id  text NOT NULL,
	job_id      bigint,
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now(),
	sent_at     timestamptz,
	-- One e-mail of a kind per order: a redelivered event queues nothing new.
	UNIQUE (order_id, kind)
);

ALTER TABLE orders
	ADD COLUMN disputed       boolean NOT NULL DEFAULT false,
	ADD COLUMN dispute_reason text NOT NULL DEFAULT '',
	ADD COLUMN dispute_amount bigint NOT NULL DEFAULT 0;
