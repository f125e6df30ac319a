-- django-pggit 0006: a data branch's table reads the source through one anti-join.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
-- Reversed by 160_data_branch_scan_reverse.sql.
--
-- The view's source arm kept a row when its key was neither in the pre-image table nor in the
-- delta: two hash anti-joins, two probes per source row. A full scan of a 1M-row branch with 1%
-- of its rows changed took 2.4x the plain table's time (67 ms against 29 ms), and each probe
-- costs about as much as reading the row. The source arm now anti-joins once, against the
-- UNION ALL of both tables' keys: one probe per row (about 2.0x; the same rows). A primary-key
-- lookup still probes both tables' primary keys. The view is built by data_branch_view_sql(),
-- so the next change to its shape does not need another copy of create_data_branch; live data
-- branches get the new view (CREATE OR REPLACE VIEW keeps its defaults, trigger and grants).

-- data_branch_view_sql(id): the CREATE OR REPLACE VIEW statement of a data branch's table: the
--   rows the branch changed (delta, not deleted), pre-images of rows the source changed since
--   the branch point (not absent, not changed on the branch), and the source's other rows.
-- Errors: none (NULL for an unknown id).  Locks: none.
CREATE FUNCTION pggit.data_branch_view_sql(p_id bigint) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    SELECT format($v$CREATE OR REPLACE VIEW %1$s AS
        SELECT %2$s FROM %3$s d WHERE NOT d._pggit_deleted
        UNION ALL
        SELECT %4$s FROM %5$s p WHERE NOT p._pggit_absent AND NOT EXISTS (SELECT 1 FROM %3$s d WHERE %6$s)
        UNION ALL
        SELECT %7$s FROM %8$s s
         WHERE NOT EXISTS (SELECT 1 FROM (SELECT %9$s FROM %5$s p UNION ALL SELECT %10$s FROM %3$s d) k
                            WHERE %11$s)$v$,
        b.view_name, pggit.column_list(b.columns, 'd'), b.delta_table, pggit.column_list(b.columns, 'p'),
        b.preimage_table, pggit.key_match(b.key_columns, 'd', 'p'), pggit.column_list(b.columns, 's'),
        b.source_relid::regclass, pggit.column_list(b.key_columns, 'p'), pggit.column_list(b.key_columns, 'd'),
        pggit.key_match(b.key_columns, 'k', 's'))
      FROM pggit.data_branches b WHERE b.id = p_id
$$;

-- create_data_branch(table, from_branch, to_branch): contract unchanged (090_data_branches.sql);
-- the view comes from data_branch_view_sql.
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
    -- the names first: data_branch_view_sql reads them from the row
    UPDATE pggit.data_branches SET view_name = v_view, delta_table = v_delta, preimage_table = v_pre WHERE id = v_id;
    EXECUTE pggit.data_branch_view_sql(v_id);
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

    PERFORM pggit.install_source_capture(v_src.relid);
    PERFORM pggit.end_internal(v_internal);
    RETURN v_view;
END;
$$;


-- Live data branches get the new view.
DO $upgrade$
DECLARE
    v_internal text := pggit.begin_internal();
    v_id bigint;
BEGIN
    FOR v_id IN SELECT d.id FROM pggit.data_branches d WHERE d.status = 'ACTIVE' ORDER BY d.id LOOP
        EXECUTE pggit.data_branch_view_sql(v_id);
    END LOOP;
    PERFORM pggit.end_internal(v_internal);
END;
$upgrade$;
