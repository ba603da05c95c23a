-- An admin's sessions remember the epoch they began in and end when it
-- moves on: a password change or "sign out everywhere" bumps it. A session
-- whose admin row is gone ends too, checked on every admin request.
ALTER TABLE admins ADD COLUMN session_epoch bigint NOT NULL DEFAULT 0;
