-- django-pggit core: schema and shared helpers.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
--
-- Errors raised by pggit use SQLSTATE class "PG" (see docs/errors.md):
--   PGB01 branch not found        PGB02 branch already exists   PGB03 protected branch
--   PGB04 invalid branch name     PGB05 branch not active       PGB06 unmerged commits
--   PGC01 invalid message         PGC02 invalid author          PGC03 commit not found
--   PGC04 invalid argument        PGH01 history is append-only
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
CREATE FUNCTION pggit.generate_trinity_id() RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
BEGIN
    -- Overlay the 48-bit Unix time in ms on a random v4 UUID, then turn version 4 into 7
    -- (bits 52 and 53 of the big-endian bytea are the low bits of the version nibble).
    RETURN encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid::text;
END;
$$;

-- current_author()
-- Purpose: the author recorded when a caller passes none: the transaction/session setting
--   pggit.author (set by the Python API's author() context manager) or else the role acting
--   (current_user, which follows SET ROLE).
-- Arguments: none.  Errors: none.  Locks: none.
CREATE FUNCTION pggit.current_author() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN coalesce(nullif(current_setting('pggit.author', true), ''), current_user::text);
END;
$$;
