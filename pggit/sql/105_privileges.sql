-- django-pggit core: who may call what, and who owns pggit (the roles are made in 110_roles.sql).
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- pggit_reader  reads history: SELECT on pggit's tables and EXECUTE on the read functions.
-- pggit_writer  a reader that may also call the write functions (commit, branch, merge, revert,
--               data branches). Neither role may INSERT, UPDATE, DELETE or TRUNCATE a pggit
--               table or use a pggit sequence: history changes only through the API.
-- pggit_owner   NOLOGIN. Owns schema pggit, its tables, sequences and functions; the write
--               functions run as it (SECURITY DEFINER, search_path pinned). It is granted the
--               installing role, so the DDL the API runs on the installer's objects (a merge
--               into main's tables, data-branch triggers on a source table) keeps working, and
--               pggit_writer, to hand what it creates in branch workspaces to writers.
-- An installer that is not a superuser keeps owning everything itself
-- (docs/managed-postgresql.md).
--
-- Every function of schema pggit is classified in function_access() below, as
--   read      SECURITY INVOKER (it reads what its caller may read: a reader never sees rows of
--             a user table it may not SELECT); EXECUTE to pggit_reader and pggit_writer;
--   write     SECURITY DEFINER, run as the owner; EXECUTE to pggit_writer;
--   internal  helpers of the write functions, trigger functions and install steps: EXECUTE for
--             nobody but the owner (trigger functions need no EXECUTE to fire).
-- EXECUTE is revoked from PUBLIC on every function, so an unclassified function (a new one
-- nobody listed yet) is callable by its owner only, and tests/test_privileges.py fails until it
-- is listed. apply_privileges() applies the classification: 110_roles.sql runs it after making
-- the roles, and 120_enable_capture.sql again as the install's last step, so functions of
-- every file are covered.

-- function_access()
-- Purpose: the classification of every function of schema pggit as 'read', 'write' or
--   'internal' (see the file header). A new function is one line here.
-- Returns: (function_name, access), one row per function name (all overloads share it).
-- Errors: none.  Locks: none.
CREATE FUNCTION pggit.function_access()
RETURNS TABLE (function_name text, access text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT v.function_name, v.access FROM (VALUES
        -- write: the API's changes, run as pggit_owner
        ('commit_changes', 'write'),
        ('create_branch', 'write'),
        ('create_branch_with_data', 'write'),
        ('delete_branch', 'write'),
        ('merge', 'write'),
        ('merge_preview', 'write'),      -- stores the merged definitions it proposes
        ('resolve_conflict', 'write'),
        ('revert', 'write'),
        ('cherry_pick', 'write'),
        ('checkout_commit', 'write'),
        ('drop_commit_checkout', 'write'),
        ('create_data_branch', 'write'),
        ('rebase_data_branch', 'write'),
        ('evolve_data_branch', 'write'),
        ('delete_data_branch', 'write'),
        ('tag', 'write'),
        ('delete_tag', 'write'),
        ('reset', 'write'),
        -- read: the API's reads and the helpers they call
        ('ahead_behind', 'read'),
        ('alter_column_ddl', 'read'),
        ('alter_ddl', 'read'),
        ('alter_sequence_ddl', 'read'),
        ('alter_table_element_ddl', 'read'),
        ('argument_types', 'read'),
        ('branch_namespaces', 'read'),
        ('branch_search_path', 'read'),
        ('branch_of_namespace', 'read'),
        ('branch_relation', 'read'),
        ('calculate_schema_hash', 'read'),
        ('change_detail', 'read'),
        ('changed_keys_filter', 'read'),
        ('changed_objects', 'read'),
        ('checkout', 'read'),
        ('classify_change', 'read'),
        ('column_list', 'read'),
        ('column_renames', 'read'),
        ('column_sql', 'read'),
        ('comment_ddl', 'read'),
        ('commit_hash', 'read'),
        ('commit_payload', 'read'),
        ('committable_table_definition', 'read'),
        ('commit_tree', 'read'),
        ('compare_histories', 'read'),
        ('count_ahead_behind', 'read'),
        ('create_ddl', 'read'),
        ('create_function_ddl', 'read'),
        ('create_table_ddl', 'read'),
        ('create_type_ddl', 'read'),
        ('current_author', 'read'),
        ('current_branch', 'read'),
        ('data_branch_changes', 'read'),
        ('data_branch_view_sql', 'read'),
        ('ddl_capture_enabled', 'read'),
        ('ddl_role', 'read'),
        ('definition_changes', 'read'),
        ('describe_changes', 'read'),
        ('dependent_branches', 'read'),
        ('dependents_closure', 'read'),
        ('diff', 'read'),
        ('diff_data', 'read'),
        ('diff_ddl', 'read'),
        ('domain_alter_ddl', 'read'),
        ('drop_ddl', 'read'),
        ('enum_labels_added', 'read'),
        ('enum_rename_ddl', 'read'),
        ('find_branch', 'read'),
        ('function_access', 'read'),
        ('generate_trinity_id', 'read'),
        ('get_version', 'read'),
        ('graph', 'read'),
        ('hash_definition', 'read'),
        ('history_branch', 'read'),
        ('increment_version', 'read'),
        ('is_ancestor', 'read'),
        ('is_widening', 'read'),
        ('json_object_or_null', 'read'),
        ('key_json', 'read'),
        ('key_match', 'read'),
        ('list_data_branches', 'read'),
        ('data_branch_staleness', 'read'),
        ('raise_invalid_ref_name', 'read'),
        ('require_current_data_branch', 'read'),
        ('data_branch_guard', 'read'),   -- called by each data-branch view: its readers need it
        ('data_source_fingerprint', 'read'),
        ('log', 'read'),
        ('merge_base', 'read'),
        ('merge_definitions', 'read'),
        ('merge_mode', 'read'),
        ('object_log', 'read'),
        ('merging_data_branches', 'read'),
        ('namespace_objects', 'read'),
        ('object_key', 'read'),
        ('object_name_sql', 'read'),
        ('owner_schema', 'read'),
        ('primary_key_columns', 'read'),
        ('raise_missing_branch', 'read'),
        ('ref_name_problem', 'read'),
        ('reflog', 'read'),
        ('reflog_hash', 'read'),
        ('refuse_self_merge', 'read'),
        ('refuse_uncommitted', 'read'),
        ('resolve', 'read'),
        ('resolve_branch_table', 'read'),
        ('resolve_commit', 'read'),
        ('resolve_ref', 'read'),
        ('resolve_table', 'read'),
        ('table_name_parts', 'read'),
        ('resolve_tree', 'read'),
        ('same_table_structure', 'read'),
        ('show', 'read'),
        ('show_object', 'read'),
        ('sql_keyword', 'read'),
        ('status', 'read'),
        ('table_comments_ddl', 'read'),
        ('tags', 'read'),
        ('table_definition', 'read'),
        ('table_definition_of', 'read'),
        ('tracked_owner', 'read'),
        ('domain_alters_in_place', 'read'),
        ('enum_labels_renamed', 'read'),
        ('object_ddl', 'read'),
        ('reference_text', 'read'),
        ('columns_retyped', 'read'),
        ('ddl_dependencies', 'read'),
        ('tree_definitions', 'read'),
        ('enum_add_ddl', 'read'),
        ('function_replaceable', 'read'),
        ('tree_ddl', 'read'),
        ('tree_entries', 'read'),
        ('unmerged_commit_hashes', 'read'),
        ('unmerged_commits', 'read'),
        ('unqualify', 'read'),
        ('validate_branch_name', 'read'),
        ('validate_commit_input', 'read'),
        ('validate_commit_id', 'read'),
        ('validate_max_count', 'read'),
        ('validate_tag_name', 'read'),
        ('validate_object_key', 'read'),
        ('verify', 'read'),
        ('walk_commits', 'read'),
        ('workspace_objects', 'read'),
        -- internal: write helpers, trigger functions, install steps
        ('apply_data_rows', 'internal'),
        ('apply_privileges', 'internal'),
        ('apply_tree', 'internal'),
        ('begin_internal', 'internal'),
        ('capture_ddl_command', 'internal'),
        ('capture_ddl_drop', 'internal'),
        ('capture_source_changes', 'internal'),
        ('chosen_parent', 'internal'),
        ('cherry_pick_message', 'internal'),
        ('commit_with_id', 'internal'),
        ('complete_merge', 'internal'),
        ('merge_commit', 'internal'),
        ('fast_forward', 'internal'),
        ('create_branch_schema', 'internal'),
        ('create_data_branch_objects', 'internal'),
        ('add_data_branch', 'internal'),
        ('raise_structure_differs', 'internal'),
        ('create_workspace', 'internal'),
        ('data_branch_source', 'internal'),
        ('data_branch_target', 'internal'),
        ('data_branch_write', 'internal'),
        ('data_capture_columns', 'internal'),
        ('create_data_branch_view', 'internal'),
        ('enable_always', 'internal'),
        ('find_data_branch', 'internal'),
        ('data_namespace', 'internal'),
        ('drop_data_branches', 'internal'),
        ('drop_workspace', 'internal'),
        ('enable_ddl_capture', 'internal'),
        ('end_data_branch', 'internal'),
        ('data_branch_copy', 'internal'),
        ('refuse_structure_change', 'internal'),
        ('added_column_value', 'internal'),
        ('evolve_data_branch_structure', 'internal'),
        ('evolve_data_branches_of', 'internal'),
        ('create_data_store', 'internal'),
        ('data_store_for', 'internal'),
        ('key_move_trigger_sql', 'internal'),
        ('drop_data_store', 'internal'),
        ('register_data_store', 'internal'),
        ('drop_unused_data_stores', 'internal'),
        ('shares_data_store', 'internal'),
        ('release_data_store', 'internal'),
        ('own_data_store', 'internal'),
        ('refuse_data_branch_copy_drop', 'internal'),
        ('add_data_branch_columns', 'internal'),
        ('data_branch_added_columns', 'internal'),
        ('preview_added_columns', 'internal'),
        ('end_internal', 'internal'),
        ('flag_source_key_move', 'internal'),
        ('give_to_writers', 'internal'),
        ('grant_branch_schema', 'internal'),
        ('inherit_versions', 'internal'),
        ('record_schema_conflicts', 'internal'),
        ('current_versions_of', 'internal'),
        ('install_key_move_flag', 'internal'),
        ('install_source_capture', 'internal'),
        ('lock_branch_for_commit', 'internal'),
        ('lock_merge_for_completion', 'internal'),
        ('lock_two_branches', 'internal'),
        ('merged_data_rows', 'internal'),
        ('merged_tree', 'internal'),
        ('plan_data_merge', 'internal'),
        ('plan_merge', 'internal'),
        ('record_commit', 'internal'),
        ('record_head_move', 'internal'),
        ('record_versions', 'internal'),
        ('refuse_checkout_write', 'internal'),
        ('refuse_data_branch_source_change', 'internal'),
        ('refuse_history_rewrite', 'internal'),
        ('refuse_ref_collision', 'internal'),
        ('refuse_source_truncate', 'internal'),
        ('refuse_untracked_schema', 'internal'),
        ('run_statements', 'internal'),
        ('run_statements_in', 'internal'),
        ('set_tracked_schemas', 'internal'),
        ('store_tree', 'internal')
    ) v(function_name, access)
$$;

-- grant_branch_schema(namespace)
-- Purpose: the rights on a branch's namespace (workspace or data-branch views) that the API's
--   roles need: USAGE for both, SELECT on its tables and views for readers, SELECT, INSERT,
--   UPDATE, DELETE (and sequences) for writers, for what pggit creates there now and later,
--   and CREATE for writers (new objects on a branch; what pggit creates in a workspace goes
--   to pggit_writer: give_to_writers).
--   Nothing when the roles do not exist. The GRANT ... ON ALL TABLES / SEQUENCES statements
--   run only when a relation is in the namespace (it records a dependency on it in pg_depend:
--   one index probe): each reads the whole of pg_class (no index on its namespace),
--   which grew with every branch's workspace, and a namespace made just now
--   (create_branch_schema) is empty; the default privileges cover what comes later.
-- Errors: none.  Locks: none.
CREATE FUNCTION pggit.grant_branch_schema(p_namespace text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    IF (SELECT count(*) FROM pg_roles WHERE rolname IN ('pggit_reader', 'pggit_writer')) < 2 THEN
        RETURN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %1$I TO pggit_reader, pggit_writer;
                    GRANT CREATE ON SCHEMA %1$I TO pggit_writer;
                    ALTER DEFAULT PRIVILEGES IN SCHEMA %1$I GRANT SELECT ON TABLES TO pggit_reader;
                    ALTER DEFAULT PRIVILEGES IN SCHEMA %1$I
                        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO pggit_writer;
                    ALTER DEFAULT PRIVILEGES IN SCHEMA %1$I GRANT USAGE, SELECT ON SEQUENCES TO pggit_writer',
                   p_namespace);
    IF EXISTS (SELECT 1 FROM pg_depend d
                 JOIN pg_namespace n ON n.oid = d.refobjid AND n.nspname = p_namespace
                WHERE d.refclassid = 'pg_namespace'::regclass AND d.classid = 'pg_class'::regclass) THEN
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %1$I TO pggit_reader;
                        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %1$I TO pggit_writer;
                        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %1$I TO pggit_writer',
                       p_namespace);
    END IF;
END;
$$;

-- give_to_writers(namespace)
-- Purpose: hand the tables, views, sequences, functions and types of a branch workspace that
--   pggit created (owned by the role the write functions run as) to pggit_writer, so a writer
--   may ALTER and DROP them on the branch, as the role that created the branch could before
--   the write functions ran as pggit_owner. Nothing when pggit_writer does not exist or the
--   role running it is not a member (it needs to be, to give objects away and keep running
--   DDL on them: apply_privileges grants pggit_writer to pggit_owner).
-- Errors: none.  Locks: ACCESS EXCLUSIVE on each object whose owner changes (new objects of
--   the caller's own transaction in practice).
CREATE FUNCTION pggit.give_to_writers(p_namespace text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_ns oid := to_regnamespace(p_namespace);
    r    record;
BEGIN
    IF v_ns IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pggit_writer')
       OR NOT pg_has_role(current_user, 'pggit_writer', 'MEMBER') THEN
        RETURN;
    END IF;
    FOR r IN SELECT format('ALTER %s %s OWNER TO pggit_writer',
                           CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                          WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                                          ELSE 'TABLE' END, c.oid::regclass) AS statement
               FROM pg_class c
              WHERE c.relnamespace = v_ns AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                AND c.relowner = current_user::regrole
                AND NOT EXISTS (SELECT 1 FROM pg_depend d   -- owned sequences follow their table
                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                   AND d.deptype IN ('a', 'i'))
             UNION ALL
             SELECT format('ALTER ROUTINE %s OWNER TO pggit_writer', p.oid::regprocedure)
               FROM pg_proc p WHERE p.pronamespace = v_ns AND p.proowner = current_user::regrole
             UNION ALL
             SELECT format('ALTER TYPE %s OWNER TO pggit_writer', t.oid::regtype)
               FROM pg_type t
              WHERE t.typnamespace = v_ns AND t.typowner = current_user::regrole
                AND t.typtype IN ('c', 'e', 'd', 'r', 'm')
                AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') LOOP
        EXECUTE r.statement;
    END LOOP;
END;
$$;

-- apply_privileges()
-- Purpose: make schema pggit's rights what the file header says: owner, table rights (SELECT
--   only for the roles; nothing on sequences), and for every function its owner, SECURITY
--   DEFINER for 'write' (INVOKER otherwise, except the trigger functions that are DEFINER in
--   their own definition), EXECUTE revoked from PUBLIC and granted by class. Idempotent;
--   110_roles.sql runs it (so running that file again after creating the roles by hand
--   applies them), and so does the install's last step (120_enable_capture.sql), for the
--   functions of files after 110.
-- Errors: none of its own (a WARNING when pggit_owner cannot be given the installer's rights).
-- Locks: ACCESS EXCLUSIVE on pggit's tables while their owner changes (install time only).
CREATE FUNCTION pggit.apply_privileges() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();  -- its DDL is pggit's, not captured history
    v_roles  boolean := (SELECT count(*) FROM pg_roles WHERE rolname IN ('pggit_reader', 'pggit_writer')) = 2;
    v_owner  text := current_user;
    r        record;
    v_access text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'pggit_owner')
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        v_owner := 'pggit_owner';
        -- the API's DDL on the installer's objects (main's tables, data-branch sources), and
        -- handing workspace objects to writers (give_to_writers); granted once per cluster
        FOR r IN SELECT g.name FROM (VALUES (current_user::text), ('pggit_writer')) g(name)
                  WHERE (g.name <> 'pggit_writer' OR v_roles)
                    AND NOT EXISTS (SELECT 1 FROM pg_auth_members m
                                     WHERE m.roleid = g.name::regrole AND m.member = 'pggit_owner'::regrole) LOOP
            BEGIN
                EXECUTE format('GRANT %I TO pggit_owner', r.name);
            EXCEPTION
                WHEN unique_violation THEN
                    NULL;  -- another database's install granted it at the same moment
                WHEN invalid_grant_operation THEN
                    RAISE WARNING USING
                        MESSAGE = format('pggit: cannot grant role %I to pggit_owner: %s', r.name, SQLERRM),
                        HINT = 'Merges and data branches then need pggit_owner to own the tables they change.';
            END;
        END LOOP;
        EXECUTE format('GRANT CREATE ON DATABASE %I TO pggit_owner', current_database());
        EXECUTE 'ALTER SCHEMA pggit OWNER TO pggit_owner';
        FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c
                  WHERE c.relnamespace = 'pggit'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                    AND c.relowner <> 'pggit_owner'::regrole
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d   -- identity sequences follow their table
                                     WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                       AND d.deptype = 'i') LOOP
            EXECUTE format('ALTER %s %s OWNER TO pggit_owner',
                           CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                          WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.rel);
        END LOOP;
        FOR r IN SELECT t.oid::regtype AS typ FROM pg_type t
                  WHERE t.typnamespace = 'pggit'::regnamespace AND t.typtype IN ('c', 'e', 'd')
                    AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') LOOP
            EXECUTE format('ALTER TYPE %s OWNER TO pggit_owner', r.typ);
        END LOOP;
        IF v_roles THEN
            EXECUTE 'ALTER DEFAULT PRIVILEGES FOR ROLE pggit_owner IN SCHEMA pggit
                     GRANT SELECT ON TABLES TO pggit_reader, pggit_writer';
        END IF;
    END IF;
    IF v_roles THEN
        GRANT USAGE ON SCHEMA pggit TO pggit_reader, pggit_writer;
        REVOKE ALL ON ALL TABLES IN SCHEMA pggit FROM pggit_reader, pggit_writer;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA pggit FROM pggit_reader, pggit_writer;
        GRANT SELECT ON ALL TABLES IN SCHEMA pggit TO pggit_reader, pggit_writer;
    END IF;
    REVOKE ALL ON ALL TABLES IN SCHEMA pggit FROM PUBLIC;
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA pggit FROM PUBLIC;
    REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA pggit FROM PUBLIC;
    FOR r IN SELECT p.oid::regprocedure AS fn, p.proname::text AS name, p.prosecdef,
                    p.proowner::regrole::text AS owner
               FROM pg_proc p WHERE p.pronamespace = 'pggit'::regnamespace LOOP
        SELECT a.access INTO v_access FROM pggit.function_access() a WHERE a.function_name = r.name;
        IF v_owner <> current_user AND r.owner <> v_owner THEN
            EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.fn, v_owner);
        END IF;
        IF v_access = 'write' AND NOT r.prosecdef THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER', r.fn);
        ELSIF v_access = 'read' AND r.prosecdef THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY INVOKER', r.fn);
        END IF;
        IF v_roles THEN
            EXECUTE format('REVOKE ALL ON FUNCTION %s FROM pggit_reader, pggit_writer', r.fn);
            IF v_access = 'read' THEN
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pggit_reader, pggit_writer', r.fn);
            ELSIF v_access = 'write' THEN
                EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO pggit_writer', r.fn);
            END IF;
        END IF;
    END LOOP;
    IF v_roles THEN
        FOR r IN SELECT w.namespace FROM pggit.workspaces w
                 UNION SELECT n.nspname FROM pg_namespace n WHERE n.nspname ~ '^pggit_b[0-9]+_[0-9]+_data$' LOOP
            PERFORM pggit.grant_branch_schema(r.namespace);
        END LOOP;
    END IF;
    PERFORM pggit.end_internal(v_internal);
END;
$$;
