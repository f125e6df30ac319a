-- django-pggit core: copy-on-write data branches.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- A data branch gives a branch its own version of one table's rows without copying them:
--   delta     pggit.data_<n>_delta: the branch's own inserts/updates (and deletes, flagged),
--             keyed by the data branch's id (_pggit_data) and the table's primary key, with
--             the table's NOT NULL and CHECK rules;
--   preimage  pggit.data_<n>_pre: the first pre-image of each source row changed after the
--             branch point (inserted rows are flagged absent), saved by statement-level
--             triggers on the source that exist only while a data branch of it is live;
--   view      <branch data namespace>.<table>: delta, else pre-image, else source row, with
--             INSTEAD OF triggers for INSERT/UPDATE/DELETE. Every arm is an index lookup for
--             a primary-key predicate.
-- The source stays a plain table on its readers' path: no view, rule or function in front.
--
-- The delta and pre-image tables are a store that a source's data branches share when they
-- have the same structure (every row carries its data branch's id): creating two tables with a
-- primary key and a TOAST table is most of what a data branch would cost otherwise (a branch
-- made with data took 3x as long as one without). A table's first data branch creates its
-- store; the store stays, emptied, when the last live one ends, so the next one finds it
-- (pggit.data_stores, data_store_for, release_data_store). A data branch whose structure
-- departs from the others' (its branch added a column) moves its rows to a store of its own
-- first (own_data_store); a rebase moves them to the store of the source's new structure.
-- Joining a store and leaving it take locks on the source that conflict with each other and
-- with themselves (add_data_branch, end_data_branch), so a store is never emptied or dropped
-- while another data branch takes it up.
--
-- The view's source arm keeps a source row whose key is in neither the pre-images nor the
-- delta: one anti-join against the UNION ALL of both tables' keys, one hash probe per source
-- row (a full scan of 1M rows with 1% changed: about 2.0x the plain table; two anti-joins, one
-- per table, took 2.4x). A primary-key lookup probes both tables' primary keys.
--
-- A source UPDATE that changes a primary key must stay out of its data branches: after
-- UPDATE source SET id = 2000 WHERE id = 2 the branch shows row 2 (its pre-image) and must not
-- read row 2000 through from the source. So the source's update trigger also sees the new rows
-- (REFERENCING NEW TABLE) and marks every new key that no old row of the statement had as
-- absent for the branch, as an INSERT on the source does. That takes a dynamic anti-join of the
-- two transition tables, planned on every run (about 0.1 ms), so it runs only for statements
-- that moved a key: a row-level trigger whose WHEN clause compares the old and new key
-- (evaluated by the executor, no function call) raises a transaction-local flag for the table,
-- which the statement-level trigger reads and clears. Comparing per statement, not per row,
-- keeps it right whatever order the rows were updated in (a deferrable primary key lets a
-- statement take a key another row gives up).

CREATE TABLE pggit.data_branches (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid            uuid NOT NULL DEFAULT pggit.generate_trinity_id()::uuid UNIQUE,
    branch_id       bigint NOT NULL REFERENCES pggit.branches (id),
    from_branch_id  bigint NOT NULL REFERENCES pggit.branches (id),
    logical_schema  text NOT NULL,
    table_name      text NOT NULL,
    source_relid    oid NOT NULL,      -- from_branch's table
    source_name     text NOT NULL,     -- its qualified name, for messages and SQL
    view_name       text NOT NULL,     -- the branch's table (qualified)
    delta_table     text NOT NULL,     -- qualified; its store's, maybe shared (rows: _pggit_data = id)
    preimage_table  text NOT NULL,     -- qualified; the same store's
    key_columns     text[] NOT NULL,
    columns         text[] NOT NULL,
    column_numbers  smallint[] NOT NULL, -- the columns' attnums in the source (a rename keeps it)
    fingerprint     text NOT NULL,     -- data_source_fingerprint(source) when made or rebased
    -- columns the branch added to the table (085_data_branch_evolution.sql), after columns in
    -- its view, delta and pre-image tables: their value for the source's rows (a SQL literal),
    -- and their numbers in the branch's copy of the table
    added_columns   text[] NOT NULL DEFAULT '{}',
    added_values    text[] NOT NULL DEFAULT '{}',
    added_numbers   smallint[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'MERGED', 'DROPPED')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz
);

CREATE UNIQUE INDEX data_branches_live_key ON pggit.data_branches (branch_id, logical_schema, table_name)
    WHERE status = 'ACTIVE';

CREATE INDEX data_branches_source_idx ON pggit.data_branches (source_relid) WHERE status = 'ACTIVE';

-- The stores (see the file header): pggit.data_<id>_delta and pggit.data_<id>_pre, made for
-- the source's structure then (fingerprint, columns, key). A joinable store is kept, empty, when
-- its last data branch ends, so that the table's next data branch finds it; one that a data
-- branch made its own (own_data_store) goes with it. The unused stores of a table go when it
-- is altered or dropped (the DDL event triggers), else when its next store is made or a branch
-- is deleted (drop_unused_data_stores).
CREATE TABLE pggit.data_stores (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_relid    oid NOT NULL,
    fingerprint     text NOT NULL,
    columns         text[] NOT NULL,
    column_numbers  smallint[] NOT NULL,
    key_columns     text[] NOT NULL,
    joinable        boolean NOT NULL DEFAULT true,
    delta_table     text NOT NULL UNIQUE,
    preimage_table  text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX data_stores_source_idx ON pggit.data_stores (source_relid);

COMMENT ON TABLE pggit.data_stores IS 'The delta and pre-image tables that data branches of a table share.';

COMMENT ON TABLE pggit.data_branches IS 'Copy-on-write data branches: one table''s rows for one branch.';

-- key_match(columns, left, right): "l.a = r.a AND l.b = r.b" for the key columns.
CREATE FUNCTION pggit.key_match(p_columns text[], p_left text, p_right text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT string_agg(format('%s.%I = %s.%I', p_left, c, p_right, c), ' AND ' ORDER BY o)
      FROM unnest(p_columns) WITH ORDINALITY AS x(c, o)
$$;

-- key_json(columns, alias): "jsonb_build_object('a', x.a, ...)": a row's key as jsonb.
CREATE FUNCTION pggit.key_json(p_columns text[], p_alias text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT 'jsonb_build_object(' || string_agg(format('%L, %s.%I', c, p_alias, c), ', ' ORDER BY o) || ')'
      FROM unnest(p_columns) WITH ORDINALITY AS x(c, o)
$$;

-- column_list(columns, alias): "x.a, x.b".
CREATE FUNCTION pggit.column_list(p_columns text[], p_alias text DEFAULT NULL) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT string_agg(coalesce(p_alias || '.', '') || quote_ident(c), ', ' ORDER BY o)
      FROM unnest(p_columns) WITH ORDINALITY AS x(c, o)
$$;

-- changed_keys_filter(data_branch): a WHERE condition keeping the rows whose key changed on
-- either side since the branch point (delta and pre-image keys). Its key columns are unqualified:
-- use it in a query with one relation (the source or the branch's view), computed once for both.
-- With a one-column key and up to 50,000 changed keys it is "key = ANY (ARRAY(...))": the
-- planner pushes that into each arm of the branch's view and probes the primary keys, so the cost
-- follows the changed rows, not the table. A subquery IN (...) is not pushed into the view's
-- UNION ALL and scans the whole table; it stays for composite keys and for many changed keys
-- (= ANY over a parameter array is not hashed, so a sequential plan over a huge array would be
-- quadratic).
CREATE FUNCTION pggit.changed_keys_filter(d pggit.data_branches) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_keys text := pggit.column_list(d.key_columns);
    v_candidates text := format('SELECT %1$s FROM %2$s WHERE _pggit_data = %4$s UNION SELECT %1$s FROM %3$s WHERE _pggit_data = %4$s',
                                v_keys, d.delta_table, d.preimage_table, d.id);
    v_changed bigint;
BEGIN
    IF cardinality(d.key_columns) = 1 THEN
        EXECUTE format('SELECT (SELECT count(*) FROM %1$s WHERE _pggit_data = %3$s) + (SELECT count(*) FROM %2$s WHERE _pggit_data = %3$s)',
                       d.delta_table, d.preimage_table, d.id) INTO v_changed;
        IF v_changed <= 50000 THEN
            RETURN format('%s = ANY (ARRAY(%s))', v_keys, v_candidates);
        END IF;
    END IF;
    RETURN format('(%s) IN (%s)', v_keys, v_candidates);
END;
$$;

-- data_namespace(branch_id, logical_schema): where a branch's data-branch views live
-- (pggit_b<id>_<n>_data, beside the workspace namespace pggit_b<id>_<n>); created on demand,
-- with the API roles' rights (grant_branch_schema).
CREATE FUNCTION pggit.data_namespace(p_branch_id bigint, p_logical_schema text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    v_namespace text;
BEGIN
    SELECT w.namespace || '_data' INTO v_namespace FROM pggit.workspaces w
     WHERE w.branch_id = p_branch_id AND w.logical_schema = p_logical_schema;
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = v_namespace) THEN
        PERFORM pggit.create_branch_schema(v_namespace);
    END IF;
    PERFORM pggit.end_internal(v_internal);
    RETURN v_namespace;
END;
$$;

-- capture_source_changes(): statement-level AFTER trigger on a data branch's source. Saves, for
-- each live data branch of the source, the first pre-image of every row the statement updated
-- or deleted, and marks as absent every key it inserted: new rows of an INSERT, and new rows of
-- an UPDATE whose key no old row of the statement had (only looked for when
-- pggit_data_key_moved flagged the statement; the flag is cleared here; see the file header).
-- Pre-images are copied by explicit column lists (the data branch's columns), so a source whose
-- structure changed without event triggers to refuse it stays writable: a branch whose columns
-- all still exist with their types (a column was added or renamed, say) keeps its pre-images
-- exact (data_capture_columns); a branch that lost a column, or whose column changed type or
-- nullability, gets none (it is stale, unreadable until rebased; see rebase_data_branch). Never
-- raises because of a branch.
-- SECURITY DEFINER: writers of the source need no rights on pggit.
CREATE FUNCTION pggit.capture_source_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    d pggit.data_branches;
    v_flag text := 'pggit.keys_moved_' || TG_RELID::text;
    v_moved boolean := TG_OP = 'UPDATE' AND current_setting(v_flag, true) = 'on';
    v_print text;
    v_src text[];
    v_into text;
    v_from text;
BEGIN
    -- one INSERT per data branch, not one per store for all the data branches sharing it: the
    -- query grouping them made single-row UPDATEs of the source slower (2,400 against 2,900 a
    -- second with one data branch, PostgreSQL 15)
    FOR d IN SELECT * FROM pggit.data_branches WHERE source_relid = TG_RELID AND status = 'ACTIVE' LOOP
        IF v_print IS NULL THEN
            -- data_source_fingerprint's query, inline: planned once per session
            v_print := (SELECT md5(string_agg(a.attname || ' ' || a.atttypid || ' ' || a.atttypmod
                                              || ' ' || a.attcollation || ' ' || a.attnotnull, ',' ORDER BY a.attnum))
                          FROM pg_attribute a WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped);
        END IF;
        v_src := CASE WHEN d.fingerprint = v_print THEN d.columns ELSE pggit.data_capture_columns(d) END;
        CONTINUE WHEN v_src IS NULL;
        -- static queries, not column_list() calls: a SQL function with a SET clause is planned
        -- again in each call, and this runs for every statement on the source
        v_into := (SELECT string_agg(quote_ident(c), ', ' ORDER BY o) FROM unnest(d.columns) WITH ORDINALITY x(c, o));
        v_from := (SELECT string_agg(quote_ident(c), ', ' ORDER BY o) FROM unnest(v_src) WITH ORDINALITY x(c, o));
        IF TG_OP = 'INSERT' THEN
            EXECUTE format('INSERT INTO %s (_pggit_data, %s, _pggit_absent) SELECT $1, %s, true
                              FROM pggit_new_rows ON CONFLICT DO NOTHING',
                           d.preimage_table, v_into, v_from) USING d.id;
        ELSIF v_moved THEN
            EXECUTE format('INSERT INTO %1$s (_pggit_data, %3$s, _pggit_absent)
                            SELECT $1, %4$s, false FROM pggit_old_rows o
                            UNION ALL
                            SELECT $1, %5$s, true FROM pggit_new_rows n
                             WHERE NOT EXISTS (SELECT 1 FROM pggit_old_rows o WHERE %2$s)
                            ON CONFLICT DO NOTHING', d.preimage_table,
                           pggit.key_match(ARRAY(SELECT v_src[array_position(d.columns, k)] FROM unnest(d.key_columns) k), 'o', 'n'),
                           v_into, pggit.column_list(v_src, 'o'), pggit.column_list(v_src, 'n')) USING d.id;
        ELSE
            EXECUTE format('INSERT INTO %s (_pggit_data, %s, _pggit_absent) SELECT $1, %s, false
                              FROM pggit_old_rows ON CONFLICT DO NOTHING',
                           d.preimage_table, v_into, v_from) USING d.id;
        END IF;
    END LOOP;
    IF v_moved THEN
        PERFORM set_config(v_flag, '', true);
    END IF;
    RETURN NULL;
END;
$$;

-- data_source_fingerprint(relid): what a data branch depends on in its source's structure: each
-- column's name, type, collation and nullability in column order (NULL when the table no longer
-- exists). A changed primary key is not in it (reading pg_index doubled its cost): pre-images are
-- still captured then, and data_branch_staleness compares the key itself. Static PL/pgSQL (its
-- plan kept for the session); data_branch_guard and capture_source_changes repeat its query
-- inline, so that a statement on the source or its branch pays one function call, not two.
CREATE FUNCTION pggit.data_source_fingerprint(p_relid oid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    RETURN (SELECT md5(string_agg(a.attname || ' ' || a.atttypid || ' ' || a.atttypmod
                                  || ' ' || a.attcollation || ' ' || a.attnotnull, ',' ORDER BY a.attnum))
              FROM pg_attribute a WHERE a.attrelid = p_relid AND a.attnum > 0 AND NOT a.attisdropped);
END;
$$;

-- data_capture_columns(data_branch): the source's current names of a stale data branch's columns
-- (matched by column number: a renamed column keeps it), or NULL when one of them was dropped,
-- changed type, or lost a NOT NULL the pre-image table has (copying the source's rows into the
-- pre-image table could then fail or be wrong).
CREATE FUNCTION pggit.data_capture_columns(d pggit.data_branches) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT CASE WHEN count(*) = cardinality(d.columns)
                     AND bool_and(s.attname IS NOT NULL AND s.atttypid = p.atttypid AND s.atttypmod = p.atttypmod
                                  AND (s.attnotnull OR NOT p.attnotnull))
                THEN array_agg(s.attname::text ORDER BY c.o) END
      FROM unnest(d.columns, d.column_numbers) WITH ORDINALITY AS c(name, num, o)
      JOIN pg_attribute p ON p.attrelid = to_regclass(d.preimage_table) AND p.attname = c.name AND NOT p.attisdropped
      LEFT JOIN pg_attribute s ON s.attrelid = d.source_relid AND s.attnum = c.num AND NOT s.attisdropped
$$;

-- data_branch_staleness(id)
-- Purpose: why a live data branch cannot be read or merged as it is (NULL when it can): its
--   source was dropped, or its structure changed since the branch was made or rebased (which
--   columns were added, removed or changed; the primary key), or its table was dropped.
--   Structure changes happen only without event triggers (they refuse them otherwise).
-- Errors: none.  Locks: none.
CREATE FUNCTION pggit.data_branch_staleness(p_id bigint) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    d pggit.data_branches;
    v_parts text[] := '{}';
    v_list text;
BEGIN
    SELECT * INTO d FROM pggit.data_branches WHERE id = p_id;
    IF d.status IS DISTINCT FROM 'ACTIVE' THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = d.source_relid) THEN
        RETURN format('its source table %s was dropped', d.source_name);
    END IF;
    IF pggit.data_source_fingerprint(d.source_relid) = d.fingerprint
       AND (SELECT array_agg(a.attname::text ORDER BY k.o)
              FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, o)
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = d.source_relid AND i.indisprimary) IS NOT DISTINCT FROM d.key_columns THEN
        IF to_regclass(d.view_name) IS NULL OR to_regclass(d.delta_table) IS NULL
           OR to_regclass(d.preimage_table) IS NULL THEN
            RETURN format('its table %s (or its delta or pre-image table) was dropped', d.view_name);
        END IF;
        RETURN NULL;
    END IF;
    v_list := (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
                WHERE a.attrelid = d.source_relid AND a.attnum > 0 AND NOT a.attisdropped
                  AND a.attnum <> ALL (d.column_numbers));
    IF v_list IS NOT NULL THEN
        v_parts := v_parts || ('added ' || v_list);
    END IF;
    v_list := (SELECT string_agg(quote_ident(c.name), ', ') FROM unnest(d.columns, d.column_numbers) c(name, num)
                WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = d.source_relid
                                     AND a.attnum = c.num AND NOT a.attisdropped));
    IF v_list IS NOT NULL THEN
        v_parts := v_parts || ('removed ' || v_list);
    END IF;
    v_list := (SELECT string_agg(format('%I to %I', c.name, a.attname), ', ') FROM unnest(d.columns, d.column_numbers) c(name, num)
                 JOIN pg_attribute a ON a.attrelid = d.source_relid AND a.attnum = c.num AND NOT a.attisdropped
                WHERE a.attname <> c.name);
    IF v_list IS NOT NULL THEN
        v_parts := v_parts || ('renamed ' || v_list);
    END IF;
    v_list := (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                 FROM unnest(d.columns, d.column_numbers) c(name, num)
                 JOIN pg_attribute p ON p.attrelid = to_regclass(d.preimage_table) AND p.attname = c.name
                 JOIN pg_attribute a ON a.attrelid = d.source_relid AND a.attnum = c.num AND NOT a.attisdropped
                WHERE (a.atttypid, a.atttypmod, a.attcollation, a.attnotnull)
                      IS DISTINCT FROM (p.atttypid, p.atttypmod, p.attcollation, p.attnotnull));
    IF v_list IS NOT NULL THEN
        v_parts := v_parts || ('changed the type or nullability of ' || v_list);
    END IF;
    IF (SELECT array_agg(a.attname::text ORDER BY k.o)
          FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, o)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = d.source_relid AND i.indisprimary) IS DISTINCT FROM d.key_columns THEN
        v_parts := v_parts || 'changed the primary key'::text;
    END IF;
    IF cardinality(v_parts) = 0 THEN
        v_parts := ARRAY['changed its columns'' order'];
    END IF;
    RETURN format('the structure of its source %s changed since the data branch was made: %s',
                  d.source_relid::regclass, array_to_string(v_parts, '; '));
END;
$$;

-- require_current_data_branch(id)
-- Purpose: refuse to read or merge a stale data branch (see data_branch_staleness).
-- Errors: PGY01 naming the branch, the table, what changed and how to go on.  Locks: none.
CREATE FUNCTION pggit.require_current_data_branch(p_id bigint) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_reason text := pggit.data_branch_staleness(p_id);
    v_table text;
    v_branch text;
BEGIN
    IF v_reason IS NULL THEN
        RETURN;
    END IF;
    SELECT quote_ident(d.logical_schema) || '.' || quote_ident(d.table_name), b.name INTO v_table, v_branch
      FROM pggit.data_branches d JOIN pggit.branches b ON b.id = d.branch_id WHERE d.id = p_id;
    RAISE EXCEPTION USING ERRCODE = 'PGY01',
        MESSAGE = format('the data branch of %s on branch %L is stale: %s', v_table, v_branch, v_reason),
        HINT = format('Rebase it onto the new structure with pggit.rebase_data_branch(%L, %L), '
                      'or delete it with pggit.delete_data_branch(%L, %L).', v_table, v_branch, v_table, v_branch);
END;
$$;

-- data_branch_guard(id): true, or PGY01 when the data branch is stale: the first arm of the
-- branch's view calls it with a constant, so a stale branch is never read. One static query
-- (data_source_fingerprint's, inline): about 20 us.
-- IMMUTABLE on purpose, though it reads the catalog: the planner then evaluates it once, when
-- it plans a query over the view (constant folding; an error raises there), not once per
-- execution, so a prepared statement's generic plan pays nothing for it (a primary-key lookup
-- through the view cost about 1.4x the plain table's with the call in each execution). What
-- can make a branch stale is a change to its source's structure, and any ALTER of a table
-- invalidates every cached plan that reads it (relcache invalidation, in this transaction or
-- when another one commits): such a plan is planned again, and the guard runs again, before
-- its next execution. An unprepared query is planned, and checked, each time.
-- A read function (105_privileges.sql): the view's readers (pggit_reader, pggit_writer, whom
-- grant_branch_schema lets into the view's schema) may EXECUTE it; it reads pggit.data_branches.
CREATE FUNCTION pggit.data_branch_guard(p_id bigint) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pggit.data_branches d
                    WHERE d.id = p_id
                      AND d.fingerprint = (SELECT md5(string_agg(a.attname || ' ' || a.atttypid || ' ' || a.atttypmod
                                                                 || ' ' || a.attcollation || ' ' || a.attnotnull,
                                                                 ',' ORDER BY a.attnum))
                                             FROM pg_attribute a
                                            WHERE a.attrelid = d.source_relid AND a.attnum > 0 AND NOT a.attisdropped)) THEN
        PERFORM pggit.require_current_data_branch(p_id);
    END IF;
    RETURN true;
END;
$$;

-- refuse_source_truncate(): TRUNCATE would bypass the pre-image capture.
-- SECURITY DEFINER: its message names the data branches, which the truncating role may not read.
CREATE FUNCTION pggit.refuse_source_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PGX08',
        MESSAGE = format('cannot truncate %s: it has live data branches (%s)', TG_RELID::regclass,
                         (SELECT string_agg(b.name, ', ') FROM pggit.data_branches d
                            JOIN pggit.branches b ON b.id = d.branch_id
                           WHERE d.source_relid = TG_RELID AND d.status = 'ACTIVE')),
        HINT = 'Merge or delete those branches first, or DELETE the rows instead.';
END;
$$;

-- data_branch_write(): INSTEAD OF INSERT/UPDATE/DELETE on a data-branch view (TG_ARGV[0] is
-- the data branch id). Writes go to the delta table only; the primary key stays unique
-- across the branch's rows (also against a concurrent insert of the same key); NOT NULL and
-- CHECK rules hold because the delta table has them.
-- SECURITY DEFINER: the delta table is pggit's; the right to write the branch's rows is the
-- right to write its view (pggit_writer, grant_branch_schema in 105_privileges.sql).
CREATE FUNCTION pggit.data_branch_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    d pggit.data_branches;
    v_into text;
    v_set text;
    v_conflict text;
    v_key_changed boolean := false;
    v_exists boolean;
    v_rows integer;
BEGIN
    SELECT * INTO d FROM pggit.data_branches WHERE id = TG_ARGV[0]::bigint;
    -- the view's columns: the source's, then those the branch added (which the delta table has
    -- after _pggit_deleted and _pggit_data, hence the target list)
    v_set := format('(%s, _pggit_deleted) = (%s, excluded._pggit_deleted)',
                    pggit.column_list(d.columns || d.added_columns), pggit.column_list(d.columns || d.added_columns, 'excluded'));
    v_into := format('(_pggit_data, %s, _pggit_deleted)', pggit.column_list(d.columns || d.added_columns));
    v_conflict := format('(_pggit_data, %s)', pggit.column_list(d.key_columns));
    IF TG_OP = 'DELETE' THEN
        EXECUTE format('INSERT INTO %s AS t %s SELECT $2, ($1).*, true ON CONFLICT %s DO UPDATE SET %s',
                       d.delta_table, v_into, v_conflict, v_set) USING OLD, d.id;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT bool_or((to_jsonb(OLD) -> k) IS DISTINCT FROM (to_jsonb(NEW) -> k)) INTO v_key_changed
          FROM unnest(d.key_columns) k;
    END IF;
    IF TG_OP = 'INSERT' OR v_key_changed THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s v WHERE %s)', d.view_name,
                       pggit.key_match(d.key_columns, 'v', '($1)')) INTO v_exists USING NEW;
        IF NOT v_exists THEN
            -- a delete marker may be revived; a live row (a concurrent insert) may not
            EXECUTE format('INSERT INTO %s AS t %s SELECT $2, ($1).*, false ON CONFLICT %s DO UPDATE SET %s WHERE t._pggit_deleted',
                           d.delta_table, v_into, v_conflict, v_set) USING NEW, d.id;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_exists := v_rows = 0;
        END IF;
        IF v_exists THEN
            RAISE EXCEPTION USING ERRCODE = '23505',
                MESSAGE = format('duplicate key value violates the primary key of %s', d.view_name),
                DETAIL = format('Key %s already exists.',
                                (SELECT jsonb_object_agg(k, to_jsonb(NEW) -> k) FROM unnest(d.key_columns) k));
        END IF;
        IF v_key_changed THEN
            EXECUTE format('INSERT INTO %s AS t %s SELECT $2, ($1).*, true ON CONFLICT %s DO UPDATE SET %s',
                           d.delta_table, v_into, v_conflict, v_set) USING OLD, d.id;
        END IF;
        RETURN NEW;
    END IF;
    EXECUTE format('INSERT INTO %s AS t %s SELECT $2, ($1).*, false ON CONFLICT %s DO UPDATE SET %s',
                   d.delta_table, v_into, v_conflict, v_set) USING NEW, d.id;
    RETURN NEW;
END;
$$;

-- resolve_branch_table(table, branch)
-- Purpose: the logical schema, name and physical relation of a table in a branch's
--   workspace ("name" or "schema.name", unqualified names in the tracked schemas).
-- Errors: PGT01 invalid name; PGT02 no such table in the branch; PGT03 not a table.
CREATE FUNCTION pggit.resolve_branch_table(p_table text, p_branch pggit.branches,
                                           OUT logical_schema text, OUT table_name text, OUT relid oid)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_parts text[];
    v_kind "char";
BEGIN
    v_parts := pggit.table_name_parts(p_table);
    SELECT n.logical_schema, c.relname, c.oid, c.relkind INTO logical_schema, table_name, relid, v_kind
      FROM pggit.branch_namespaces(p_branch.id) n
      JOIN pg_class c ON c.relnamespace = n.namespace AND c.relname = v_parts[cardinality(v_parts)]
     WHERE cardinality(v_parts) = 1 OR n.logical_schema = v_parts[1]
     ORDER BY n.logical_schema LIMIT 1;
    IF relid IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT02',
            MESSAGE = format('table %s does not exist on branch %L', p_table, p_branch.name),
            HINT = 'Data branches work on tables of tracked schemas; commit the table first.';
    END IF;
    IF v_kind <> 'r' THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT03', MESSAGE = format('%s is not an ordinary table', p_table),
            HINT = 'Data branches support ordinary tables (not views, partitioned or foreign tables).';
    END IF;
END;
$$;

-- install_source_capture(source)
-- Purpose: create the triggers that keep a source's live data branches isolated (pre-images on
--   INSERT, UPDATE and DELETE; TRUNCATE refused) unless they exist; they fire ALWAYS, so writes
--   under session_replication_role = replica are captured too (enable_always). Called by
--   create_data_branch; pggit's own DDL (the caller sets pggit.internal).
-- Errors: none of its own.  Locks: the triggers' CREATE TRIGGER takes SHARE ROW EXCLUSIVE on source.
CREATE FUNCTION pggit.install_source_capture(p_source oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_source text := p_source::regclass::text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = p_source AND tgname = 'pggit_data_capture_insert') THEN
        RETURN;
    END IF;
    -- one EXECUTE and one ALTER TABLE for all five: a branch with data may make them for
    -- every table
    EXECUTE format('CREATE TRIGGER pggit_data_capture_insert AFTER INSERT ON %1$s REFERENCING NEW TABLE AS pggit_new_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION pggit.capture_source_changes();
                    CREATE TRIGGER pggit_data_capture_update AFTER UPDATE ON %1$s
                      REFERENCING OLD TABLE AS pggit_old_rows NEW TABLE AS pggit_new_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION pggit.capture_source_changes();
                    CREATE TRIGGER pggit_data_capture_delete AFTER DELETE ON %1$s REFERENCING OLD TABLE AS pggit_old_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION pggit.capture_source_changes();
                    CREATE TRIGGER pggit_data_refuse_truncate BEFORE TRUNCATE ON %1$s
                      FOR EACH STATEMENT EXECUTE FUNCTION pggit.refuse_source_truncate();
                    %2$s', v_source, pggit.key_move_trigger_sql(p_source));
    PERFORM pggit.enable_always(p_source, ARRAY['pggit_data_capture_insert', 'pggit_data_capture_update',
                                                'pggit_data_capture_delete', 'pggit_data_refuse_truncate',
                                                'pggit_data_key_moved']);
END;
$$;

-- key_move_trigger_sql(source): the CREATE TRIGGER statement of the row-level trigger that
-- flags a statement moving a key of source (see the file header); its WHEN clause compares the
-- primary key columns.
CREATE FUNCTION pggit.key_move_trigger_sql(p_source oid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_keys text[] := pggit.primary_key_columns(p_source, p_source::regclass::text);
BEGIN
    RETURN format('CREATE TRIGGER pggit_data_key_moved AFTER UPDATE ON %s FOR EACH ROW
                   WHEN ((%s) IS DISTINCT FROM (%s)) EXECUTE FUNCTION pggit.flag_source_key_move()',
                  p_source::regclass, pggit.column_list(v_keys, 'old'), pggit.column_list(v_keys, 'new'));
END;
$$;

-- install_key_move_flag(source): the key-move trigger alone (key_move_trigger_sql), firing ALWAYS.
CREATE FUNCTION pggit.install_key_move_flag(p_source oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    EXECUTE pggit.key_move_trigger_sql(p_source);
    PERFORM pggit.enable_always(p_source, ARRAY['pggit_data_key_moved']);
END;
$$;

-- enable_always(source, triggers): make pggit's triggers on a data branch's source fire
-- ALWAYS, also for writes under session_replication_role = replica (a logical replication
-- apply worker, pg_restore --disable-triggers does not apply: it disables them by name), which
-- the default (ORIGIN) would let through uncaptured. An ALTER TABLE: the event trigger lets it
-- through (pggit.capture_setup; refuse_data_branch_source_change).
CREATE FUNCTION pggit.enable_always(p_source oid, p_triggers text[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    PERFORM set_config('pggit.capture_setup', 'on', true);
    EXECUTE format('ALTER TABLE %s %s', p_source::regclass,
                   (SELECT string_agg(format('ENABLE ALWAYS TRIGGER %I', t), ', ') FROM unnest(p_triggers) t));
    PERFORM set_config('pggit.capture_setup', '', true);
END;
$$;

-- flag_source_key_move(): row-level trigger function: an UPDATE moved a key of TG_RELID (a
-- transaction-local setting, read and cleared by capture_source_changes at the statement's end).
-- It runs once per moved row: no SET clause (a GUC save and restore per call); every name in it
-- is schema-qualified instead.
CREATE FUNCTION pggit.flag_source_key_move() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_catalog.set_config('pggit.keys_moved_' OPERATOR(pg_catalog.||) TG_RELID::pg_catalog.text, 'on', true);
    RETURN NULL;
END;
$$;

-- data_branch_view_sql(id): the CREATE OR REPLACE VIEW statement of a data branch's table: the
--   rows the branch changed (delta, not deleted), pre-images of rows the source changed since
--   the branch point (not absent, not changed on the branch), and the source's other rows
--   (data_branch_guard in the first arm: the planner evaluates it, so a stale branch raises
--   PGY01 before any row is returned. In the source arm a one-time filter's
--   Result node made PostgreSQL 15 plan an index-ordered merge anti-join, twice as slow; an
--   inline fingerprint subquery instead of the call cost 0.2 ms of planning per query).
--   Columns the branch added (added_columns) come last: the delta and pre-image tables have
--   them, the source's rows get their added_values.
-- Errors: none (NULL for an unknown id).  Locks: none.
CREATE FUNCTION pggit.data_branch_view_sql(p_id bigint) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    b pggit.data_branches;
    v_delta_cols text;
    v_pre_cols text;
    v_source_cols text;
    v_delta_pre text;
    v_pre_keys text;
    v_delta_keys text;
    v_key_source text;
BEGIN
    -- static queries, not column_list() and key_match() calls: their plans are kept for the
    -- session, and a branch with data makes one view per table
    SELECT * INTO b FROM pggit.data_branches WHERE id = p_id;
    IF b.id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT string_agg('d.' || quote_ident(x.c), ', ' ORDER BY x.o), string_agg('p.' || quote_ident(x.c), ', ' ORDER BY x.o)
      INTO v_delta_cols, v_pre_cols FROM unnest(b.columns || b.added_columns) WITH ORDINALITY x(c, o);
    SELECT string_agg('s.' || quote_ident(x.c), ', ' ORDER BY x.o) INTO v_source_cols
      FROM unnest(b.columns) WITH ORDINALITY x(c, o);
    SELECT v_source_cols || coalesce(string_agg(format(', %s AS %I', x.value, x.name), '' ORDER BY x.o), '')
      INTO v_source_cols FROM unnest(b.added_columns, b.added_values) WITH ORDINALITY x(name, value, o);
    SELECT string_agg(format('d.%1$I = p.%1$I', x.c), ' AND ' ORDER BY x.o),
           string_agg('p.' || quote_ident(x.c), ', ' ORDER BY x.o), string_agg('d.' || quote_ident(x.c), ', ' ORDER BY x.o),
           string_agg(format('k.%1$I = s.%1$I', x.c), ' AND ' ORDER BY x.o)
      INTO v_delta_pre, v_pre_keys, v_delta_keys, v_key_source FROM unnest(b.key_columns) WITH ORDINALITY x(c, o);
    RETURN format($v$CREATE OR REPLACE VIEW %1$s AS
        SELECT %2$s FROM %3$s d WHERE pggit.data_branch_guard(%12$s) AND d._pggit_data = %12$s AND NOT d._pggit_deleted
        UNION ALL
        SELECT %4$s FROM %5$s p
         WHERE p._pggit_data = %12$s AND NOT p._pggit_absent
           AND NOT EXISTS (SELECT 1 FROM %3$s d WHERE d._pggit_data = %12$s AND %6$s)
        UNION ALL
        SELECT %7$s FROM %8$s s
         WHERE NOT EXISTS (SELECT 1 FROM (SELECT %9$s FROM %5$s p WHERE p._pggit_data = %12$s
                                          UNION ALL SELECT %10$s FROM %3$s d WHERE d._pggit_data = %12$s) k
                            WHERE %11$s)$v$,
        b.view_name, v_delta_cols, b.delta_table, v_pre_cols, b.preimage_table, v_delta_pre, v_source_cols,
        b.source_relid::regclass, v_pre_keys, v_delta_keys, v_key_source, b.id);
END;
$$;

-- data_branch_target(to_branch, from_branch)
-- Purpose: the branch a data branch goes to, locked FOR UPDATE: created from from_branch when
--   no branch of that name ever existed (create_data_branch's contract).
-- Errors: PGB04 invalid name; PGX07 to_branch is main or from_branch; PGB05 a name only
--   deleted branches had.  Locks: the branch row FOR UPDATE.
CREATE FUNCTION pggit.data_branch_target(p_to text, p_from text) RETURNS pggit.branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    PERFORM pggit.validate_branch_name(p_to);
    IF p_to = 'main' OR p_to = p_from THEN
        RAISE EXCEPTION USING ERRCODE = 'PGX07',
            MESSAGE = format('cannot branch data into %L', p_to),
            HINT = 'to_branch must be another branch than main and from_branch.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pggit.branches WHERE name = p_to AND status <> 'DELETED') THEN
        IF EXISTS (SELECT 1 FROM pggit.branches WHERE name = p_to) THEN
            PERFORM pggit.raise_missing_branch(p_to);
        END IF;
        PERFORM pggit.create_branch(p_to, p_from);
    END IF;
    RETURN pggit.find_branch(p_to, true);
END;
$$;

-- primary_key_columns(relid, table)
-- Purpose: the table's primary key columns, in key order: what data branches match rows by.
-- Errors: PGX01 the table has no primary key ("table" names it in the message).  Locks: none.
CREATE FUNCTION pggit.primary_key_columns(p_relid oid, p_table text) RETURNS text[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_keys text[];
BEGIN
    SELECT array_agg(a.attname::text ORDER BY k.o) INTO v_keys
      FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, o)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = p_relid AND i.indisprimary;
    IF v_keys IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGX01',
            MESSAGE = format('table %s has no primary key', p_table),
            HINT = 'Data branches match rows by primary key: add one first.';
    END IF;
    RETURN v_keys;
END;
$$;

-- same_table_structure(source, copy): whether two tables have the same definition, triggers
-- aside (a source with live data branches carries pggit's capture triggers). Each is
-- serialized in its own schema, so their schema names do not count (see 030_snapshots.sql).
CREATE FUNCTION pggit.same_table_structure(p_source oid, p_copy oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT pggit.hash_definition(pggit.table_definition_of(p_source) - 'triggers')
         = pggit.hash_definition(pggit.table_definition_of(p_copy) - 'triggers')
$$;

-- register_data_store(source, fingerprint, columns, numbers, keys, joinable): a new row of
-- pggit.data_stores, its tables named after its id (the caller creates them).
CREATE FUNCTION pggit.register_data_store(p_source oid, p_fingerprint text, p_columns text[], p_numbers smallint[],
                                          p_keys text[], p_joinable boolean) RETURNS pggit.data_stores
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    s pggit.data_stores;
BEGIN
    INSERT INTO pggit.data_stores (source_relid, fingerprint, columns, column_numbers, key_columns, joinable,
                                   delta_table, preimage_table)
    VALUES (p_source, p_fingerprint, p_columns, p_numbers, p_keys, p_joinable, '', '')
    RETURNING * INTO s;
    UPDATE pggit.data_stores
       SET delta_table = format('pggit.%I', format('data_%s_delta', s.id)),
           preimage_table = format('pggit.%I', format('data_%s_pre', s.id))
     WHERE id = s.id RETURNING * INTO s;
    RETURN s;
END;
$$;

-- create_data_store(source, fingerprint, columns, numbers, keys): a new joinable store (see the
-- file header) for data branches of source as it is now (its fingerprint, columns and their
-- numbers, primary key keys): registered in pggit.data_stores, its delta table (the source's
-- columns with their NOT NULL and CHECK rules, a deleted flag) and pre-image table (the
-- source's columns, an absent flag), both keyed by (_pggit_data, keys). No column defaults: the
-- API writes every column, and a copied nextval() would make the source's sequence, and so
-- the source, impossible to drop while the store is kept. Returns the registry row.
CREATE FUNCTION pggit.create_data_store(p_source oid, p_fingerprint text, p_columns text[], p_numbers smallint[],
                                        p_keys text[])
RETURNS pggit.data_stores
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    s pggit.data_stores := pggit.register_data_store(p_source, p_fingerprint, p_columns, p_numbers, p_keys, true);
BEGIN
    -- one statement each (not CREATE then ALTER): DDL is most of what creating a store costs
    EXECUTE format('CREATE TABLE %s (LIKE %s INCLUDING CONSTRAINTS,
                                     _pggit_deleted boolean NOT NULL DEFAULT false, _pggit_data bigint NOT NULL,
                                     PRIMARY KEY (_pggit_data, %s))',
                   s.delta_table, p_source::regclass, pggit.column_list(p_keys));
    EXECUTE format('CREATE TABLE %s (LIKE %s, _pggit_absent boolean NOT NULL DEFAULT false, _pggit_data bigint NOT NULL,
                                     PRIMARY KEY (_pggit_data, %s))',
                   s.preimage_table, p_source::regclass, pggit.column_list(p_keys));
    RETURN s;
END;
$$;

-- drop_data_store(delta_table, preimage_table): drop a store's tables and its registry row
-- (if it has one).
CREATE FUNCTION pggit.drop_data_store(p_delta text, p_pre text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS %s, %s', p_delta, p_pre);
    DELETE FROM pggit.data_stores WHERE delta_table = p_delta;
END;
$$;

-- drop_unused_data_stores(sources): drop the stores no live data branch uses of those tables,
-- and of tables that no longer exist (dropped while DDL capture was off).
CREATE FUNCTION pggit.drop_unused_data_stores(p_sources oid[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    s pggit.data_stores;
BEGIN
    FOR s IN SELECT * FROM pggit.data_stores x
              WHERE (x.source_relid = ANY (p_sources) OR NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = x.source_relid))
                AND NOT EXISTS (SELECT 1 FROM pggit.data_branches d WHERE d.status = 'ACTIVE' AND d.delta_table = x.delta_table)
              ORDER BY x.id LOOP
        PERFORM pggit.drop_data_store(s.delta_table, s.preimage_table);
    END LOOP;
    PERFORM pggit.end_internal(v_internal);
END;
$$;

-- data_store_for(source, fingerprint, columns, numbers, keys): the joinable store of source made
-- for that structure, else a new one (create_data_store; the source's unused stores, made for
-- another structure, go first). The caller holds the source's SHARE ROW EXCLUSIVE lock
-- (add_data_branch, rebase_data_branch), which end_data_branch's lock waits for. A registered
-- store whose tables are gone is not taken.
CREATE FUNCTION pggit.data_store_for(p_source oid, p_fingerprint text, p_columns text[], p_numbers smallint[],
                                     p_keys text[]) RETURNS pggit.data_stores
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    s pggit.data_stores;
BEGIN
    SELECT * INTO s FROM pggit.data_stores x
     WHERE x.source_relid = p_source AND x.joinable AND x.fingerprint = p_fingerprint
       AND x.columns = p_columns AND x.column_numbers = p_numbers AND x.key_columns = p_keys
       AND to_regclass(x.delta_table) IS NOT NULL AND to_regclass(x.preimage_table) IS NOT NULL
     ORDER BY x.id DESC LIMIT 1;
    IF s.id IS NULL THEN
        PERFORM pggit.drop_unused_data_stores(ARRAY[p_source]);
        s := pggit.create_data_store(p_source, p_fingerprint, p_columns, p_numbers, p_keys);
    END IF;
    RETURN s;
END;
$$;

-- shares_data_store(data_branch): whether another live data branch uses its store.
CREATE FUNCTION pggit.shares_data_store(d pggit.data_branches) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT EXISTS (SELECT 1 FROM pggit.data_branches x
                    WHERE x.source_relid = d.source_relid AND x.status = 'ACTIVE' AND x.id <> d.id
                      AND x.delta_table = d.delta_table)
$$;

-- release_data_store(data_branch): the data branch leaves its store (the caller dropped its
-- view): its rows go. The last data branch of a joinable store empties it (TRUNCATE, when it
-- has rows) and keeps it for the table's next data branch; a store it made its own, or made
-- for a structure the table no longer has (or a table that is gone), is dropped.
CREATE FUNCTION pggit.release_data_store(d pggit.data_branches) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    s pggit.data_stores;
    v_rows boolean;
BEGIN
    IF pggit.shares_data_store(d) THEN
        EXECUTE format('DELETE FROM %s WHERE _pggit_data = %s', d.delta_table, d.id);
        EXECUTE format('DELETE FROM %s WHERE _pggit_data = %s', d.preimage_table, d.id);
        RETURN;
    END IF;
    SELECT * INTO s FROM pggit.data_stores WHERE delta_table = d.delta_table;
    IF s.id IS NULL OR NOT s.joinable OR to_regclass(s.delta_table) IS NULL OR to_regclass(s.preimage_table) IS NULL
       OR s.fingerprint IS DISTINCT FROM pggit.data_source_fingerprint(d.source_relid) THEN
        PERFORM pggit.drop_data_store(d.delta_table, d.preimage_table);
        RETURN;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s) OR EXISTS (SELECT 1 FROM %s)', s.delta_table, s.preimage_table)
       INTO v_rows;
    IF v_rows THEN
        EXECUTE format('TRUNCATE %s, %s', s.delta_table, s.preimage_table);
    END IF;
END;
$$;

-- own_data_store(id): before its store's structure changes for one data branch (its branch
-- added or dropped a column, 085_data_branch_evolution.sql), give the data branch a store of
-- its own that no other data branch joins: the one it has when no other live data branch
-- uses it, else a copy of its structure with the data branch's rows moved there. Its view may
-- still read the old store: the caller makes it again. Returns the data branch's row.
-- Locks: the source SHARE ROW EXCLUSIVE (as add_data_branch).
CREATE FUNCTION pggit.own_data_store(p_id bigint) RETURNS pggit.data_branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    d pggit.data_branches;
    s pggit.data_stores;
BEGIN
    SELECT * INTO d FROM pggit.data_branches WHERE id = p_id;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', d.source_relid::regclass);
    SELECT * INTO s FROM pggit.data_stores WHERE delta_table = d.delta_table;
    IF NOT pggit.shares_data_store(d) THEN
        UPDATE pggit.data_stores SET joinable = false WHERE id = s.id;
        RETURN d;
    END IF;
    s := pggit.register_data_store(s.source_relid, s.fingerprint, s.columns, s.column_numbers, s.key_columns, false);
    EXECUTE format('CREATE TABLE %s (LIKE %s INCLUDING ALL)', s.delta_table, d.delta_table);
    EXECUTE format('CREATE TABLE %s (LIKE %s INCLUDING ALL)', s.preimage_table, d.preimage_table);
    EXECUTE format('INSERT INTO %s SELECT * FROM %s WHERE _pggit_data = %s', s.delta_table, d.delta_table, d.id);
    EXECUTE format('INSERT INTO %s SELECT * FROM %s WHERE _pggit_data = %s', s.preimage_table, d.preimage_table, d.id);
    EXECUTE format('DELETE FROM %s WHERE _pggit_data = %s', d.delta_table, d.id);
    EXECUTE format('DELETE FROM %s WHERE _pggit_data = %s', d.preimage_table, d.id);
    UPDATE pggit.data_branches SET delta_table = s.delta_table, preimage_table = s.preimage_table WHERE id = p_id
    RETURNING * INTO d;
    RETURN d;
END;
$$;

-- create_data_branch_objects(id)
-- Purpose: the objects of a registered data branch (its pggit.data_branches row has the
--   source, key and columns): its store (data_store_for) and its view
--   (create_data_branch_view); fills in the row's names. Returns the view's name.
-- Locks: the caller holds the source's SHARE ROW EXCLUSIVE lock (add_data_branch).
CREATE FUNCTION pggit.create_data_branch_objects(p_id bigint) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    b pggit.data_branches;
BEGIN
    SELECT * INTO b FROM pggit.data_branches WHERE id = p_id;
    UPDATE pggit.data_branches d
       SET (delta_table, preimage_table) = (SELECT s.delta_table, s.preimage_table
                                              FROM pggit.data_store_for(b.source_relid, b.fingerprint, b.columns,
                                                                        b.column_numbers, b.key_columns) s),
           view_name = format('%I.%I', pggit.data_namespace(d.branch_id, d.logical_schema), d.table_name)
     WHERE d.id = p_id;
    RETURN pggit.create_data_branch_view(p_id);
END;
$$;

-- create_data_branch_view(id)
-- Purpose: a data branch's view (data_branch_view_sql) with the source's column defaults
--   (identity columns draw from its sequence) and the INSTEAD OF trigger. Returns its name.
CREATE FUNCTION pggit.create_data_branch_view(p_id bigint) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    b pggit.data_branches;
    v_defaults text;
BEGIN
    SELECT * INTO b FROM pggit.data_branches WHERE id = p_id;
    -- one EXECUTE: the view, its defaults (one ALTER for all of them) and its trigger
    SELECT string_agg(format('ALTER COLUMN %I SET DEFAULT %s', a.attname,
                             CASE WHEN a.attidentity <> ''
                                  THEN format('nextval(%L::regclass)', pg_get_serial_sequence(b.source_name, a.attname))
                                  ELSE pg_get_expr(ad.adbin, ad.adrelid) END), ', ' ORDER BY a.attnum)
      INTO v_defaults
      FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE a.attrelid = b.source_relid AND a.attnum > 0 AND NOT a.attisdropped
       AND (a.attidentity <> '' OR (ad.adbin IS NOT NULL AND a.attgenerated = ''));
    EXECUTE pggit.data_branch_view_sql(p_id) || ';'
            || coalesce('ALTER VIEW ' || b.view_name || ' ' || v_defaults || ';', '')
            || format('CREATE TRIGGER pggit_data_write INSTEAD OF INSERT OR UPDATE OR DELETE ON %s
                       FOR EACH ROW EXECUTE FUNCTION pggit.data_branch_write(%L)', b.view_name, p_id);
    RETURN b.view_name;
END;
$$;

-- refuse_untracked_schema("table"): PGT06 when a schema-qualified table name ("schema.name")
-- names a schema that is not tracked: data branches live in tracked schemas only. A name that
-- does not parse (or NULL) passes: resolve_branch_table says what is wrong with it.
CREATE FUNCTION pggit.refuse_untracked_schema(p_table text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_parts text[];
BEGIN
    BEGIN
        v_parts := parse_ident(p_table);
    EXCEPTION WHEN invalid_parameter_value OR null_value_not_allowed THEN
        RETURN;
    END;
    IF cardinality(v_parts) = 2
       AND NOT EXISTS (SELECT 1 FROM pggit.tracked_schemas t WHERE t.schema_name = v_parts[1]) THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT06',
            MESSAGE = format('cannot branch the data of %s: schema %I is not tracked', left(p_table, 200), v_parts[1]),
            HINT = 'Data branches work on tables of tracked schemas (see PGGIT["TRACKED_SCHEMAS"] / pggit.set_tracked_schemas).';
    END IF;
END;
$$;

-- data_branch_source(table, from_branch, to_branch)
-- Purpose: create_data_branch's entry: from_branch (live), after checking that table can be
--   branched there (an ordinary table of a tracked schema with a primary key) and, when
--   to_branch does not exist yet and the table is not committed on from_branch as it is now
--   (created or changed since from_branch's head), committing from_branch first, so the new
--   branch, made from that head, has the table. The commit records everything uncommitted on
--   from_branch, as any commit does; its message says why. Nothing is committed when to_branch
--   exists (its workspace is already made) or the table is committed as it is.
-- Returns: from_branch's row, as of after that commit.
-- Errors: PGT01 invalid name; PGT06 the named schema is not tracked; PGT02 no such table on
--   from_branch; PGT03 not an ordinary table (a view...); PGX01 no primary key; PGB0x branch;
--   those of commit_changes.
-- Locks: from_branch's row FOR NO KEY UPDATE when it commits (see commit_changes).
CREATE FUNCTION pggit.data_branch_source("table" text, from_branch text, to_branch text)
RETURNS pggit.branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_from  pggit.branches := pggit.find_branch(from_branch);
    v_src   record;
    v_key   text;
BEGIN
    PERFORM pggit.refuse_untracked_schema("table");
    v_src := pggit.resolve_branch_table("table", v_from);
    PERFORM pggit.primary_key_columns(v_src.relid, "table");
    IF NOT EXISTS (SELECT 1 FROM pggit.branches b WHERE b.name = to_branch AND b.status <> 'DELETED') THEN
        v_key := pggit.object_key('table', v_src.logical_schema, v_src.table_name);
        IF (SELECT t.entries ->> v_key FROM pggit.commits c JOIN pggit.trees t ON t.hash = c.tree_hash
             WHERE c.hash = v_from.head_hash)
           IS DISTINCT FROM pggit.hash_definition(pggit.committable_table_definition(v_src.relid)) THEN
            PERFORM pggit.commit_changes(v_from.name,
                format('Commit %s.%s before branching its data to %s: the new branch is made from this head (pggit.create_data_branch)',
                       quote_ident(v_src.logical_schema), quote_ident(v_src.table_name), to_branch));
            v_from := pggit.find_branch(from_branch);
        END IF;
    END IF;
    RETURN v_from;
END;
$$;

-- create_data_branch(table, from_branch, to_branch)
-- Purpose: give to_branch (created from from_branch when it does not exist) its own version
--   of table's rows, copy-on-write: no row is copied, so the cost does not grow with the
--   table. The branch sees the source's rows as of this call's commit, overlaid with its own
--   writes; neither side sees the other's later writes. Calling it again returns the same name.
--   A table created (or changed) on from_branch and not committed yet is committed there
--   first when to_branch is new (data_branch_source), so the sequence CREATE TABLE, INSERT,
--   create_data_branch works.
-- Arguments: table text ("name" or "schema.name"); from_branch text; to_branch text.
-- Returns: the qualified name of the branch's table (a view in pggit_b<id>_<n>_data).
-- Errors: PGT01/PGT02/PGT03 table; PGT06 untracked schema; PGB0x branches; PGX01 no primary
--   key; PGX05 the
--   branch's copy of the table has a different structure;
--   PGX07 to_branch is main or equals from_branch.
-- Locks: to_branch's row FOR UPDATE; the source table SHARE ROW EXCLUSIVE until commit (it
--   waits for writers in flight and holds off new ones, so the branch point is exact).
CREATE FUNCTION pggit.create_data_branch("table" text, from_branch text, to_branch text)
RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    v_from   pggit.branches := pggit.data_branch_source("table", from_branch, to_branch);
    v_to     pggit.branches := pggit.data_branch_target(to_branch, from_branch);
    v_src    record;
    v_keys   text[];
    v_view   text;
BEGIN
    -- resolve_branch_table finds workspace tables only: the source is never a data-branch view
    v_src := pggit.resolve_branch_table("table", v_from);
    SELECT view_name INTO v_view FROM pggit.data_branches
     WHERE branch_id = v_to.id AND logical_schema = v_src.logical_schema AND table_name = v_src.table_name
       AND status = 'ACTIVE';
    IF v_view IS NOT NULL THEN
        PERFORM pggit.end_internal(v_internal);
        RETURN v_view;
    END IF;
    v_keys := pggit.primary_key_columns(v_src.relid, "table");
    IF NOT pggit.same_table_structure(v_src.relid, (pggit.resolve_branch_table(
               quote_ident(v_src.logical_schema) || '.' || quote_ident(v_src.table_name), v_to)).relid) THEN
        PERFORM pggit.raise_structure_differs("table", v_to.name, v_from.name);
    END IF;
    v_view := pggit.add_data_branch(v_from.id, v_to.id, v_src.logical_schema, v_src.table_name, v_src.relid, v_keys);
    PERFORM pggit.end_internal(v_internal);
    RETURN v_view;
END;
$$;

-- raise_structure_differs(table, to_branch, from_branch): PGX05, the branch's copy of table has
-- another structure than from_branch's (create_data_branch, create_branch_with_data).
CREATE FUNCTION pggit.raise_structure_differs(p_table text, p_to text, p_from text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PGX05',
        MESSAGE = format('the structure of %s on branch %L differs from %L''s', p_table, p_to, p_from),
        HINT = 'Create the data branch before changing the table''s structure on the branch.';
END;
$$;

-- add_data_branch(from_id, to_id, logical_schema, table_name, source, keys)
-- Purpose: the data branch of source (from_branch's table logical_schema.table_name, primary
--   key keys) for branch to_id, once its caller has checked everything (create_data_branch,
--   create_branch_with_data): registers it, creates its objects (create_data_branch_objects)
--   and the source's capture triggers (install_source_capture). Returns the view's name.
-- Locks: the source SHARE ROW EXCLUSIVE until commit (writers in flight finish first and new
--   ones wait: the branch point is exact).
CREATE FUNCTION pggit.add_data_branch(p_from_id bigint, p_to_id bigint, p_logical_schema text,
                                      p_table_name text, p_source oid, p_keys text[]) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_id   bigint;
    v_view text;
BEGIN
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', p_source::regclass);
    INSERT INTO pggit.data_branches (branch_id, from_branch_id, logical_schema, table_name, source_relid,
                                     source_name, view_name, delta_table, preimage_table, key_columns, columns,
                                     column_numbers, fingerprint)
    SELECT p_to_id, p_from_id, p_logical_schema, p_table_name, p_source, p_source::regclass::text,
           '', '', '', p_keys,
           ARRAY(SELECT a.attname::text FROM pg_attribute a
                  WHERE a.attrelid = p_source AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
           ARRAY(SELECT a.attnum FROM pg_attribute a
                  WHERE a.attrelid = p_source AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
           pggit.data_source_fingerprint(p_source)
    RETURNING id INTO v_id;
    v_view := pggit.create_data_branch_objects(v_id);
    PERFORM pggit.install_source_capture(p_source);
    RETURN v_view;
END;
$$;

-- create_branch_with_data(name, from_branch, tables)
-- Purpose: create_branch, then a copy-on-write data branch (create_data_branch) of each of
--   from_branch's tracked tables, in one transaction and one round trip: the new branch reads
--   from_branch's rows as of this call and writes only its own. tables NULL means every table
--   of from_branch's head commit; else the named ones ("name" or "schema.name"), each once.
--   The new branch's tables are its head's, just built: each has the structure from_branch's
--   table had at that commit, so when DDL capture is on and from_branch has no DDL pending
--   (nothing changed since its head) the structures are the same by construction; otherwise
--   each table is compared with its source (same_table_structure, PGX05), as create_data_branch
--   does. With tables NULL the tables and their sources are found in one query.
-- Returns: the new pggit.branches row.
-- Errors: those of create_branch; PGT06 a table named in a schema that is not tracked; PGT01,
--   PGT02, PGT03, PGX01 (no primary key), PGX05 (changed on from_branch since its head) for a
--   table; PGB01 from_branch is not a branch (a tag, a commit); nothing is created on any of them.
-- Locks: those of create_branch, the new branch's row FOR UPDATE, and SHARE ROW EXCLUSIVE on
--   every source table until commit.
CREATE FUNCTION pggit.create_branch_with_data(name text, from_branch text DEFAULT 'main',
                                              tables text[] DEFAULT NULL)
RETURNS pggit.branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_variable
DECLARE
    v_internal text;
    v_branch pggit.branches;
    v_from   pggit.branches;
    v_table  text;
    v_parts  text[];
    v_pairs  record;
    v_src    record;
    v_schema text;
    v_name   text;
    v_source oid;
    v_copy   oid;
    v_same   boolean;
BEGIN
    -- before anything is created; a malformed name is reported by resolve_branch_table, after
    -- the branch checks
    PERFORM pggit.refuse_untracked_schema(t) FROM unnest(tables) AS t;
    v_branch := pggit.create_branch(name, from_branch);
    IF coalesce(cardinality(tables), 1) = 0 THEN
        RETURN v_branch;
    END IF;
    v_internal := pggit.begin_internal();
    v_from := pggit.find_branch(from_branch);
    PERFORM 1 FROM pggit.branches b WHERE b.id = v_branch.id FOR UPDATE;
    v_same := pggit.ddl_capture_enabled()
              AND NOT EXISTS (SELECT 1 FROM pggit.ddl_events e WHERE e.branch_id = v_from.id AND e.commit_id IS NULL);
    FOR v_pairs IN
        -- tables NULL: the new branch's tables (its head's: a table from_branch has not
        -- committed yet is not on the branch) and from_branch's of the same name
        SELECT format('%I.%I', n.logical_schema, c.relname) AS qualified, c.oid AS copy,
               n.logical_schema, c.relname::text AS table_name, s.oid AS source, s.relkind
          FROM pggit.branch_namespaces(v_branch.id) n
          JOIN pg_class c ON c.relnamespace = n.namespace AND c.relkind = 'r'
          LEFT JOIN pggit.branch_namespaces(v_from.id) f ON f.logical_schema = n.logical_schema
          LEFT JOIN pg_class s ON s.relnamespace = f.namespace AND s.relname = c.relname
         WHERE tables IS NULL
        UNION ALL
        SELECT DISTINCT t.x, NULL::oid, NULL::text, NULL::text, NULL::oid, NULL::"char" FROM unnest(tables) AS t(x)
        ORDER BY 1
    LOOP
        v_table := v_pairs.qualified;
        IF v_pairs.source IS NOT NULL AND v_pairs.relkind = 'r' THEN
            v_schema := v_pairs.logical_schema;
            v_name := v_pairs.table_name;
            v_source := v_pairs.source;
            v_copy := v_pairs.copy;
        ELSE
            -- a named table, or one that is not an ordinary table on from_branch any more:
            -- resolve_branch_table finds it or says what is wrong
            v_src := pggit.resolve_branch_table(v_table, v_from);
            v_schema := v_src.logical_schema;
            v_name := v_src.table_name;
            v_source := v_src.relid;
            CONTINUE WHEN EXISTS (SELECT 1 FROM pggit.data_branches d
                                   WHERE d.branch_id = v_branch.id AND d.logical_schema = v_schema
                                     AND d.table_name = v_name AND d.status = 'ACTIVE');
            v_copy := NULL;
        END IF;
        v_parts := pggit.primary_key_columns(v_source, v_table);
        IF v_copy IS NULL THEN
            v_copy := (pggit.resolve_branch_table(quote_ident(v_schema) || '.' || quote_ident(v_name), v_branch)).relid;
        END IF;
        IF NOT v_same AND NOT pggit.same_table_structure(v_source, v_copy) THEN
            PERFORM pggit.raise_structure_differs(v_table, v_branch.name, v_from.name);
        END IF;
        PERFORM pggit.add_data_branch(v_from.id, v_branch.id, v_schema, v_name, v_source, v_parts);
    END LOOP;
    PERFORM pggit.end_internal(v_internal);
    RETURN pggit.find_branch(name);
END;
$$;

-- end_data_branch(id, status): drop a data branch's objects (its view; its rows, from the store
-- it leaves, release_data_store; the source's capture triggers, key-move trigger included, when
-- it was the source's last live data branch).
-- Locks: the source SHARE UPDATE EXCLUSIVE (it conflicts with itself and with add_data_branch's
-- lock, not with the source's writers), so a store is never emptied or dropped while another
-- transaction takes it up (see the file header).
CREATE FUNCTION pggit.end_data_branch(p_id bigint, p_status text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    d pggit.data_branches;
BEGIN
    SELECT * INTO d FROM pggit.data_branches WHERE id = p_id AND status = 'ACTIVE';
    IF d.id IS NULL THEN
        PERFORM pggit.end_internal(v_internal);
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid = d.source_relid) THEN
        EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', d.source_relid::regclass);
    END IF;
    UPDATE pggit.data_branches SET status = p_status, ended_at = now()
     WHERE id = p_id AND status = 'ACTIVE' RETURNING * INTO d;
    IF d.id IS NULL THEN
        PERFORM pggit.end_internal(v_internal);
        RETURN;
    END IF;
    EXECUTE format('DROP VIEW IF EXISTS %s', d.view_name);
    PERFORM pggit.release_data_store(d);
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

-- find_data_branch(table, branch)
-- Purpose: the live data branch of a table ("name" or "schema.name") on a branch, locked FOR
--   UPDATE.
-- Errors: PGB0x branch; PGT01 invalid name; PGY02 the branch has no live data branch of it.
CREATE FUNCTION pggit.find_data_branch(p_table text, p_branch text) RETURNS pggit.data_branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_branch pggit.branches := pggit.find_branch(p_branch);
    v_parts text[];
    d pggit.data_branches;
BEGIN
    v_parts := pggit.table_name_parts(p_table);
    SELECT * INTO d FROM pggit.data_branches x
     WHERE x.branch_id = v_branch.id AND x.status = 'ACTIVE' AND x.table_name = v_parts[cardinality(v_parts)]
       AND (cardinality(v_parts) = 1 OR x.logical_schema = v_parts[1])
     ORDER BY x.logical_schema LIMIT 1 FOR UPDATE;
    IF d.id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGY02',
            MESSAGE = format('branch %L has no live data branch of %s', v_branch.name, left(p_table, 200)),
            HINT = format('List them with: SELECT * FROM pggit.list_data_branches(%L)', v_branch.name);
    END IF;
    RETURN d;
END;
$$;

-- rebase_data_branch(table, branch)
-- Purpose: bring a stale data branch (its source's structure changed without event triggers to
--   refuse it) onto the source's new structure. Its delta and pre-image tables are rebuilt with
--   the source's columns and primary key: columns the source lost go, renamed ones keep their
--   values (matched by column number); a column it gained takes, in each row, the value of the
--   source row with the same key, else the column's default, else NULL; its view is made again.
--   Its branch point stays where it was for every row whose pre-image was kept (all of them
--   when columns were only added or renamed); a row the source changed while a column the
--   branch had was gone or retyped shows as the source has it now. Columns the branch added
--   (085_data_branch_evolution.sql) keep the branch's values once the source has them too (a
--   merge adds them first); before that, a rebase would lose them and is refused.
--   A branch that is not stale is returned as it is.
-- Arguments: table text ("name" or "schema.name"); branch text (the data branch's branch).
-- Returns: the qualified name of the branch's table.
-- Errors: PGY02 no such data branch; PGY03 its source table was dropped; PGY04 its rows do not
--   fit the new structure (a NOT NULL or CHECK rule, the key), nothing changed; PGX01 the source
--   has no primary key any more; PGW05 the source lacks a column the branch added.
-- Locks: the data branch row FOR UPDATE; the source SHARE ROW EXCLUSIVE (writers wait).
CREATE FUNCTION pggit.rebase_data_branch("table" text, branch text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    d pggit.data_branches := pggit.find_data_branch("table", branch);
    v_source text;
    v_keys text[];
    v_cols text[];
    v_old text[];
    v_join text;
    v_keyed boolean;
    v_select text;
    v_numbers smallint[];
    v_new_delta text;
    v_new_pre text;
    v_loose text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = d.source_relid) THEN
        RAISE EXCEPTION USING ERRCODE = 'PGY03',
            MESSAGE = format('cannot rebase the data branch of %s on branch %L: its source table %s was dropped',
                             "table", branch, d.source_name),
            HINT = format('Delete it with pggit.delete_data_branch(%L, %L).', "table", branch);
    END IF;
    v_source := d.source_relid::regclass::text;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_source);
    IF pggit.data_branch_staleness(d.id) IS NULL THEN
        PERFORM pggit.end_internal(v_internal);
        RETURN d.view_name;
    END IF;
    v_keys := pggit.primary_key_columns(d.source_relid, v_source);
    SELECT array_agg(a.attname::text ORDER BY a.attnum), array_agg(a.attnum ORDER BY a.attnum) INTO v_cols, v_numbers
      FROM pg_attribute a WHERE a.attrelid = d.source_relid AND a.attnum > 0 AND NOT a.attisdropped;
    -- each column's name in the branch's tables (matched by column number: a renamed column
    -- keeps it; a column the branch added, by name: a merge added it to the source), NULL for a
    -- column the branch did not have
    v_old := ARRAY(SELECT coalesce(d.columns[array_position(d.column_numbers, a.attnum)],
                                   CASE WHEN a.attname = ANY (d.added_columns) THEN a.attname::text END)
                     FROM pg_attribute a
                    WHERE a.attrelid = d.source_relid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum);
    v_loose := (SELECT string_agg(quote_ident(c), ', ') FROM unnest(d.added_columns) c WHERE array_position(v_old, c) IS NULL);
    IF v_loose IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGW05',
            MESSAGE = format('cannot rebase the data branch of %s on branch %L: the rebase would lose the columns the branch added (%s)',
                             "table", branch, v_loose),
            HINT = 'Merge the branch (the merge adds its columns to the source first), or drop those columns on the branch.';
    END IF;
    SELECT string_agg(format('s.%I = x.%I', k, v_old[array_position(v_cols, k)]), ' AND '),
           bool_and(v_old[array_position(v_cols, k)] IS NOT NULL)
      INTO v_join, v_keyed FROM unnest(v_keys) k;
    IF NOT v_keyed THEN
        RAISE EXCEPTION USING ERRCODE = 'PGY04',
            MESSAGE = format('cannot rebase the data branch of %s on branch %L: its rows have no values for the new primary key (%s)',
                             "table", branch, array_to_string(v_keys, ', ')),
            HINT = format('Delete it with pggit.delete_data_branch(%L, %L).', "table", branch);
    END IF;
    -- each column: the branch's value if it had the column, else the source row's, else the default
    SELECT string_agg(CASE WHEN v_old[c.o] IS NOT NULL THEN format('x.%I', v_old[c.o])
                           ELSE format('CASE WHEN s.%I IS NULL THEN %s ELSE s.%I END', v_keys[1],
                                       CASE WHEN a.attgenerated = '' THEN coalesce(pg_get_expr(ad.adbin, ad.adrelid), 'NULL')
                                            ELSE 'NULL' END, a.attname) END, ', ' ORDER BY c.o)
      INTO v_select
      FROM unnest(v_cols) WITH ORDINALITY AS c(name, o)
      JOIN pg_attribute a ON a.attrelid = d.source_relid AND a.attname = c.name
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum;
    -- the store for the new structure (a later data branch of the source may share it)
    SELECT x.delta_table, x.preimage_table INTO v_new_delta, v_new_pre
      FROM pggit.data_store_for(d.source_relid, pggit.data_source_fingerprint(d.source_relid), v_cols, v_numbers,
                                v_keys) x;
    -- a pre-image of a row the source has no more has no value for a new column
    SELECT string_agg(format('ALTER COLUMN %I DROP NOT NULL', c.name), ', ') INTO v_loose
      FROM unnest(v_cols, v_old) c(name, old) WHERE c.old IS NULL AND c.name <> ALL (v_keys);
    IF v_loose IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %s %s', v_new_pre, v_loose);
    END IF;
    BEGIN
        EXECUTE format('INSERT INTO %s (_pggit_data, %s, _pggit_deleted) SELECT %s, %s, x._pggit_deleted
                          FROM %s x LEFT JOIN %s s ON %s WHERE x._pggit_data = %3$s',
                       v_new_delta, pggit.column_list(v_cols), d.id, v_select, d.delta_table, v_source, v_join);
        EXECUTE format('INSERT INTO %s (_pggit_data, %s, _pggit_absent) SELECT %s, %s, x._pggit_absent
                          FROM %s x LEFT JOIN %s s ON %s WHERE x._pggit_data = %3$s',
                       v_new_pre, pggit.column_list(v_cols), d.id, v_select, d.preimage_table, v_source, v_join);
    EXCEPTION WHEN integrity_constraint_violation OR data_exception THEN
        RAISE EXCEPTION USING ERRCODE = 'PGY04',
            MESSAGE = format('cannot rebase the data branch of %s on branch %L: its rows do not fit the new structure (%s)',
                             "table", branch, SQLERRM),
            HINT = format('Give the new column a default on %s and rebase again, or delete the data branch with pggit.delete_data_branch(%L, %L).',
                          v_source, "table", branch);
    END;
    EXECUTE format('DROP VIEW IF EXISTS %s', d.view_name);
    PERFORM pggit.release_data_store(d);
    UPDATE pggit.data_branches SET columns = v_cols, key_columns = v_keys, source_name = v_source,
                                   delta_table = v_new_delta, preimage_table = v_new_pre,
                                   added_columns = '{}', added_values = '{}', added_numbers = '{}',
                                   column_numbers = v_numbers,
                                   fingerprint = pggit.data_source_fingerprint(d.source_relid)
     WHERE id = d.id;
    -- the key-move trigger's WHEN clause names the key columns
    EXECUTE format('DROP TRIGGER IF EXISTS pggit_data_key_moved ON %s', v_source);
    PERFORM pggit.install_key_move_flag(d.source_relid);
    PERFORM pggit.create_data_branch_view(d.id);
    PERFORM pggit.end_internal(v_internal);
    RETURN d.view_name;
END;
$$;

-- delete_data_branch(table, branch)
-- Purpose: end a branch's data branch of a table: its rows go (view, delta, pre-images; the
--   source's capture triggers with its last live data branch); the branch itself stays.
-- Errors: PGY02 no such data branch.  Locks: the data branch row FOR UPDATE.
CREATE FUNCTION pggit.delete_data_branch("table" text, branch text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    PERFORM pggit.end_data_branch((pggit.find_data_branch("table", branch)).id, 'DROPPED');
END;
$$;

-- drop_data_branches(branch_id): end every live data branch of a branch (delete_branch).
CREATE FUNCTION pggit.drop_data_branches(p_branch_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    v_id bigint;
    v_namespace text;
BEGIN
    -- in the order create_branch_with_data locks their sources
    FOR v_id IN SELECT id FROM pggit.data_branches WHERE branch_id = p_branch_id AND status = 'ACTIVE'
                 ORDER BY format('%I.%I', logical_schema, table_name) LOOP
        PERFORM pggit.end_data_branch(v_id, 'DROPPED');
    END LOOP;
    FOR v_namespace IN SELECT w.namespace || '_data' FROM pggit.workspaces w WHERE w.branch_id = p_branch_id LOOP
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', v_namespace);
    END LOOP;
    PERFORM pggit.end_internal(v_internal);
END;
$$;

-- branch_relation(table, branch)
-- Purpose: the relation holding a branch's rows of a table: its live data branch's view, else
--   the table in its workspace (for main, the table itself). Returns (relation text, data
--   branch row or NULL).
CREATE FUNCTION pggit.branch_relation(p_table text, p_branch pggit.branches,
                                      OUT relation text, OUT data_branch_id bigint,
                                      OUT logical_schema text, OUT table_name text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_t record := pggit.resolve_branch_table(p_table, p_branch);
BEGIN
    logical_schema := v_t.logical_schema;
    table_name := v_t.table_name;
    SELECT d.view_name, d.id INTO relation, data_branch_id FROM pggit.data_branches d
     WHERE d.branch_id = p_branch.id AND d.logical_schema = v_t.logical_schema
       AND d.table_name = v_t.table_name AND d.status = 'ACTIVE';
    IF relation IS NULL THEN
        relation := v_t.relid::regclass::text;
    END IF;
END;
$$;

-- diff_data(table, a, b)
-- Purpose: the rows that differ between two branches' versions of a table, by primary key,
--   computed set-wise: added (only in b), removed (only in a), modified (with the changed
--   columns). When one side is a data branch of the other, only the keys either side changed
--   since the branch point are compared (delta and pre-image keys), so the cost follows the
--   changes, not the table.
--   A side other than main must have a live data branch of the table: without one its
--   workspace holds the table's structure but none of its rows, and every row would show as
--   added or removed.
-- Returns: (key jsonb, change, changed_columns text[], a_row jsonb, b_row jsonb).
-- Errors: PGB0x branches; PGT0x table; PGU01 a side other than main has no data branch of the
--   table.  Locks: none.
CREATE FUNCTION pggit.diff_data("table" text, a text, b text)
RETURNS TABLE (key jsonb, change text, changed_columns text[], a_row jsonb, b_row jsonb)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_a record := pggit.branch_relation("table", pggit.find_branch(a));
    v_b record := pggit.branch_relation("table", pggit.find_branch(b));
    d pggit.data_branches;
    v_keys text[];
    v_filter text := '';
    v_side text;
BEGIN
    v_side := CASE WHEN a <> 'main' AND v_a.data_branch_id IS NULL THEN a
                   WHEN b <> 'main' AND v_b.data_branch_id IS NULL THEN b END;
    IF v_side IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGU01',
            MESSAGE = format('branch %L has no data branch of %s: its rows cannot be compared', v_side, "table"),
            HINT = format('Create one first: SELECT pggit.create_data_branch(%L, ''main'', %L).', "table", v_side);
    END IF;
    SELECT * INTO d FROM pggit.data_branches x
     WHERE x.id IN (v_a.data_branch_id, v_b.data_branch_id)
       AND x.source_name IN (v_a.relation, v_b.relation);
    v_keys := pggit.primary_key_columns(coalesce(
                  (SELECT x.source_relid FROM pggit.data_branches x
                    WHERE x.id IN (v_a.data_branch_id, v_b.data_branch_id) ORDER BY x.id LIMIT 1),
                  to_regclass(v_a.relation)), "table");
    -- When one side is a data branch of the other, only keys changed on either side since the
    -- branch point (delta and pre-image keys) can differ: compare just those. OFFSET 0 keeps
    -- each side a separate subquery, so to_jsonb() runs on the rows that pass the key filter;
    -- pulled up into the full join, the planner computed it for every row before filtering.
    PERFORM pggit.require_current_data_branch(x) FROM unnest(ARRAY[v_a.data_branch_id, v_b.data_branch_id]) x
      WHERE x IS NOT NULL;
    IF d.id IS NOT NULL THEN
        v_filter := ' WHERE ' || pggit.changed_keys_filter(d);
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT coalesce(ra.key, rb.key),
               CASE WHEN ra.key IS NULL THEN 'added' WHEN rb.key IS NULL THEN 'removed' ELSE 'modified' END,
               CASE WHEN ra.key IS NOT NULL AND rb.key IS NOT NULL THEN
                   (SELECT array_agg(e.key ORDER BY e.key) FROM jsonb_each(ra.r) e WHERE e.value IS DISTINCT FROM rb.r -> e.key) END,
               ra.r, rb.r
          FROM (SELECT %1$s AS key, to_jsonb(x.*) AS r FROM %2$s x%3$s OFFSET 0) ra
          FULL JOIN (SELECT %4$s AS key, to_jsonb(y.*) AS r FROM %5$s y%6$s OFFSET 0) rb ON ra.key = rb.key
         WHERE ra.r IS DISTINCT FROM rb.r
         ORDER BY 1$q$,
        pggit.key_json(v_keys, 'x'), v_a.relation, v_filter,
        pggit.key_json(v_keys, 'y'), v_b.relation, v_filter);
END;
$$;

-- plan_data_merge(data_branch_id)
-- Purpose: the 3-way merge, by primary key, of a data branch into its source: base = the
--   row at the branch point (its pre-image, or the source row if the source never changed
--   it), ours = the source row now, theirs = the branch's row. Only keys changed on either
--   side (delta and pre-image keys) are looked at. Per key: 'theirs' (take the branch's row;
--   NULL result = delete), 'merged' (both changed different columns: combined row), or
--   'conflict' (a cell changed differently on both sides, or deleted on one side and changed
--   on the other, or added on both with different values). Keys needing nothing are absent.
-- Returns: (object_key 'row:<schema>.<table>:<key json>', key, outcome, conflict_kind,
--   detail, base_row, ours_row, theirs_row, result_row).
CREATE FUNCTION pggit.plan_data_merge(p_id bigint)
RETURNS TABLE (object_key text, key jsonb, outcome text, conflict_kind text, detail text,
               base_row jsonb, ours_row jsonb, theirs_row jsonb, result_row jsonb)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    d pggit.data_branches;
    r record;
    v_ours_cols text[];
    v_theirs_cols text[];
BEGIN
    PERFORM pggit.require_current_data_branch(p_id);
    SELECT * INTO d FROM pggit.data_branches WHERE id = p_id;
    FOR r IN EXECUTE format($q$
        WITH pre AS (SELECT %1$s AS key,
                            CASE WHEN p._pggit_absent THEN NULL ELSE to_jsonb(p.*) - '_pggit_absent' - '_pggit_data' END AS r
                       FROM %2$s p WHERE p._pggit_data = %8$s),
        ours AS (SELECT %3$s AS key, to_jsonb(s.*) AS r FROM %4$s s WHERE %5$s),
        theirs AS (SELECT %6$s AS key, to_jsonb(v.*) AS r FROM %7$s v WHERE %5$s),
        keys AS (SELECT pre.key FROM pre UNION SELECT ours.key FROM ours UNION SELECT theirs.key FROM theirs)
        SELECT keys.key,
               CASE WHEN pre.key IS NOT NULL THEN pre.r ELSE ours.r END AS b,
               ours.r AS o, theirs.r AS t
          FROM keys LEFT JOIN pre ON pre.key = keys.key LEFT JOIN ours ON ours.key = keys.key
          LEFT JOIN theirs ON theirs.key = keys.key
         ORDER BY keys.key$q$,
        pggit.key_json(d.key_columns, 'p'), d.preimage_table,
        pggit.key_json(d.key_columns, 's'), d.source_name, pggit.changed_keys_filter(d),
        pggit.key_json(d.key_columns, 'v'), d.view_name, d.id)
    LOOP
        CONTINUE WHEN r.t IS NOT DISTINCT FROM r.b OR r.o IS NOT DISTINCT FROM r.t;
        object_key := format('row:%I.%I:%s', d.logical_schema, d.table_name, r.key::text);
        key := r.key; base_row := r.b; ours_row := r.o; theirs_row := r.t;
        conflict_kind := NULL; detail := NULL; result_row := NULL;
        IF r.o IS NOT DISTINCT FROM r.b THEN
            outcome := 'theirs'; result_row := r.t;
        ELSIF r.b IS NOT NULL AND r.o IS NOT NULL AND r.t IS NOT NULL THEN
            SELECT array_agg(e.key) INTO v_ours_cols FROM jsonb_each(r.o) e WHERE e.value IS DISTINCT FROM r.b -> e.key;
            SELECT array_agg(e.key) INTO v_theirs_cols FROM jsonb_each(r.t) e WHERE e.value IS DISTINCT FROM r.b -> e.key;
            IF EXISTS (SELECT 1 FROM unnest(v_ours_cols) c WHERE c = ANY (v_theirs_cols) AND r.o -> c IS DISTINCT FROM r.t -> c) THEN
                outcome := 'conflict'; conflict_kind := 'row modify/modify';
                detail := 'both changed ' || (SELECT string_agg(c, ', ' ORDER BY c) FROM unnest(v_ours_cols) c
                                               WHERE c = ANY (v_theirs_cols) AND r.o -> c IS DISTINCT FROM r.t -> c);
            ELSE
                outcome := 'merged';
                result_row := r.o || coalesce((SELECT jsonb_object_agg(c, r.t -> c) FROM unnest(v_theirs_cols) c), '{}');
            END IF;
        ELSE
            outcome := 'conflict';
            conflict_kind := CASE WHEN r.b IS NULL THEN 'row add/add' WHEN r.o IS NULL THEN 'row delete/modify'
                                  ELSE 'row modify/delete' END;
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- apply_data_rows(data_branch_id, rows)
-- Purpose: write merge results into the source, set-wise: rows is a jsonb array of
--   {"key": ..., "row": ...}; a NULL row deletes the key, any other row is upserted
--   (generated columns are left to PostgreSQL, identity values are kept).
CREATE FUNCTION pggit.apply_data_rows(p_id bigint, p_rows jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    d pggit.data_branches;
    v_cols text[];
BEGIN
    SELECT * INTO d FROM pggit.data_branches WHERE id = p_id;
    SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO v_cols FROM pg_attribute a
     WHERE a.attrelid = d.source_relid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
    EXECUTE format('DELETE FROM %s s USING jsonb_array_elements($1) e
                     CROSS JOIN LATERAL jsonb_populate_record(NULL::%s, e.value -> ''key'') k
                    WHERE e.value -> ''row'' = ''null''::jsonb AND %s',
                   d.source_name, d.source_name, pggit.key_match(d.key_columns, 's', 'k'))
    USING p_rows;
    EXECUTE format('INSERT INTO %1$s (%2$s) OVERRIDING SYSTEM VALUE
                    SELECT %3$s FROM jsonb_array_elements($1) e
                     CROSS JOIN LATERAL jsonb_populate_record(NULL::%1$s, e.value -> ''row'') r
                     WHERE e.value -> ''row'' <> ''null''::jsonb
                    ON CONFLICT (%4$s) DO UPDATE SET (%2$s) = ROW(%5$s)',
                   d.source_name, pggit.column_list(v_cols), pggit.column_list(v_cols, 'r'),
                   pggit.column_list(d.key_columns), pggit.column_list(v_cols, 'excluded'))
    USING p_rows;
END;
$$;

-- data_branch_changes(id)
-- Purpose: how many rows a live data branch wrote (inserted or updated) and deleted, and how
--   many source rows changed since the branch point (pre-images saved).
CREATE FUNCTION pggit.data_branch_changes(p_id bigint,
                                          OUT rows_written bigint, OUT rows_deleted bigint,
                                          OUT source_rows_changed bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    d pggit.data_branches;
BEGIN
    SELECT * INTO d FROM pggit.data_branches WHERE id = p_id;
    IF d.status IS DISTINCT FROM 'ACTIVE' OR to_regclass(d.delta_table) IS NULL
       OR to_regclass(d.preimage_table) IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT count(*) FILTER (WHERE NOT _pggit_deleted), count(*) FILTER (WHERE _pggit_deleted)
                      FROM %s WHERE _pggit_data = %s', d.delta_table, d.id) INTO rows_written, rows_deleted;
    EXECUTE format('SELECT count(*) FROM %s WHERE _pggit_data = %s', d.preimage_table, d.id) INTO source_rows_changed;
END;
$$;

-- list_data_branches(branch)
-- Purpose: the live data branches (of one branch, or all), with their change counts and, for a
--   stale one, why (data_branch_staleness; NULL otherwise).
CREATE FUNCTION pggit.list_data_branches(branch text DEFAULT NULL)
RETURNS TABLE (id bigint, branch_name text, from_branch text, table_name text, view_name text,
               rows_written bigint, rows_deleted bigint, source_rows_changed bigint, created_at timestamptz,
               stale text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT d.id, b.name, f.name, quote_ident(d.logical_schema) || '.' || quote_ident(d.table_name), d.view_name,
           c.rows_written, c.rows_deleted, c.source_rows_changed, d.created_at, pggit.data_branch_staleness(d.id)
      FROM pggit.data_branches d
      JOIN pggit.branches b ON b.id = d.branch_id
      JOIN pggit.branches f ON f.id = d.from_branch_id
     CROSS JOIN LATERAL pggit.data_branch_changes(d.id) c
     WHERE d.status = 'ACTIVE' AND (list_data_branches.branch IS NULL OR b.name = list_data_branches.branch)
     ORDER BY b.name, d.logical_schema, d.table_name
$$;
