-- django-pggit core: schema and shared helpers.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- Errors raised by pggit use SQLSTATE class "PG" (see docs/errors.md):
--   PGB01 branch not found        PGB02 branch already exists   PGB03 protected branch
--   PGB04 invalid branch name     PGB05 branch not active       PGB06 unmerged commits
--   PGC01 invalid message         PGC02 invalid author          PGC03 commit not found
--   PGC04 invalid argument        PGC05 invalid commit ID       PGC06 commit ID used elsewhere
--   PGH01 history is append-only  PGT06 schema not tracked
--   PGR01 ambiguous ref           PGR02 tag not found           PGR03 tag exists
--   PGR04 ref name collision      PGR05 invalid tag name
-- Retryable failures keep PostgreSQL's own codes: 40001 (serialization), 40P01 (deadlock),
-- 55P03 (lock not available).
--
-- Helpers on the commit path are PL/pgSQL even when one SQL expression would do: PL/pgSQL
-- keeps its plans for the session, while a LANGUAGE sql function that cannot be inlined (any
-- function with a SET clause) is parsed and planned again in every transaction that calls it.

CREATE SCHEMA pggit;

COMMENT ON SCHEMA pggit IS 'django-pggit: Git-style version control for this database';

-- generate_trinity_id()
-- Purpose: a new public identifier for a pggit entity: a time-ordered UUID (version 7,
--   RFC 9562) as text, so ids created later sort later and index inserts stay local.
-- Arguments: none.  Errors: none.  Locks: none.
-- The time field rounds down to the millisecond, as RFC 9562 asks. No SET clause, so the
-- planner inlines it into its callers: every name in it is schema-qualified instead.
CREATE FUNCTION pggit.generate_trinity_id() RETURNS text
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    -- Overlay the 48-bit Unix time in ms on a random v4 UUID, then turn version 4 into 7
    -- (bits 52 and 53 of the big-endian bytea are the low bits of the version nibble).
    SELECT pg_catalog.encode(
               pg_catalog.set_bit(pg_catalog.set_bit(
                   pg_catalog.overlay(
                       pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
                       pg_catalog.substring(pg_catalog.int8send(
                           pg_catalog.trunc(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp())
                                            OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8), 3),
                       1, 6),
                   52, 1), 53, 1),
               'hex')::pg_catalog.uuid::pg_catalog.text
$$;

-- current_author()
-- Purpose: the author recorded when a caller passes none: the transaction/session setting
--   pggit.author (set by the Python API's author() context manager) or else the role acting:
--   the SET ROLE setting, else the session user. Not current_user: the write functions run
--   as pggit_owner (SECURITY DEFINER, 105_privileges.sql), and inside them current_user is that.
-- Arguments: none.  Errors: none.  Locks: none.
-- Inlined by the planner (no SET clause; every name schema-qualified).
CREATE FUNCTION pggit.current_author() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_catalog.current_setting('pggit.author', true) OPERATOR(pg_catalog.<>) ''
                THEN pg_catalog.current_setting('pggit.author', true)
                WHEN pg_catalog.current_setting('role') OPERATOR(pg_catalog.<>) 'none'
                THEN pg_catalog.current_setting('role')
                ELSE SESSION_USER::pg_catalog.text END
$$;
