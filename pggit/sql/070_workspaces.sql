-- django-pggit core: branch workspaces, checkout and schema diff.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).

CREATE TABLE pggit.workspaces (
    branch_id      bigint NOT NULL REFERENCES pggit.branches (id),
    logical_schema text NOT NULL,
    namespace      text NOT NULL UNIQUE,
    PRIMARY KEY (branch_id, logical_schema)
);

COMMENT ON TABLE pggit.workspaces IS
    'Namespace holding a branch''s version of each tracked schema (main''s are the schemas '
    'themselves and are not listed). Names are derived from the branch id: pggit_b<id>_<n>.';

-- branch_namespaces(branch_id)
-- Purpose: the namespaces holding a branch's version of each tracked schema. main's
--   workspace is the tracked schemas themselves; other branches' are in pggit.workspaces.
-- Returns: (logical_schema, namespace oid), by logical schema.
CREATE FUNCTION pggit.branch_namespaces(p_branch_id bigint)
RETURNS TABLE (logical_schema text, namespace oid)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT t.schema_name, n.oid
      FROM pggit.tracked_schemas t JOIN pg_namespace n ON n.nspname = t.schema_name
     WHERE EXISTS (SELECT 1 FROM pggit.branches b WHERE b.id = p_branch_id AND b.name = 'main')
    UNION ALL
    SELECT w.logical_schema, n.oid
      FROM pggit.workspaces w JOIN pg_namespace n ON n.nspname = w.namespace
     WHERE w.branch_id = p_branch_id
     ORDER BY 1
$$;

-- begin_internal() / end_internal(previous)
-- Purpose: mark the DDL that follows in this transaction as pggit's own (the capture event
--   triggers skip it) and put the previous mark back afterwards. A function SET clause cannot
--   do this for a role without superuser (custom parameters), hence the explicit pair; an
--   error rolls the mark back with the (sub)transaction.
CREATE FUNCTION pggit.begin_internal() RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog SET jit = off AS $$
DECLARE
    v_previous text := coalesce(current_setting('pggit.internal', true), '');
BEGIN
    PERFORM set_config('pggit.internal', 'on', true);
    RETURN v_previous;
END;
$$;

CREATE FUNCTION pggit.end_internal(p_previous text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    PERFORM set_config('pggit.internal', p_previous, true);
END;
$$;

-- run_statements(branch_id, statements)
-- Purpose: run DDL statements (jsonb array of {object_key, statement}, in order) in the
--   branch's workspace: run_statements_in with the branch's namespaces; then, on a branch
--   other than main, what the statements created goes to pggit_writer (give_to_writers).
-- Errors: those of run_statements_in.
CREATE FUNCTION pggit.run_statements(p_branch_id bigint, p_statements jsonb) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_count integer;
BEGIN
    v_count := pggit.run_statements_in(
        (SELECT coalesce(jsonb_object_agg(n.logical_schema, n.namespace::regnamespace::text), '{}')
           FROM pggit.branch_namespaces(p_branch_id) n),
        p_statements);
    -- what pggit created in a branch's workspace is the branch's, so writers may change it
    PERFORM pggit.give_to_writers(n.namespace::regnamespace::text)
       FROM pggit.branch_namespaces(p_branch_id) n
      WHERE NOT EXISTS (SELECT 1 FROM pggit.branches b WHERE b.id = p_branch_id AND b.name = 'main');
    RETURN v_count;
END;
$$;

-- run_statements_in(namespaces, statements)
-- Purpose: run DDL statements (jsonb array of {object_key, statement}, in order), each with
--   search_path set to the namespace that holds its object's logical schema (namespaces:
--   jsonb {logical_schema: namespace}; a branch's workspace, or a commit checkout's).
--   pggit's own DDL: not captured as user DDL (pggit.internal), function bodies not checked
--   until use (they may reference objects created later in the list). An object key
--   ("table:public.users") names its logical schema, whose namespace is looked up in that
--   small list (a query per statement cost 0.2 ms each).
-- Errors: PGD02 an object of a schema with no namespace; the failing statement's own
--   SQLSTATE, with a message naming the statement; the caller's transaction then rolls back,
--   so nothing is half-applied.
CREATE FUNCTION pggit.run_statements_in(p_namespaces jsonb, p_statements jsonb) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET check_function_bodies = off SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    v_item      jsonb;
    v_position  integer := 0;
    v_namespace text;
    v_name      text;
    v_prefixes  text[];
    v_spaces    text[];
    v_state     text;
    v_message   text;
BEGIN
    SELECT array_agg(quote_ident(n.key) || '.' ORDER BY n.key), array_agg(n.value ORDER BY n.key)
      INTO v_prefixes, v_spaces
      FROM jsonb_each_text(p_namespaces) n;
    -- One exception block for the whole list (not one per statement): per-statement
    -- subtransactions would overflow the subxid cache on large workspaces.
    BEGIN
        FOR v_item IN SELECT value FROM jsonb_array_elements(p_statements) LOOP
            v_position := v_position + 1;
            v_name := substr(v_item->>'object_key', strpos(v_item->>'object_key', ':') + 1);
            v_namespace := NULL;
            FOR i IN 1 .. coalesce(cardinality(v_prefixes), 0) LOOP
                IF starts_with(v_name, v_prefixes[i]) THEN
                    v_namespace := v_spaces[i];
                    EXIT;
                END IF;
            END LOOP;
            IF v_namespace IS NULL THEN
                RAISE EXCEPTION USING ERRCODE = 'PGD02',
                    MESSAGE = format('no workspace schema for %s', v_item->>'object_key'),
                    HINT = 'Track the object''s schema (PGGIT["TRACKED_SCHEMAS"]) before branching it.';
            END IF;
            PERFORM set_config('search_path', v_namespace, true);
            EXECUTE v_item->>'statement';
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        RAISE EXCEPTION USING ERRCODE = v_state,
            MESSAGE = format('statement %s of %s failed: %s', v_position,
                             jsonb_array_length(p_statements), v_message),
            DETAIL = v_item->>'statement',
            HINT = 'Nothing was applied: the whole operation rolled back.';
    END;
    PERFORM pggit.end_internal(v_internal);
    RETURN v_position;
END;
$$;

-- create_branch_schema(namespace): create one of a branch's namespaces (its workspace's, or
-- the one of its data-branch views) with the API roles' rights on it (grant_branch_schema),
-- before anything is created in it. pggit's own DDL: the caller has set pggit.internal.
CREATE FUNCTION pggit.create_branch_schema(p_namespace text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    EXECUTE format('CREATE SCHEMA %I', p_namespace);
    PERFORM pggit.grant_branch_schema(p_namespace);
END;
$$;

-- create_workspace(branch_id, commit_hash)
-- Purpose: create the branch's namespaces (pggit_b<id>_<n>, one per tracked schema) and the
--   objects of commit_hash's tree in them (work proportional to the number of objects). The
--   API roles get their rights on the namespaces (grant_branch_schema) before anything is
--   created in them. (The branch's object versions: inherit_versions.)
-- Locks: creates new namespaces only.
CREATE FUNCTION pggit.create_workspace(p_branch_id bigint, p_commit_hash text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    v_schema record;
    v_tree   jsonb;
BEGIN
    FOR v_schema IN SELECT t.schema_name, row_number() OVER (ORDER BY t.schema_name) AS n
                      FROM pggit.tracked_schemas t LOOP
        PERFORM pggit.create_branch_schema(format('pggit_b%s_%s', p_branch_id, v_schema.n));
        INSERT INTO pggit.workspaces (branch_id, logical_schema, namespace)
        VALUES (p_branch_id, v_schema.schema_name, format('pggit_b%s_%s', p_branch_id, v_schema.n));
    END LOOP;
    SELECT t.entries INTO v_tree FROM pggit.commits c JOIN pggit.trees t ON t.hash = c.tree_hash
     WHERE c.hash = p_commit_hash;
    PERFORM pggit.run_statements(p_branch_id, coalesce((
        SELECT jsonb_agg(jsonb_build_object('object_key', d.object_key, 'statement', d.statement) ORDER BY d.step)
          FROM pggit.tree_ddl('{}', v_tree) d), '[]'));
    PERFORM pggit.end_internal(v_internal);
END;
$$;

-- current_versions_of(branch_id)
-- Purpose: a branch's current version of every object it ever versioned (the newest row per
--   object of the append-only pggit.object_versions), found by one index probe per object
--   (a skip scan over object_versions_current_idx), so its cost follows the branch's objects,
--   not the length of its history as the DISTINCT ON of view current_object_versions does.
CREATE FUNCTION pggit.current_versions_of(p_branch_id bigint) RETURNS SETOF pggit.object_versions
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    WITH RECURSIVE object_keys AS (
        (SELECT v.object_key FROM pggit.object_versions v
          WHERE v.branch_id = p_branch_id ORDER BY v.object_key LIMIT 1)
        UNION ALL
        SELECT (SELECT v.object_key FROM pggit.object_versions v
                 WHERE v.branch_id = p_branch_id AND v.object_key > k.object_key
                 ORDER BY v.object_key LIMIT 1)
          FROM object_keys k WHERE k.object_key IS NOT NULL
    )
    SELECT newest.*
      FROM object_keys k
      CROSS JOIN LATERAL (SELECT v.* FROM pggit.object_versions v
                           WHERE v.branch_id = p_branch_id AND v.object_key = k.object_key
                           ORDER BY v.id DESC LIMIT 1) newest
     WHERE k.object_key IS NOT NULL;
$$;

-- inherit_versions(branch_id, parent_branch_id, commit_hash)
-- Purpose: a new branch's object versions. Branched from its parent's head, it takes every
--   version row of the parent (dropped objects included). Branched from another commit, it
--   takes the parent's versions of the objects whose definition that commit holds, and the
--   commit's other objects start at 1.0.0 (versions are not kept per past commit).
-- Locks: none beyond the inserted rows.
CREATE FUNCTION pggit.inherit_versions(p_branch_id bigint, p_parent_id bigint, p_commit_hash text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_at_head boolean := EXISTS (SELECT 1 FROM pggit.branches b
                                  WHERE b.id = p_parent_id AND b.head_hash IS NOT DISTINCT FROM p_commit_hash);
    v_tree jsonb;
BEGIN
    IF v_at_head THEN
        INSERT INTO pggit.object_versions (branch_id, object_key, object_type, major, minor, patch,
                                           object_hash, dropped, commit_hash)
        SELECT p_branch_id, v.object_key, v.object_type, v.major, v.minor, v.patch, v.object_hash, v.dropped, v.commit_hash
          FROM pggit.current_versions_of(p_parent_id) v;
        RETURN;
    END IF;
    v_tree := pggit.commit_tree(p_commit_hash);
    INSERT INTO pggit.object_versions (branch_id, object_key, object_type, major, minor, patch,
                                       object_hash, dropped, commit_hash)
    SELECT p_branch_id, v.object_key, v.object_type, v.major, v.minor, v.patch, v.object_hash, v.dropped, v.commit_hash
      FROM pggit.current_versions_of(p_parent_id) v
     WHERE v.object_hash = v_tree->>v.object_key;
    IF p_commit_hash IS NOT NULL THEN
        PERFORM pggit.record_versions(p_branch_id, p_commit_hash, true);
    END IF;
END;
$$;

-- drop_workspace(branch_id): drop the branch's namespaces and everything in them.
CREATE FUNCTION pggit.drop_workspace(p_branch_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    v_namespace text;
BEGIN
    FOR v_namespace IN DELETE FROM pggit.workspaces WHERE branch_id = p_branch_id RETURNING namespace LOOP
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', v_namespace);
    END LOOP;
    PERFORM pggit.end_internal(v_internal);
END;
$$;

-- current_branch(): the branch this session works on (pggit.checkout sets it; default main).
CREATE FUNCTION pggit.current_branch() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    RETURN coalesce(nullif(current_setting('pggit.branch', true), ''), 'main');
END;
$$;

-- branch_search_path(branch_id, with_data, current_path)
-- Purpose: the search_path that works on a branch: its workspace namespaces first (preceded,
--   with_data, by the namespaces of its data-branch views, so unqualified names read the
--   branch's rows), then the entries of current_path that are not tracked schemas, workspaces
--   or data namespaces. The caller passes its session's path: a SET clause would hide it here.
-- Errors: none (an unknown id gives the path without branch namespaces).  Locks: none.
CREATE FUNCTION pggit.branch_search_path(p_branch_id bigint, p_with_data boolean, p_current text)
RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT string_agg(p.entry, ', ' ORDER BY p.pos) FROM (
        SELECT -1 AS pos, quote_ident(w.namespace || '_data') AS entry
          FROM pggit.workspaces w JOIN pg_namespace n ON n.nspname = w.namespace || '_data'
         WHERE p_with_data AND w.branch_id = p_branch_id
        UNION ALL
        SELECT 0, n.namespace::regnamespace::text
          FROM pggit.branch_namespaces(p_branch_id) n
        UNION ALL
        SELECT s.pos, btrim(s.entry)
          FROM unnest(string_to_array(p_current, ',')) WITH ORDINALITY AS s(entry, pos)
         WHERE btrim(s.entry) <> ''
           AND btrim(s.entry, ' "') NOT IN (SELECT t.schema_name FROM pggit.tracked_schemas t)
           AND btrim(s.entry, ' "') NOT IN (SELECT w.namespace FROM pggit.workspaces w)
           AND btrim(s.entry, ' "') NOT IN (SELECT w.namespace || '_data' FROM pggit.workspaces w)
    ) p
$$;

-- checkout(name)
-- Purpose: switch this session to a branch: pggit.branch = name and the branch's namespaces
--   first on search_path (other tracked schemas and workspaces removed from it, anything else
--   kept; see branch_search_path). Session-level, like SET; undone by a rollback of the
--   calling transaction.
-- Returns: the new search_path.
-- Errors: PGB04, PGB01, PGB05 (deleted branch).  Locks: none.
-- No search_path in its SET clause on purpose: the one it sets must outlive the call; every reference
-- inside is schema-qualified, operators included (a caller's path may put a look-alike = or <>
-- before pg_catalog: tests/test_privileges.py).
CREATE FUNCTION pggit.checkout(name text) RETURNS text
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    v_branch pggit.branches := pggit.find_branch(checkout.name);
BEGIN
    PERFORM pg_catalog.set_config('search_path',
        pggit.branch_search_path(v_branch.id, false, pg_catalog.current_setting('search_path')), false);
    PERFORM pg_catalog.set_config('pggit.branch', v_branch.name, false);
    RETURN pg_catalog.current_setting('search_path');
END;
$$;

-- resolve_tree(ref)
-- Purpose: the tree a diff compares: a live branch's head tree (empty for a branch without
--   commits), else the tree of the commit any other ref names (see pggit.resolve).
-- Errors: PGC03 unknown ref; PGR01 ambiguous prefix.
CREATE FUNCTION pggit.resolve_tree(p_ref text) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_head text;
    v_entries jsonb;
BEGIN
    SELECT b.head_hash INTO v_head FROM pggit.branches b WHERE b.name = p_ref AND b.status <> 'DELETED';
    IF NOT FOUND THEN
        v_head := pggit.resolve_ref(p_ref);
    END IF;
    SELECT t.entries INTO v_entries FROM pggit.commits c JOIN pggit.trees t ON t.hash = c.tree_hash
     WHERE c.hash = v_head;
    RETURN coalesce(v_entries, '{}'::jsonb);
END;
$$;

-- diff(a, b)
-- Purpose: what differs between two committed states (branches or commits): one row per
--   changed object with a column-level detail and the statements that change it, ordered by
--   the first phase of its DDL. diff_ddl gives the whole script in dependency order.
-- Errors: PGC03 unknown ref.  Locks: none.
CREATE FUNCTION pggit.diff(a text, b text)
RETURNS TABLE (object_key text, change text, detail text, ddl text[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    WITH trees AS (SELECT pggit.resolve_tree(a) AS ta, pggit.resolve_tree(b) AS tb),
    script AS (SELECT d.* FROM trees, pggit.tree_ddl(trees.ta, trees.tb) d)
    SELECT s.object_key, min(s.change),
           CASE WHEN min(s.change) = 'modified' THEN pggit.change_detail(
               (SELECT o.definition FROM trees, pggit.objects o WHERE o.hash = trees.ta->>s.object_key),
               (SELECT o.definition FROM trees, pggit.objects o WHERE o.hash = trees.tb->>s.object_key)) END,
           array_agg(s.statement ORDER BY s.step)
      FROM script s
     GROUP BY s.object_key
     ORDER BY min(s.step)
$$;

-- diff_ddl(a, b)
-- Purpose: the DDL script that turns a's schema into b's, in dependency order. Run with
--   search_path set to the target schema (statements are unqualified).
CREATE FUNCTION pggit.diff_ddl(a text, b text)
RETURNS TABLE (step bigint, object_key text, statement text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT d.step, d.object_key, d.statement
      FROM pggit.tree_ddl(pggit.resolve_tree(a), pggit.resolve_tree(b)) d
     ORDER BY d.step
$$;

CREATE TABLE pggit.commit_checkouts (
    commit_hash    text NOT NULL REFERENCES pggit.commits (hash),
    logical_schema text NOT NULL,
    namespace      text NOT NULL UNIQUE,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (commit_hash, logical_schema)
);

COMMENT ON TABLE pggit.commit_checkouts IS
    'Read-only copies of a commit''s schema (pggit.checkout_commit): one namespace per tracked '
    'schema, named pggit_c<first 12 hash digits>_<n>, its tables empty and refusing writes.';

-- refuse_checkout_write(): trigger function of every table of a commit checkout.
-- Errors: always PGK03.
CREATE FUNCTION pggit.refuse_checkout_write() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PGK03',
        MESSAGE = format('%I.%I is part of a read-only commit checkout: %s is refused',
                         TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP),
        HINT = 'A commit checkout shows a past schema: make changes in a branch''s workspace instead.';
END;
$$;

-- checkout_commit(ref)
-- Purpose: materialize a commit's schema read-only, for reading (SELECT, \d, EXPLAIN): one
--   new namespace per tracked schema (pggit_c<12 hash digits>_<n>), filled by the same DDL a
--   branch workspace gets (tree_ddl of the commit's tree, run by run_statements_in). Its
--   tables are empty (data is not time-travelled). Writes are refused by a statement-level
--   BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE trigger on every table (PGK03), enabled
--   ALWAYS so that session_replication_role = replica does not skip it; this holds for every
--   role, owner included, and does not depend on privileges or on default_transaction_read_only.
--   Only dropping the trigger (or the namespace) lifts it. pggit_reader and pggit_writer get
--   USAGE and SELECT on it. Idempotent: a commit checked out already returns its namespaces
--   (NOTICE). drop_commit_checkout removes it.
-- Arguments: ref text (pggit.resolve_commit).
-- Returns: (logical_schema, namespace), by logical schema.
-- Errors: PGC03 unknown or ambiguous ref; PGK04 a schema of that name exists and is not this
--   checkout's; PGD02/statement errors as for a workspace (nothing is left behind).
-- Locks: concurrent checkouts of one commit serialize on its commit_checkouts rows.
CREATE FUNCTION pggit.checkout_commit(ref text)
RETURNS TABLE (logical_schema text, namespace text)
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_hash     text := pggit.resolve_commit(ref);
    v_internal text;
    v_created  integer;
    v_spaces   jsonb;
    v_namespace text;
    v_relation regclass;
BEGIN
    INSERT INTO pggit.commit_checkouts (commit_hash, logical_schema, namespace, created_by)
    SELECT v_hash, t.schema_name, format('pggit_c%s_%s', left(v_hash, 12), row_number() OVER (ORDER BY t.schema_name)),
           pggit.current_author()
      FROM pggit.tracked_schemas t
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_created = ROW_COUNT;
    IF v_created = 0 THEN
        RAISE NOTICE 'pggit: commit % is already checked out', left(v_hash, 12);
    ELSE
        IF EXISTS (SELECT 1 FROM pggit.commit_checkouts k JOIN pg_namespace n ON n.nspname = k.namespace
                    WHERE k.commit_hash = v_hash) THEN
            RAISE EXCEPTION USING ERRCODE = 'PGK04',
                MESSAGE = format('cannot check out commit %s: a schema named pggit_c%s_* already exists',
                                 left(v_hash, 12), left(v_hash, 12)),
                HINT = 'pggit_c<hash>_<n> names are pggit''s: rename or drop that schema.';
        END IF;
        v_internal := pggit.begin_internal();
        SELECT jsonb_object_agg(k.logical_schema, quote_ident(k.namespace)) INTO v_spaces
          FROM pggit.commit_checkouts k WHERE k.commit_hash = v_hash;
        FOR v_namespace IN SELECT k.namespace FROM pggit.commit_checkouts k WHERE k.commit_hash = v_hash LOOP
            EXECUTE format('CREATE SCHEMA %I', v_namespace);
        END LOOP;
        PERFORM pggit.run_statements_in(v_spaces, coalesce((
            SELECT jsonb_agg(jsonb_build_object('object_key', d.object_key, 'statement', d.statement) ORDER BY d.step)
              FROM pggit.tree_ddl('{}', pggit.commit_tree(v_hash)) d), '[]'));
        FOR v_relation IN
            SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pggit.commit_checkouts k ON k.namespace = n.nspname
             WHERE k.commit_hash = v_hash AND c.relkind IN ('r', 'p')
             ORDER BY c.oid LOOP
            EXECUTE format('CREATE TRIGGER pggit_read_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
                           'FOR EACH STATEMENT EXECUTE FUNCTION pggit.refuse_checkout_write()', v_relation);
            EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pggit_read_only', v_relation);
        END LOOP;
        -- the API roles read it (the checkout belongs to the role the write functions run as)
        IF (SELECT count(*) FROM pg_roles WHERE rolname IN ('pggit_reader', 'pggit_writer')) = 2 THEN
            FOR v_namespace IN SELECT k.namespace FROM pggit.commit_checkouts k WHERE k.commit_hash = v_hash LOOP
                EXECUTE format('GRANT USAGE ON SCHEMA %1$I TO pggit_reader, pggit_writer;
                                GRANT SELECT ON ALL TABLES IN SCHEMA %1$I TO pggit_reader, pggit_writer',
                               v_namespace);
            END LOOP;
        END IF;
        PERFORM pggit.end_internal(v_internal);
    END IF;
    RETURN QUERY SELECT k.logical_schema, k.namespace FROM pggit.commit_checkouts k
                  WHERE k.commit_hash = v_hash ORDER BY k.logical_schema;
END;
$$;

-- drop_commit_checkout(ref)
-- Purpose: drop a commit checkout's namespaces and everything in them.
-- Arguments: ref text (pggit.resolve_commit).
-- Returns: the number of namespaces dropped; 0 (with a NOTICE) when the commit is not
--   checked out.
-- Errors: PGC03 unknown or ambiguous ref.  Locks: the checkout's rows.
CREATE FUNCTION pggit.drop_commit_checkout(ref text) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_hash      text := pggit.resolve_commit(ref);
    v_internal  text := pggit.begin_internal();
    v_namespace text;
    v_count     integer := 0;
BEGIN
    FOR v_namespace IN DELETE FROM pggit.commit_checkouts k WHERE k.commit_hash = v_hash RETURNING k.namespace LOOP
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', v_namespace);
        v_count := v_count + 1;
    END LOOP;
    IF v_count = 0 THEN
        RAISE NOTICE 'pggit: commit % is not checked out', left(v_hash, 12);
    END IF;
    PERFORM pggit.end_internal(v_internal);
    RETURN v_count;
END;
$$;
