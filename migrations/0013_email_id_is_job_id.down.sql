-- Back to records written in the transaction that queues their job, and
-- jobs that name their record (email_id): an e-mail still queued, whose job
-- has not run, gets its record and its job learns its id, so the previous
-- release's worker sends it.
DO $$
BEGIN
	IF to_regclass('river_job') IS NOT NULL THEN
		INSERT INTO order_emails (id, order_id, kind, recipient, message_id, job_id)
		SELECT j.id, (j.args->>'order_id')::uuid, j.args->>'kind', coalesce(j.args->>'recipient', ''),
			coalesce(j.args->>'message_id', ''), j.id
		FROM river_job j
		WHERE j.kind = 'send_email' AND j.state NOT IN ('completed', 'cancelled', 'discarded')
		ON CONFLICT (order_id, kind) DO NOTHING;
		UPDATE river_job j SET args = j.args || jsonb_build_object('email_id', e.id)
		FROM order_emails e
		WHERE j.kind = 'send_email' AND j.state NOT IN ('completed', 'cancelled', 'discarded')
			AND NOT j.args ? 'email_id'
			AND e.order_id = (j.args->>'order_id')::uuid AND e.kind = j.args->>'kind';
	END IF;
END $$;

ALTER TABLE order_emails ALTER COLUMN id DROP DEFAULT;
ALTER TABLE order_emails ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('order_emails', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM order_emails), false);
