-- The role PgBouncer logs in as to look up project roles' passwords (auth_user).
-- Its password must match deploy/pgbouncer/userlist.txt (and PGBOUNCER_AUTH_PASSWORD).
CREATE ROLE pgbouncer_auth LOGIN PASSWORD 'change-me-pgbouncer-auth';
