-- django-pggit 0006 reversed: restores 140_data_branch_key_updates.sql's create_data_branch
-- (copied verbatim), gives live data branches the two-anti-join view it created, and drops
-- data_branch_view_sql.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.

-- create_data_branch: 140_data_branch_key_updates.sql's definition.
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


DO $downgrade$
DECLARE
    v_internal text := pggit.begin_internal();
    d pggit.data_branches;
BEGIN
    FOR d IN SELECT * FROM pggit.data_branches b WHERE b.status = 'ACTIVE' ORDER BY b.id LOOP
        EXECUTE format($v$CREATE OR REPLACE VIEW %1$s AS
            SELECT %2$s FROM %3$s d WHERE NOT d._pggit_deleted
            UNION ALL
            SELECT %4$s FROM %5$s p WHERE NOT p._pggit_absent AND NOT EXISTS (SELECT 1 FROM %3$s d WHERE %6$s)
            UNION ALL
            SELECT %7$s FROM %8$s s WHERE NOT EXISTS (SELECT 1 FROM %5$s p WHERE %9$s)
                                    AND NOT EXISTS (SELECT 1 FROM %3$s d WHERE %10$s)$v$,
            d.view_name, pggit.column_list(d.columns, 'd'), d.delta_table, pggit.column_list(d.columns, 'p'),
            d.preimage_table, pggit.key_match(d.key_columns, 'd', 'p'), pggit.column_list(d.columns, 's'),
            d.source_relid::regclass, pggit.key_match(d.key_columns, 'p', 's'), pggit.key_match(d.key_columns, 'd', 's'));
    END LOOP;
    PERFORM pggit.end_internal(v_internal);
END;
$downgrade$;

DROP FUNCTION pggit.data_branch_view_sql(bigint);
