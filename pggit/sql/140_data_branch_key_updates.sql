-- django-pggit 0004: a source UPDATE that changes a primary key stays out of its data branches.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
-- Reversed by 140_data_branch_key_updates_reverse.sql.
--
-- The source's update trigger saved the pre-images of the old rows only, so after
-- UPDATE source SET id = 2000 WHERE id = 2 a data branch still showed row 2 (its pre-image) but
-- also row 2000, read through from the source: a write on main leaked into the branch. Now the
-- update trigger also sees the new rows (REFERENCING NEW TABLE) and marks every new key that no
-- old row of the statement had as absent for the branch, as an INSERT on the source does.
-- That takes a dynamic anti-join of the two transition tables, planned on every run (about
-- 0.1 ms), so it runs only for statements that moved a key: a row-level trigger whose WHEN
-- clause compares the old and new key (evaluated by the executor, no function call) raises a
-- transaction-local flag for the table, which the statement-level trigger reads and clears.
-- Comparing per statement, not per row, keeps it right whatever order the rows were updated in
-- (a deferrable primary key lets a statement take a key another row gives up).

-- install_source_capture(source)
-- Purpose: create the triggers that keep a source's live data branches isolated (pre-images on
--   INSERT, UPDATE and DELETE; TRUNCATE refused) unless they exist. Called by
--   create_data_branch; pggit's own DDL (the caller sets pggit.internal).
-- Errors: none of its own.  Locks: the triggers' CREATE TRIGGER takes SHARE ROW EXCLUSIVE on source.
CREATE FUNCTION pggit.install_source_capture(p_source oid) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_source text := p_source::regclass::text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = p_source AND tgname = 'pggit_data_capture_insert') THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE TRIGGER pggit_data_capture_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS pggit_new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION pggit.capture_source_changes()', v_source);
    EXECUTE format('CREATE TRIGGER pggit_data_capture_update AFTER UPDATE ON %s
                    REFERENCING OLD TABLE AS pggit_old_rows NEW TABLE AS pggit_new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION pggit.capture_source_changes()', v_source);
    EXECUTE format('CREATE TRIGGER pggit_data_capture_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS pggit_old_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION pggit.capture_source_changes()', v_source);
    EXECUTE format('CREATE TRIGGER pggit_data_refuse_truncate BEFORE TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION pggit.refuse_source_truncate()', v_source);
    PERFORM pggit.install_key_move_flag(p_source);
END;
$$;

-- install_key_move_flag(source): the row-level trigger that flags a statement moving a key of
-- source (see the file header); its WHEN clause compares the primary key columns.
CREATE FUNCTION pggit.install_key_move_flag(p_source oid) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_keys text[];
BEGIN
    SELECT array_agg(a.attname::text ORDER BY k.o) INTO v_keys
      FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, o)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = p_source AND i.indisprimary;
    EXECUTE format('CREATE TRIGGER pggit_data_key_moved AFTER UPDATE ON %s FOR EACH ROW
                    WHEN ((%s) IS DISTINCT FROM (%s)) EXECUTE FUNCTION pggit.flag_source_key_move()',
                   p_source::regclass, pggit.column_list(v_keys, 'old'), pggit.column_list(v_keys, 'new'));
END;
$$;

-- flag_source_key_move(): row-level trigger function: an UPDATE moved a key of TG_RELID (a
-- transaction-local setting, read and cleared by capture_source_changes at the statement's end).
-- It runs once per moved row: no SET clause (a GUC save and restore per call); every name in it
-- is schema-qualified instead.
CREATE FUNCTION pggit.flag_source_key_move() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('pggit.keys_moved_' OPERATOR(pg_catalog.||) TG_RELID::pg_catalog.text, 'on', true);
    RETURN NULL;
END;
$$;

-- capture_source_changes(): statement-level AFTER trigger on a data branch's source (see
-- 090_data_branches.sql). Saves, for each live data branch of the source, the first pre-image of
-- every row the statement updated or deleted, and marks as absent every key it inserted: new
-- rows of an INSERT, and new rows of an UPDATE whose key no old row of the statement had (only
-- looked for when pggit_data_key_moved flagged the statement; the flag is cleared here).
-- SECURITY DEFINER: writers of the source need no rights on pggit.
CREATE OR REPLACE FUNCTION pggit.capture_source_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    d record;
    v_flag text := 'pggit.keys_moved_' || TG_RELID::text;
    v_moved boolean := TG_OP = 'UPDATE' AND current_setting(v_flag, true) = 'on';
BEGIN
    FOR d IN SELECT preimage_table, key_columns FROM pggit.data_branches
              WHERE source_relid = TG_RELID AND status = 'ACTIVE' LOOP
        IF TG_OP = 'INSERT' THEN
            EXECUTE format('INSERT INTO %s SELECT n.*, true FROM pggit_new_rows n ON CONFLICT DO NOTHING', d.preimage_table);
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE format('INSERT INTO %s SELECT o.*, false FROM pggit_old_rows o ON CONFLICT DO NOTHING', d.preimage_table);
        ELSIF v_moved THEN
            EXECUTE format('INSERT INTO %1$s SELECT o.*, false FROM pggit_old_rows o
                            UNION ALL
                            SELECT n.*, true FROM pggit_new_rows n
                             WHERE NOT EXISTS (SELECT 1 FROM pggit_old_rows o WHERE %2$s)
                            ON CONFLICT DO NOTHING', d.preimage_table, pggit.key_match(d.key_columns, 'o', 'n'));
        ELSE
            EXECUTE format('INSERT INTO %s SELECT o.*, false FROM pggit_old_rows o ON CONFLICT DO NOTHING', d.preimage_table);
        END IF;
    END LOOP;
    IF v_moved THEN
        PERFORM set_config(v_flag, '', true);
    END IF;
    RETURN NULL;
END;
$$;

-- create_data_branch(table, from_branch, to_branch): contract unchanged (090_data_branches.sql);
-- the source's triggers now come from install_source_capture.
CREATE OR REPLACE FUNCTION pggit.create_data_branch("table" text, from_branch text, to_branch text)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    v_from   pggit.branches := pggit.find_branch(from_branch);
    v_to     pggit.branches;
    v_src    record;
    v_dst    record;
    v_keys   text[];
    v_cols   text[];
    v_id     bigint;
    v_existing text;
    v_view   text;
    v_delta  text;
    v_pre    text;
    v_source text;
    v_default record;
BEGIN
    PERFORM pggit.validate_branch_name(to_branch);
    IF to_branch = 'main' OR to_branch = from_branch THEN
        RAISE EXCEPTION USING ERRCODE = 'PGX07',
            MESSAGE = format('cannot branch data into %L', to_branch),
            HINT = 'to_branch must be another branch than main and from_branch.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pggit.branches WHERE name = to_branch AND status <> 'DELETED') THEN
        IF EXISTS (SELECT 1 FROM pggit.branches WHERE name = to_branch) THEN
            PERFORM pggit.raise_missing_branch(to_branch);
        END IF;
        PERFORM pggit.create_branch(to_branch, from_branch);
    END IF;
    v_to := pggit.find_branch(to_branch, true);

    -- resolve_branch_table finds workspace tables only: the source is never a data-branch view
    v_src := pggit.resolve_branch_table("table", v_from);
    SELECT view_name INTO v_existing FROM pggit.data_branches
     WHERE branch_id = v_to.id AND logical_schema = v_src.logical_schema AND table_name = v_src.table_name
       AND status = 'ACTIVE';
    IF v_existing IS NOT NULL THEN
        PERFORM pggit.end_internal(v_internal);
        RETURN v_existing;
    END IF;

    SELECT array_agg(a.attname::text ORDER BY k.o) INTO v_keys
      FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, o)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = v_src.relid AND i.indisprimary;
    IF v_keys IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGX01',
            MESSAGE = format('table %s has no primary key', "table"),
            HINT = 'Data branches match rows by primary key: add one first.';
    END IF;
    SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO v_cols FROM pg_attribute a
     WHERE a.attrelid = v_src.relid AND a.attnum > 0 AND NOT a.attisdropped;

    v_dst := pggit.resolve_branch_table(quote_ident(v_src.logical_schema) || '.' || quote_ident(v_src.table_name), v_to);
    PERFORM set_config('search_path', 'pg_catalog, ' || quote_ident((SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = v_src.relid)), true);
    v_source := pggit.hash_definition(pggit.table_definition(v_src.relid) - 'triggers');
    PERFORM set_config('search_path', 'pg_catalog, ' || quote_ident((SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = v_dst.relid)), true);
    IF v_source <> pggit.hash_definition(pggit.table_definition(v_dst.relid) - 'triggers') THEN
        RAISE EXCEPTION USING ERRCODE = 'PGX05',
            MESSAGE = format('the structure of %s on branch %L differs from %L''s', "table", v_to.name, v_from.name),
            HINT = 'Create the data branch before changing the table''s structure on the branch.';
    END IF;
    PERFORM set_config('search_path', 'pg_catalog, pggit', true);

    v_source := v_src.relid::regclass::text;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_source);

    INSERT INTO pggit.data_branches (branch_id, from_branch_id, logical_schema, table_name, source_relid,
                                     source_name, view_name, delta_table, preimage_table, key_columns, columns)
    VALUES (v_to.id, v_from.id, v_src.logical_schema, v_src.table_name, v_src.relid, v_source, '', '', '', v_keys, v_cols)
    RETURNING id INTO v_id;
    v_delta := format('pggit.%I', format('data_%s_delta', v_id));
    v_pre := format('pggit.%I', format('data_%s_pre', v_id));
    v_view := format('%I.%I', pggit.data_namespace(v_to.id, v_src.logical_schema), v_src.table_name);

    EXECUTE format('CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', v_delta, v_source);
    EXECUTE format('ALTER TABLE %s ADD COLUMN _pggit_deleted boolean NOT NULL DEFAULT false, ADD PRIMARY KEY (%s)',
                   v_delta, pggit.column_list(v_keys));
    EXECUTE format('CREATE TABLE %s (LIKE %s)', v_pre, v_source);
    EXECUTE format('ALTER TABLE %s ADD COLUMN _pggit_absent boolean NOT NULL DEFAULT false, ADD PRIMARY KEY (%s)',
                   v_pre, pggit.column_list(v_keys));
    EXECUTE format($v$CREATE VIEW %1$s AS
        SELECT %2$s FROM %3$s d WHERE NOT d._pggit_deleted
        UNION ALL
        SELECT %4$s FROM %5$s p WHERE NOT p._pggit_absent AND NOT EXISTS (SELECT 1 FROM %3$s d WHERE %6$s)
        UNION ALL
        SELECT %7$s FROM %8$s s WHERE NOT EXISTS (SELECT 1 FROM %5$s p WHERE %9$s)
                                AND NOT EXISTS (SELECT 1 FROM %3$s d WHERE %10$s)$v$,
        v_view, pggit.column_list(v_cols, 'd'), v_delta, pggit.column_list(v_cols, 'p'), v_pre,
        pggit.key_match(v_keys, 'd', 'p'), pggit.column_list(v_cols, 's'), v_source,
        pggit.key_match(v_keys, 'p', 's'), pggit.key_match(v_keys, 'd', 's'));
    -- the view takes the source's column defaults (identity columns draw from its sequence)
    FOR v_default IN
        SELECT a.attname, CASE WHEN a.attidentity <> '' THEN format('nextval(%L::regclass)', pg_get_serial_sequence(v_source, a.attname))
                               ELSE pg_get_expr(ad.adbin, ad.adrelid) END AS expr
          FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         WHERE a.attrelid = v_src.relid AND a.attnum > 0 AND NOT a.attisdropped
           AND (a.attidentity <> '' OR (ad.adbin IS NOT NULL AND a.attgenerated = ''))
    LOOP
        EXECUTE format('ALTER VIEW %s ALTER COLUMN %I SET DEFAULT %s', v_view, v_default.attname, v_default.expr);
    END LOOP;
    EXECUTE format('CREATE TRIGGER pggit_data_write INSTEAD OF INSERT OR UPDATE OR DELETE ON %s
                    FOR EACH ROW EXECUTE FUNCTION pggit.data_branch_write(%L)', v_view, v_id);
    UPDATE pggit.data_branches SET view_name = v_view, delta_table = v_delta, preimage_table = v_pre WHERE id = v_id;

    PERFORM pggit.install_source_capture(v_src.relid);
    PERFORM pggit.end_internal(v_internal);
    RETURN v_view;
END;
$$;


-- end_data_branch(id, status): contract unchanged (090_data_branches.sql); also drops the
-- key-move trigger with the source's other capture triggers.
CREATE OR REPLACE FUNCTION pggit.end_data_branch(p_id bigint, p_status text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    d pggit.data_branches;
BEGIN
    UPDATE pggit.data_branches SET status = p_status, ended_at = now()
     WHERE id = p_id AND status = 'ACTIVE' RETURNING * INTO d;
    IF d.id IS NULL THEN
        PERFORM pggit.end_internal(v_internal);
        RETURN;
    END IF;
    EXECUTE format('DROP VIEW IF EXISTS %s', d.view_name);
    EXECUTE format('DROP TABLE IF EXISTS %s, %s', d.delta_table, d.preimage_table);
    IF NOT EXISTS (SELECT 1 FROM pggit.data_branches WHERE source_relid = d.source_relid AND status = 'ACTIVE')
       AND EXISTS (SELECT 1 FROM pg_class WHERE oid = d.source_relid) THEN
        EXECUTE format('DROP TRIGGER IF EXISTS pggit_data_capture_insert ON %1$s;
                        DROP TRIGGER IF EXISTS pggit_data_capture_update ON %1$s;
                        DROP TRIGGER IF EXISTS pggit_data_capture_delete ON %1$s;
                        DROP TRIGGER IF EXISTS pggit_data_refuse_truncate ON %1$s;
                        DROP TRIGGER IF EXISTS pggit_data_key_moved ON %1$s', d.source_relid::regclass);
    END IF;
    PERFORM pggit.end_internal(v_internal);
END;
$$;


-- Sources with live data branches get the new update trigger (same name, NEW TABLE added) and
-- the key-move flag.
DO $upgrade$
DECLARE
    v_internal text := pggit.begin_internal();
    v_source oid;
BEGIN
    FOR v_source IN SELECT DISTINCT d.source_relid FROM pggit.data_branches d
                     WHERE d.status = 'ACTIVE' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.source_relid) LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS pggit_data_capture_update ON %s', v_source::regclass);
        EXECUTE format('CREATE TRIGGER pggit_data_capture_update AFTER UPDATE ON %s
                        REFERENCING OLD TABLE AS pggit_old_rows NEW TABLE AS pggit_new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION pggit.capture_source_changes()', v_source::regclass);
        PERFORM pggit.install_key_move_flag(v_source);
    END LOOP;
    PERFORM pggit.end_internal(v_internal);
END;
$upgrade$;
