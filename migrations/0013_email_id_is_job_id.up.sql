-- Issue 15, the webhook's cost: an e-mail's record is written by the job
-- that sends it, at its first attempt, no longer in the transaction that
-- queues it (that transaction inserts the River job only; until the job
-- first runs the admin reads the e-mail from the job). The record takes the
-- id of that first job, so an e-mail keeps one id from queued to sent.
ALTER TABLE order_emails ALTER COLUMN id DROP IDENTITY IF EXISTS;

-- A record written without an id (by the previous release, still running
-- during a rolling deploy) takes the next of River's job ids: one no job
-- and no other record has. The name is looked up when a row is inserted
-- (River's migrator, which makes the sequence, runs after ours).
ALTER TABLE order_emails ALTER COLUMN id SET DEFAULT nextval('river_job_id_seq'::text);

-- The records made so far took their ids from their own sequence: River's
-- job ids move past them, so a new record's id (a new job's) is never one
-- an older record has. River's job inserts wait for the lock, so none takes
-- an id between the check and the move. On a new database River's tables do
-- not exist yet, and there is no record.
DO $$
BEGIN
	IF to_regclass('river_job') IS NOT NULL THEN
		LOCK TABLE river_job IN SHARE ROW EXCLUSIVE MODE;
		IF (SELECT coalesce(max(id), 0) FROM order_emails) >= (SELECT last_value FROM river_job_id_seq) THEN
			PERFORM setval('river_job_id_seq', (SELECT max(id) FROM order_emails) + 1, false);
		END IF;
	END IF;
END $$;
