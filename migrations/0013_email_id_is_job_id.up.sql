-- Issue 15, the webhook's cost: an e-mail's record is written by the job
-- that sends it, at its first attempt, no longer in the transaction that
-- queues it (that transaction inserts the River job only; until the job
-- first runs the admin reads the e-mail from the job). The record takes the
-- id of that first job, so an e-mail keeps one id from queued to sent.
ALTER TABLE order_emails ALTER COLUMN id DROP IDENTITY IF EXISTS;

-- The records made so far took their ids from their own sequence: River's
-- job ids move past them, so a new record's id (a new job's) is never one
-- an older record has. River's tables exist here unless the database is
-- new (River's migrator runs after ours), and then there is no record.
DO $$
BEGIN
	IF to_regclass('river_job_id_seq') IS NOT NULL THEN
		PERFORM setval('river_job_id_seq', greatest(
			(SELECT coalesce(max(id), 0) FROM order_emails) + 1, nextval('river_job_id_seq')));
	END IF;
END $$;
