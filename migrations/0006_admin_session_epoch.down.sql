ALTER TABLE admins DROP COLUMN session_epoch;
