-- django-pggit core: DDL capture by event triggers.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
--
-- Every DDL command on a tracked object (and any other DDL outside pggit's own schema) is
-- recorded in pggit.ddl_events by the same transaction that runs it, so DDL that rolls back
-- leaves no event. Events of a branch's workspace stay pending until the next commit on that
-- branch attaches them; a commit with no pending event reuses its parent's tree.
-- Event triggers need a superuser: for any other installing role everything else installs,
-- capture stays off (commits then always read the catalog) and a WARNING says so.

CREATE TABLE pggit.ddl_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    branch_id       bigint REFERENCES pggit.branches (id),   -- NULL: not in a tracked schema
    commit_id       bigint REFERENCES pggit.commits (id) DEFERRABLE INITIALLY DEFERRED,
    command_tag     text NOT NULL,
    object_type     text,
    schema_name     text,
    object_identity text,
    statement       text,
    role_name       text NOT NULL,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE pggit.ddl_events IS
    'DDL captured by event triggers; commit_id is the commit that recorded it (NULL: pending).';
-- A commit attaches its branch's pending events through the first index. The second holds
-- attached events only: were it to hold the pending ones too (NULL commit_id), the planner could
-- answer "this branch's pending events" by reading every branch's pending events through it, and
-- did, so each commit read work that grew with the DDL left uncommitted on other branches.
CREATE INDEX ddl_events_pending_idx ON pggit.ddl_events (branch_id) WHERE commit_id IS NULL;
CREATE INDEX ddl_events_commit_idx ON pggit.ddl_events (commit_id) WHERE commit_id IS NOT NULL;

-- branch_of_namespace(schema_name)
-- Purpose: the branch a DDL event belongs to: the one whose workspace holds schema_name (main
--   for a tracked schema). Objects reported without a schema (triggers, policies, schemas
--   themselves) go to the session's current branch, which at worst makes its next commit
--   read the catalog. NULL for untracked schemas.
-- PL/pgSQL, like ddl_role: every DDL statement's transaction calls both (see 000_schema.sql).
CREATE FUNCTION pggit.branch_of_namespace(p_schema text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    RETURN coalesce(
        (SELECT w.branch_id FROM pggit.workspaces w WHERE w.namespace = p_schema),
        (SELECT b.id FROM pggit.branches b
          WHERE b.status <> 'DELETED'
            AND CASE WHEN p_schema IS NULL THEN b.name = pggit.current_branch()
                     ELSE b.name = 'main' AND EXISTS (SELECT 1 FROM pggit.tracked_schemas t
                                                       WHERE t.schema_name = p_schema) END));
END;
$$;

-- ddl_role(): the role that ran the DDL. Inside a SECURITY DEFINER function current_user is
-- the definer, so use the SET ROLE setting, else the session user.
CREATE FUNCTION pggit.ddl_role() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user::text
                ELSE current_setting('role') END;
END;
$$;

-- capture_ddl_command(): event trigger function for ddl_command_end.
-- SECURITY DEFINER so that roles without rights on pggit can still run DDL (and get it
-- recorded); search_path is pinned. Never raises for ordinary DDL.
CREATE FUNCTION pggit.capture_ddl_command() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    PERFORM pggit.refuse_data_branch_source_change(
        ARRAY(SELECT r.objid FROM pg_event_trigger_ddl_commands() r
               WHERE r.object_type = 'table' AND r.command_tag = 'ALTER TABLE'));
    IF current_setting('pggit.internal', true) = 'on' THEN
        RETURN;  -- pggit's own DDL (workspaces, data branches) is not user history
    END IF;
    INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, schema_name,
                                  object_identity, statement, role_name)
    SELECT pggit.branch_of_namespace(r.schema_name), r.command_tag, r.object_type, r.schema_name,
           r.object_identity, current_query(), pggit.ddl_role()
      FROM pg_event_trigger_ddl_commands() r
     WHERE NOT r.in_extension
       AND coalesce(r.schema_name, '') <> 'pggit'
       AND coalesce(r.schema_name, '') !~ '^pg_(temp|toast)';
END;
$$;

-- capture_ddl_drop(): event trigger function for sql_drop (DROP is not reported at
-- ddl_command_end). Records each object the command dropped directly.
CREATE FUNCTION pggit.capture_ddl_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    PERFORM pggit.refuse_data_branch_source_change(
        ARRAY(SELECT o.objid FROM pg_event_trigger_dropped_objects() o WHERE o.object_type = 'table'));
    IF current_setting('pggit.internal', true) = 'on' THEN
        RETURN;
    END IF;
    INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, schema_name,
                                  object_identity, statement, role_name)
    SELECT pggit.branch_of_namespace(o.schema_name), tg_tag, o.object_type, o.schema_name,
           o.object_identity, current_query(), pggit.ddl_role()
      FROM pg_event_trigger_dropped_objects() o
     WHERE o.original AND NOT o.is_temporary
       AND coalesce(o.schema_name, '') <> 'pggit'
       AND NOT (o.object_type = 'schema' AND o.object_identity = 'pggit');
END;
$$;

-- refuse_data_branch_source_change(relids)
-- Purpose: altering or dropping a table whose rows live data branches read would corrupt
--   them; the event triggers call this to refuse it (the DDL then rolls back).
-- Errors: PGX09 naming the table and its data branches.
CREATE FUNCTION pggit.refuse_data_branch_source_change(p_relids oid[]) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_table text;
    v_branches text;
BEGIN
    IF cardinality(p_relids) = 0 THEN
        RETURN;
    END IF;
    SELECT d.source_name, string_agg(DISTINCT b.name, ', ') INTO v_table, v_branches
      FROM pggit.data_branches d JOIN pggit.branches b ON b.id = d.branch_id
     WHERE d.status = 'ACTIVE' AND d.source_relid = ANY (p_relids)
     GROUP BY d.source_name LIMIT 1;
    IF v_table IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGX09',
            MESSAGE = format('cannot alter or drop %s: live data branches read its rows (branches: %s)', v_table, v_branches),
            HINT = 'Merge or delete those branches first.';
    END IF;
END;
$$;

-- ddl_capture_enabled(): whether both event triggers exist and are enabled.
CREATE FUNCTION pggit.ddl_capture_enabled() RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN (SELECT count(*) = 2 FROM pg_event_trigger
             WHERE evtname IN ('pggit_capture_ddl', 'pggit_capture_drop') AND evtenabled <> 'D');
END;
$$;

-- attach_pending_ddl(branch_id, commit_id)
-- Purpose: give the branch's pending DDL events to the commit being recorded.
-- Returns: whether there were any (i.e. whether the workspace may have changed).
-- Locks: the pending event rows (the caller holds the branch lock, so no other commit on the
--   branch competes for them).
CREATE FUNCTION pggit.attach_pending_ddl(p_branch_id bigint, p_commit_id bigint) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    UPDATE pggit.ddl_events SET commit_id = p_commit_id
     WHERE branch_id = p_branch_id AND commit_id IS NULL;
    RETURN FOUND;
END;
$$;

DO $install$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        CREATE EVENT TRIGGER pggit_capture_ddl ON ddl_command_end
            EXECUTE FUNCTION pggit.capture_ddl_command();
        CREATE EVENT TRIGGER pggit_capture_drop ON sql_drop
            EXECUTE FUNCTION pggit.capture_ddl_drop();
    ELSE
        RAISE WARNING USING
            MESSAGE = format('pggit: DDL capture is OFF: role %I is not a superuser, and event triggers need one',
                             current_user),
            HINT = 'Everything else works; commits read the catalog every time. To turn capture on, '
                   'run pggit/sql/040_ddl_capture.sql''s CREATE EVENT TRIGGER statements as a superuser.';
    END IF;
END;
$install$;
