-- django-pggit core: DDL capture by event triggers.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- Every DDL command on a tracked object (and any other DDL outside pggit's own schema) is
-- recorded in pggit.ddl_events by the same transaction that runs it, so DDL that rolls back
-- leaves no event. Events of a branch's workspace stay pending until the next commit on that
-- branch attaches them; a commit with no pending event reuses its parent's tree.
-- Each event keeps the catalog address of its object (classid, objid), which lets a commit
-- re-serialize only what changed (see 030_snapshots.sql). Which branch an event belongs to:
-- the branch whose workspace holds the object's schema; a trigger, policy or rule (reported
-- without a schema) goes to the branch owning its table; DDL on an object outside the tracked
-- schemas and workspaces goes to every branch whose objects depend on it (pg_depend,
-- transitively), so renaming a type that tracked tables use is not lost; and a DROP ... CASCADE
-- that reaches another schema's objects records an event for that schema's branch too.
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
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    classid         oid,
    objid           oid
);

COMMENT ON TABLE pggit.ddl_events IS
    'DDL captured by event triggers; commit_id is the commit that recorded it (NULL: pending).';

COMMENT ON COLUMN pggit.ddl_events.classid IS
    'catalog of the object the command created or altered (NULL for drops and commands without one)';

COMMENT ON COLUMN pggit.ddl_events.objid IS 'that object''s oid in its catalog';

-- A commit attaches its branch's pending events through the first index. The second holds
-- attached events only: were it to hold the pending ones too (NULL commit_id), the planner could
-- answer "this branch's pending events" by reading every branch's pending events through it, and
-- did, so each commit read work that grew with the DDL left uncommitted on other branches.
CREATE INDEX ddl_events_pending_idx ON pggit.ddl_events (branch_id) WHERE commit_id IS NULL;

CREATE INDEX ddl_events_commit_idx ON pggit.ddl_events (commit_id) WHERE commit_id IS NOT NULL;

-- Captured DDL is history once a commit recorded it. The only change the core makes is a
-- commit attaching pending events (commit_id NULL -> its id, nothing else changed); the WHEN
-- clause lets exactly that through without a function call, and refuse_history_rewrite
-- (020_commits.sql) refuses every other UPDATE, every DELETE and TRUNCATE. Nothing prunes
-- events: a deleted branch's pending events stay, attached to no commit.
CREATE TRIGGER ddl_events_append_only BEFORE UPDATE ON pggit.ddl_events
    FOR EACH ROW
    WHEN (OLD.commit_id IS NOT NULL OR NEW.commit_id IS NULL
          OR (OLD.id, OLD.branch_id, OLD.command_tag, OLD.object_type, OLD.schema_name,
              OLD.object_identity, OLD.statement, OLD.role_name, OLD.transaction_id,
              OLD.occurred_at, OLD.classid, OLD.objid)
             IS DISTINCT FROM
             (NEW.id, NEW.branch_id, NEW.command_tag, NEW.object_type, NEW.schema_name,
              NEW.object_identity, NEW.statement, NEW.role_name, NEW.transaction_id,
              NEW.occurred_at, NEW.classid, NEW.objid))
    EXECUTE FUNCTION pggit.refuse_history_rewrite();

CREATE TRIGGER ddl_events_no_delete BEFORE DELETE ON pggit.ddl_events
    FOR EACH ROW EXECUTE FUNCTION pggit.refuse_history_rewrite();

CREATE TRIGGER ddl_events_no_truncate BEFORE TRUNCATE ON pggit.ddl_events
    FOR EACH STATEMENT EXECUTE FUNCTION pggit.refuse_history_rewrite();

-- branch_of_namespace(schema_name)
-- Purpose: the branch a DDL event belongs to: the one whose workspace holds schema_name (main
--   for a tracked schema). Objects reported without a schema (schemas themselves) go to the
--   session's current branch, which at worst makes its next commit read the catalog. NULL for
--   untracked schemas.
-- PL/pgSQL, like ddl_role: every DDL statement's transaction calls both (see 000_schema.sql).
-- Each case is an index lookup by name: a CASE in one WHERE clause scanned pggit.branches for
-- every DDL statement, and every commit updates its branch's row, so on a busy database that
-- scan read many dead row versions (about 0.1 ms per DDL statement).
CREATE FUNCTION pggit.branch_of_namespace(p_schema text) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    IF p_schema IS NULL THEN
        RETURN (SELECT b.id FROM pggit.branches b WHERE b.name = pggit.current_branch() AND b.status <> 'DELETED');
    END IF;
    RETURN coalesce(
        (SELECT w.branch_id FROM pggit.workspaces w WHERE w.namespace = p_schema),
        CASE WHEN EXISTS (SELECT 1 FROM pggit.tracked_schemas t WHERE t.schema_name = p_schema) THEN
            (SELECT b.id FROM pggit.branches b WHERE b.name = 'main' AND b.status <> 'DELETED') END);
END;
$$;

-- ddl_role(): the role that ran the DDL. Inside a SECURITY DEFINER function current_user is
-- the definer, so use the SET ROLE setting, else the session user.
CREATE FUNCTION pggit.ddl_role() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    RETURN CASE WHEN current_setting('role') = 'none' THEN session_user::text
                ELSE current_setting('role') END;
END;
$$;

-- tracked_owner(classid, objid)
-- Purpose: the tracked object a catalog object belongs to, as the oid namespace_objects lists
--   it under: a table, view, materialized view or sequence (pg_class), a function (pg_proc),
--   an enum, domain or composite type (pg_type). Indexes, constraints, triggers, column
--   defaults, rules, policies and row types stand for their table or domain.
-- Returns: that oid; NULL when the object is gone or of a class snapshots do not follow.
-- Errors: none.  Locks: none.
CREATE FUNCTION pggit.tracked_owner(p_classid oid, p_objid oid) RETURNS oid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    RETURN CASE p_classid
        WHEN 'pg_class'::regclass THEN
            (SELECT CASE WHEN c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') THEN c.oid
                         WHEN c.relkind = 'c' THEN c.reltype
                         WHEN c.relkind IN ('i', 'I') THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid)
                         END  -- a TOAST table is reached only from its own table
               FROM pg_class c WHERE c.oid = p_objid)
        WHEN 'pg_type'::regclass THEN
            (SELECT CASE WHEN t.typrelid <> 0 AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) <> 'c'
                         THEN t.typrelid ELSE t.oid END
               FROM pg_type t WHERE t.oid = p_objid)
        WHEN 'pg_proc'::regclass THEN (SELECT p.oid FROM pg_proc p WHERE p.oid = p_objid)
        WHEN 'pg_constraint'::regclass THEN
            (SELECT CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END FROM pg_constraint k WHERE k.oid = p_objid)
        WHEN 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = p_objid)
        WHEN 'pg_attrdef'::regclass THEN (SELECT d.adrelid FROM pg_attrdef d WHERE d.oid = p_objid)
        WHEN 'pg_rewrite'::regclass THEN (SELECT w.ev_class FROM pg_rewrite w WHERE w.oid = p_objid)
        WHEN 'pg_policy'::regclass THEN (SELECT y.polrelid FROM pg_policy y WHERE y.oid = p_objid)
    END;
END;
$$;

-- owner_schema(classid, objid): the schema of the table a trigger, policy or rule belongs to
-- (pg_event_trigger_ddl_commands() reports them without one); NULL for anything else.
CREATE FUNCTION pggit.owner_schema(p_classid oid, p_objid oid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    IF p_classid NOT IN ('pg_trigger'::regclass, 'pg_policy'::regclass, 'pg_rewrite'::regclass) THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = pggit.tracked_owner(p_classid, p_objid));
END;
$$;

-- dependents_closure(seeds)
-- Purpose: the seeds and every object that depends on them through pg_depend, transitively,
--   each as tracked_owner numbers it (a view's rule counts as the view, a column default as
--   its table...); a table's row type leads to what uses it (functions, other tables' columns).
-- Returns: the oids, seeds included.  Errors: none.  Locks: none (catalog reads).
CREATE FUNCTION pggit.dependents_closure(p_seeds oid[]) RETURNS oid[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    WITH RECURSIVE closure(oid) AS (
        SELECT unnest(p_seeds)
        UNION
        SELECT pggit.tracked_owner(d.classid, d.objid)
          FROM closure x
         CROSS JOIN LATERAL (SELECT x.oid UNION ALL
                             SELECT c.reltype FROM pg_class c WHERE c.oid = x.oid AND c.reltype <> 0) r(ref)
          JOIN pg_depend d ON d.refclassid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass)
                          AND d.refobjid = r.ref
         WHERE x.oid IS NOT NULL AND d.deptype <> 'p'
    )
    SELECT coalesce(array_agg(oid), '{}') FROM closure WHERE oid IS NOT NULL
$$;

-- dependent_branches(classid, objid)
-- Purpose: the branches whose workspaces hold an object depending (transitively) on the given
--   one: DDL on an object outside every tracked schema and workspace (a type or function in
--   another schema, say) can still change their definitions, so its event is recorded for them
--   too. Called by capture_ddl_command for such objects only.
-- Returns: branch ids.  Errors: none.  Locks: none (catalog reads).
CREATE FUNCTION pggit.dependent_branches(p_classid oid, p_objid oid) RETURNS SETOF bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT DISTINCT b.branch_id
      FROM unnest(pggit.dependents_closure(ARRAY[pggit.tracked_owner(p_classid, p_objid)])) o(oid)
     CROSS JOIN LATERAL (SELECT coalesce((SELECT c.relnamespace FROM pg_class c WHERE c.oid = o.oid),
                                         (SELECT p.pronamespace FROM pg_proc p WHERE p.oid = o.oid),
                                         (SELECT t.typnamespace FROM pg_type t WHERE t.oid = o.oid)) AS ns) n
     CROSS JOIN LATERAL (SELECT pggit.branch_of_namespace(s.nspname::text) AS branch_id
                           FROM pg_namespace s WHERE s.oid = n.ns) b
     WHERE n.ns IS NOT NULL AND b.branch_id IS NOT NULL
$$;

-- capture_ddl_command(): event trigger function for ddl_command_end.
-- Records each command with its object's catalog address and branch (see the file header).
-- SECURITY DEFINER so that roles without rights on pggit can still run DDL (and get it
-- recorded); search_path is pinned. Never raises for ordinary DDL; refuses (PGX09) to alter a
-- table that live data branches read. An altered table that is a branch's copy of a table its
-- data branch serves makes the data branch follow (evolve_data_branches_of; PGW03/PGW04 when it
-- cannot), pggit's own DDL included (a merge into the branch). An altered table's unused data
-- stores are dropped (080_data_branches.sql).
CREATE FUNCTION pggit.capture_ddl_command() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_altered oid[];
BEGIN
    -- only an ALTER TABLE alters a table (pggit's own CREATEs, most of the DDL of a branch with
    -- data, skip reading the command list here), and pggit making its capture triggers on a
    -- data branch's source fire ALWAYS (pggit.capture_setup) changes no structure; a RENAME
    -- COLUMN is a 'table column' of its table
    IF tg_tag = 'ALTER TABLE' AND current_setting('pggit.capture_setup', true) IS DISTINCT FROM 'on' THEN
        v_altered := ARRAY(SELECT DISTINCT r.objid FROM pg_event_trigger_ddl_commands() r
                            WHERE r.object_type IN ('table', 'table column') AND r.command_tag = 'ALTER TABLE');
        PERFORM pggit.refuse_data_branch_source_change(v_altered);
        PERFORM pggit.evolve_data_branches_of(v_altered);
        -- a kept data store has the table's old columns (and depends on their types, which
        -- the next statement may drop): it goes now, the table's next data branch makes one
        IF EXISTS (SELECT 1 FROM pggit.data_stores s WHERE s.source_relid = ANY (v_altered)) THEN
            PERFORM pggit.drop_unused_data_stores(v_altered);
        END IF;
    END IF;
    IF current_setting('pggit.internal', true) = 'on' THEN
        RETURN;  -- pggit's own DDL (workspaces, data branches) is not user history
    END IF;
    WITH commands AS MATERIALIZED (
        SELECT r.command_tag, r.object_type, r.schema_name, r.object_identity, r.classid, r.objid,
               pggit.branch_of_namespace(coalesce(r.schema_name, pggit.owner_schema(r.classid, r.objid))) AS branch_id
          FROM pg_event_trigger_ddl_commands() r
         WHERE NOT r.in_extension
           AND coalesce(r.schema_name, '') <> 'pggit'
           AND coalesce(r.schema_name, '') !~ '^pg_(temp|toast)'
    )
    INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, schema_name,
                                  object_identity, statement, role_name, classid, objid)
    SELECT c.branch_id, c.command_tag, c.object_type, c.schema_name, c.object_identity,
           current_query(), pggit.ddl_role(), c.classid, c.objid
      FROM commands c
    UNION ALL
    -- an untracked object that tracked objects depend on: an event for each of their branches
    SELECT d.branch_id, c.command_tag, c.object_type, c.schema_name, c.object_identity,
           current_query(), pggit.ddl_role(), c.classid, c.objid
      FROM commands c CROSS JOIN LATERAL pggit.dependent_branches(c.classid, c.objid) d(branch_id)
     WHERE c.branch_id IS NULL AND c.objid IS NOT NULL AND c.command_tag NOT IN ('GRANT', 'REVOKE');
END;
$$;

-- capture_ddl_drop(): event trigger function for sql_drop (DROP is not reported at
-- ddl_command_end). Records each object the command dropped directly and, for each other
-- schema where it dropped objects by CASCADE (a column default or a trigger on a tracked table
-- that used a dropped function, say), one event for that schema's branch, whose next commit
-- then reads its whole workspace. Refuses (PGX09) to drop a table that live data branches read,
-- and (PGW03) a branch's copy of a table its live data branch serves; drops the data stores
-- kept for a dropped table (080_data_branches.sql).
CREATE FUNCTION pggit.capture_ddl_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_tables oid[] := ARRAY(SELECT o.objid FROM pg_event_trigger_dropped_objects() o WHERE o.object_type = 'table');
BEGIN
    PERFORM pggit.refuse_data_branch_source_change(v_tables);
    PERFORM pggit.refuse_data_branch_copy_drop(x.schemas, x.names)
       FROM (SELECT array_agg(o.schema_name) AS schemas, array_agg(o.object_name) AS names
               FROM pg_event_trigger_dropped_objects() o
              WHERE o.object_type = 'table' AND o.schema_name LIKE 'pggit\_b%') x;
    -- the data stores kept for a dropped table (a branch's, too: delete_branch drops its
    -- workspace) go with it
    IF EXISTS (SELECT 1 FROM pggit.data_stores s WHERE s.source_relid = ANY (v_tables)) THEN
        PERFORM pggit.drop_unused_data_stores(v_tables);
    END IF;
    IF current_setting('pggit.internal', true) = 'on' THEN
        RETURN;
    END IF;
    WITH dropped AS MATERIALIZED (
        -- a column default, trigger, policy or rule has no schema here: its table's is the first
        -- of its address names
        SELECT o.original, o.object_type, o.object_identity,
               coalesce(o.schema_name, CASE WHEN o.object_type IN ('default value', 'trigger', 'policy', 'rule')
                                            THEN o.address_names[1] END) AS schema_name
          FROM pg_event_trigger_dropped_objects() o
         WHERE NOT o.is_temporary
           AND coalesce(o.schema_name, '') <> 'pggit'
           AND NOT (o.object_type = 'schema' AND o.object_identity = 'pggit')
    )
    INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, schema_name,
                                  object_identity, statement, role_name)
    SELECT pggit.branch_of_namespace(d.schema_name), tg_tag, d.object_type, d.schema_name,
           d.object_identity, current_query(), pggit.ddl_role()
      FROM dropped d WHERE d.original
    UNION ALL
    SELECT x.branch_id, tg_tag, x.object_type, x.schema_name, x.object_identity, current_query(), pggit.ddl_role()
      FROM (SELECT DISTINCT ON (d.schema_name) d.schema_name, d.object_type, d.object_identity,
                   pggit.branch_of_namespace(d.schema_name) AS branch_id
              FROM dropped d
             WHERE NOT d.original AND d.schema_name IS NOT NULL
               AND d.schema_name NOT IN (SELECT o.schema_name FROM dropped o
                                          WHERE o.original AND o.schema_name IS NOT NULL)
             ORDER BY d.schema_name, d.object_identity) x
     WHERE x.branch_id IS NOT NULL;
END;
$$;

-- refuse_data_branch_source_change(relids)
-- Purpose: altering or dropping a table whose rows live data branches read would corrupt
--   them; the event triggers call this to refuse it (the DDL then rolls back). pggit's own
--   ALTER TABLE ... ENABLE ALWAYS TRIGGER of its capture triggers passes (pggit.capture_setup),
--   and so does a merge's DDL on the tables of the data branches it merges (their ids in
--   pggit.merging_data: complete_merge rebases them onto the new structure).
-- Errors: PGX09 naming the table and its data branches.
CREATE FUNCTION pggit.refuse_data_branch_source_change(p_relids oid[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_table text;
    v_branches text;
BEGIN
    IF cardinality(p_relids) = 0 OR current_setting('pggit.capture_setup', true) = 'on' THEN
        RETURN;  -- pggit making its own triggers on the source fire ALWAYS (enable_always)
    END IF;
    SELECT d.source_name, string_agg(DISTINCT b.name, ', ') INTO v_table, v_branches
      FROM pggit.data_branches d JOIN pggit.branches b ON b.id = d.branch_id
     WHERE d.status = 'ACTIVE' AND d.source_relid = ANY (p_relids)
       AND d.id <> ALL (string_to_array(coalesce(current_setting('pggit.merging_data', true), ''), ',')::bigint[])
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
LANGUAGE plpgsql STABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    RETURN (SELECT count(*) = 2 FROM pg_event_trigger
             WHERE evtname IN ('pggit_capture_ddl', 'pggit_capture_drop') AND evtenabled <> 'D');
END;
$$;

-- enable_ddl_capture()
-- Purpose: create the two event triggers that capture DDL, when they do not exist yet. The
--   install runs it as its last step (so pggit's own install DDL is never captured); a
--   superuser runs it later to turn capture on for an install made by another role.
-- Returns: whether capture is on afterwards.
-- Errors: none; for a role that is not a superuser (event triggers need one) a WARNING says
--   that capture stays off and what that means.  Locks: none.
CREATE FUNCTION pggit.enable_ddl_capture() RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE WARNING USING
            MESSAGE = format('pggit: DDL capture is OFF: role %I is not a superuser, and event triggers need one',
                             current_user),
            HINT = 'Everything else works; commits read the catalog every time. To turn capture on, '
                   'run SELECT pggit.enable_ddl_capture() as a superuser.';
        RETURN false;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pggit_capture_ddl') THEN
        CREATE EVENT TRIGGER pggit_capture_ddl ON ddl_command_end
            EXECUTE FUNCTION pggit.capture_ddl_command();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pggit_capture_drop') THEN
        CREATE EVENT TRIGGER pggit_capture_drop ON sql_drop
            EXECUTE FUNCTION pggit.capture_ddl_drop();
    END IF;
    RETURN pggit.ddl_capture_enabled();
END;
$$;
