-- django-pggit core: what changed between two definitions, semantic versions, status, show.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).

-- definition_changes(old, new)
-- Purpose: element-level differences between two object definitions: columns (by name),
--   constraints, indexes and triggers (by name), enum labels, and any other property.
-- Returns: (element, name, change 'added'|'removed'|'modified', old_value, new_value).
CREATE FUNCTION pggit.definition_changes(p_old jsonb, p_new jsonb)
RETURNS TABLE (element text, name text, change text, old_value jsonb, new_value jsonb)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog ROWS 5 SET jit = off AS $$
    WITH old_columns AS (
        SELECT c->>'name' AS name, c AS value FROM jsonb_array_elements(coalesce(p_old->'columns', '[]')) c
    ), new_columns AS (
        SELECT c->>'name' AS name, c AS value FROM jsonb_array_elements(coalesce(p_new->'columns', '[]')) c
    )
    SELECT 'column', coalesce(o.name, n.name),
           CASE WHEN o.name IS NULL THEN 'added' WHEN n.name IS NULL THEN 'removed' ELSE 'modified' END,
           o.value, n.value
      FROM old_columns o FULL JOIN new_columns n ON n.name = o.name
     WHERE o.value IS DISTINCT FROM n.value
    UNION ALL
    SELECT m.element, coalesce(x.old_key, x.new_key),
           CASE WHEN x.old_key IS NULL THEN 'added' WHEN x.new_key IS NULL THEN 'removed' ELSE 'modified' END,
           x.old_value, x.new_value
      FROM (VALUES ('constraint', 'constraints'), ('index', 'indexes'), ('trigger', 'triggers')) m(element, field)
     CROSS JOIN LATERAL (
        SELECT o.key, o.value, n.key, n.value
          FROM jsonb_each(coalesce(p_old->m.field, '{}')) o
          FULL JOIN jsonb_each(coalesce(p_new->m.field, '{}')) n ON n.key = o.key
         WHERE o.value IS DISTINCT FROM n.value
     ) AS x(old_key, old_value, new_key, new_value)
    UNION ALL
    SELECT 'label', coalesce(o.label, n.label),
           CASE WHEN o.label IS NULL THEN 'added' ELSE 'removed' END, to_jsonb(o.label), to_jsonb(n.label)
      FROM (SELECT jsonb_array_elements_text(coalesce(p_old->'labels', '[]'))) o(label)
      FULL JOIN (SELECT jsonb_array_elements_text(coalesce(p_new->'labels', '[]'))) n(label) ON n.label = o.label
     WHERE o.label IS NULL OR n.label IS NULL
    UNION ALL
    SELECT 'property', k.key,
           CASE WHEN NOT p_old ? k.key THEN 'added' WHEN NOT p_new ? k.key THEN 'removed' ELSE 'modified' END,
           p_old->k.key, p_new->k.key
      FROM (SELECT jsonb_object_keys(coalesce(p_old, '{}')) UNION SELECT jsonb_object_keys(coalesce(p_new, '{}'))) k(key)
     WHERE k.key NOT IN ('columns', 'constraints', 'indexes', 'triggers', 'labels')
       AND (p_old->k.key) IS DISTINCT FROM (p_new->k.key)
    UNION ALL
    -- same columns in another order (e.g. a column dropped and re-added)
    SELECT 'property', 'column_order', 'modified',
           (SELECT jsonb_agg(c->'name') FROM jsonb_array_elements(p_old->'columns') c),
           (SELECT jsonb_agg(c->'name') FROM jsonb_array_elements(p_new->'columns') c)
     WHERE (SELECT array_agg(c->>'name' ORDER BY c->>'name') FROM jsonb_array_elements(p_old->'columns') c)
         = (SELECT array_agg(c->>'name' ORDER BY c->>'name') FROM jsonb_array_elements(p_new->'columns') c)
       AND (SELECT array_agg(c->>'name') FROM jsonb_array_elements(p_old->'columns') c)
        <> (SELECT array_agg(c->>'name') FROM jsonb_array_elements(p_new->'columns') c)
$$;

-- is_widening(old_type, new_type)
-- Purpose: whether changing a column from old_type to new_type keeps every existing value
--   and every existing client working (int2 -> int4 -> int8 -> numeric, real -> double,
--   longer varchar/char, varchar -> text, more numeric precision at the same scale).
CREATE FUNCTION pggit.is_widening(p_old text, p_new text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog SET jit = off AS $$
    SELECT CASE
        WHEN p_old = 'smallint' THEN p_new IN ('integer', 'bigint', 'numeric') OR p_new LIKE 'numeric(%'
        WHEN p_old = 'integer' THEN p_new IN ('bigint', 'numeric')
        WHEN p_old = 'bigint' THEN p_new = 'numeric'
        WHEN p_old = 'real' THEN p_new = 'double precision'
        WHEN p_old ~ '^character varying\(\d+\)$' THEN
            p_new IN ('text', 'character varying')
            OR (p_new ~ '^character varying\(\d+\)$'
                AND substring(p_new FROM '\d+')::int >= substring(p_old FROM '\d+')::int)
        WHEN p_old ~ '^numeric\(\d+,\d+\)$' THEN
            p_new = 'numeric'
            OR (p_new ~ '^numeric\(\d+,\d+\)$'
                AND split_part(substring(p_new FROM '\((.*)\)'), ',', 2) = split_part(substring(p_old FROM '\((.*)\)'), ',', 2)
                AND split_part(substring(p_new FROM '\((.*)\)'), ',', 1)::int >= split_part(substring(p_old FROM '\((.*)\)'), ',', 1)::int)
        WHEN p_old = 'character varying' THEN p_new = 'text'
        ELSE false
    END
$$;

-- classify_change(old, new)
-- Purpose: the semantic-version bump a change of one object's definition calls for.
--   major: a column removed (or renamed), an incompatible type change, NOT NULL added to an
--     existing column, a new NOT NULL column without default, a primary key added, removed
--     or changed, an enum label removed, the object removed;
--   minor: additive or loosening changes: a new nullable column, a widened type, NOT NULL
--     dropped, a constraint added/removed/changed, a new enum label, a changed view query,
--     function body or type;
--   patch: the rest: comments, column defaults, indexes, triggers.
-- Returns: 'major', 'minor' or 'patch'; NULL when the definitions are equal.
CREATE FUNCTION pggit.classify_change(p_old jsonb, p_new jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT CASE
        WHEN p_old IS NOT DISTINCT FROM p_new THEN NULL
        WHEN p_new IS NULL THEN 'major'
        WHEN p_old IS NULL THEN 'minor'
        WHEN bool_or(
               (d.element = 'column' AND d.change = 'removed')
            OR (d.element = 'column' AND d.change = 'added'
                AND (d.new_value->>'not_null')::boolean AND NOT d.new_value ?| ARRAY['default', 'identity', 'generated'])
            OR (d.element = 'column' AND d.change = 'modified'
                AND ((d.old_value->>'type' <> d.new_value->>'type'
                      AND NOT pggit.is_widening(d.old_value->>'type', d.new_value->>'type'))
                     OR (NOT (d.old_value ? 'not_null' AND (d.old_value->>'not_null')::boolean)
                         AND (d.new_value->>'not_null')::boolean)))
            OR (d.element = 'constraint'
                AND (d.old_value->>'definition' LIKE 'PRIMARY KEY%' OR d.new_value->>'definition' LIKE 'PRIMARY KEY%'))
            OR (d.element = 'label' AND d.change = 'removed')
            OR (d.element = 'property' AND d.name = 'column_order')
        ) THEN 'major'
        WHEN bool_or(
               (d.element = 'column' AND d.change = 'added')
            OR (d.element = 'column' AND d.change = 'modified'
                AND (d.old_value - 'default' - 'comment') IS DISTINCT FROM (d.new_value - 'default' - 'comment'))
            OR d.element IN ('constraint', 'label')
            OR (d.element = 'property' AND d.name <> 'comment')
        ) THEN 'minor'
        ELSE 'patch'
    END
    FROM pggit.definition_changes(p_old, p_new) d
$$;

-- describe_changes(changes)
-- Purpose: the one-line summary change_detail gives, of definition_changes rows passed as a
--   jsonb array of {element, name, change, old_value, new_value} (NULL: no change). A caller
--   that summarizes many pairs in one query (object_log) runs definition_changes in a LATERAL
--   join, planned once, and calls this per pair: change_detail per row plans
--   definition_changes again for every call.
CREATE FUNCTION pggit.describe_changes(p_changes jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT string_agg(
        CASE
            WHEN d.change = 'modified' AND jsonb_typeof(d.old_value) = 'object' AND jsonb_typeof(d.new_value) = 'object' THEN
                format('%s %s: %s', d.element, d.name, (
                    SELECT string_agg(format('%s %s -> %s', k,
                                             coalesce(d.old_value->>k, '(none)'), coalesce(d.new_value->>k, '(none)')), ', ' ORDER BY k)
                      FROM (SELECT jsonb_object_keys(d.old_value) UNION SELECT jsonb_object_keys(d.new_value)) ks(k)
                     WHERE (d.old_value->k) IS DISTINCT FROM (d.new_value->k)))
            WHEN d.change = 'modified' THEN
                format('%s %s: %s -> %s', d.element, d.name, coalesce(d.old_value::text, '(none)'), coalesce(d.new_value::text, '(none)'))
            WHEN d.element = 'column' AND d.change = 'added' THEN
                format('column %s added (%s)', d.name, d.new_value->>'type')
            ELSE format('%s %s %s', d.element, d.name, d.change)
        END, '; ' ORDER BY d.element, d.name)
      FROM jsonb_to_recordset(coalesce(p_changes, '[]'))
           AS d(element text, name text, change text, old_value jsonb, new_value jsonb)
$$;

-- change_detail(old, new): a readable one-line summary of definition_changes (describe_changes).
CREATE FUNCTION pggit.change_detail(p_old jsonb, p_new jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT pggit.describe_changes((SELECT jsonb_agg(to_jsonb(d)) FROM pggit.definition_changes(p_old, p_new) d))
$$;

CREATE TYPE pggit.semantic_version AS (major integer, minor integer, patch integer, full_version text);

-- increment_version(major, minor, patch, kind)
-- Purpose: the next semantic version (pure): major resets minor and patch, minor resets patch.
-- Arguments: three non-negative integers; kind 'major' | 'minor' | 'patch' (any case).
-- Returns: pggit.semantic_version (major, minor, patch, full_version).
-- Errors: PGV01 NULL or negative number; PGV02 unknown kind.  Locks: none.
CREATE FUNCTION pggit.increment_version(major integer, minor integer, patch integer, kind text)
RETURNS pggit.semantic_version
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
DECLARE
    v_kind text := lower(btrim(kind));
BEGIN
    IF major IS NULL OR minor IS NULL OR patch IS NULL OR major < 0 OR minor < 0 OR patch < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PGV01',
            MESSAGE = format('invalid version %s.%s.%s: parts must be non-negative integers',
                             coalesce(major::text, 'NULL'), coalesce(minor::text, 'NULL'), coalesce(patch::text, 'NULL')),
            HINT = 'Versions start at 0.0.0 or 1.0.0.';
    END IF;
    CASE v_kind
        WHEN 'major' THEN major := major + 1; minor := 0; patch := 0;
        WHEN 'minor' THEN minor := minor + 1; patch := 0;
        WHEN 'patch' THEN patch := patch + 1;
        ELSE
            RAISE EXCEPTION USING ERRCODE = 'PGV02',
                MESSAGE = format('unknown version kind %s', coalesce(quote_literal(kind), 'NULL')),
                HINT = 'Use ''major'', ''minor'' or ''patch''.';
    END CASE;
    RETURN ROW(major, minor, patch, format('%s.%s.%s', major, minor, patch))::pggit.semantic_version;
END;
$$;

CREATE TABLE pggit.object_versions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    branch_id   bigint NOT NULL REFERENCES pggit.branches (id),
    object_key  text NOT NULL,
    object_type text NOT NULL,
    major       integer NOT NULL CHECK (major >= 0),
    minor       integer NOT NULL CHECK (minor >= 0),
    patch       integer NOT NULL CHECK (patch >= 0),
    object_hash text,             -- the definition this version describes (NULL once dropped)
    dropped     boolean NOT NULL DEFAULT false,
    commit_hash text NOT NULL REFERENCES pggit.commits (hash),
    recorded_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE pggit.object_versions IS
    'Semantic versions of tracked objects per branch, append-only: a commit that changes an '
    'object adds its next version (classify_change); the current one is the newest row per '
    '(branch, object) (view current_object_versions).';

-- The current version of an object on a branch is one index probe.
CREATE INDEX object_versions_current_idx ON pggit.object_versions (branch_id, object_key, id DESC);

-- Versions are history: never updated or deleted (refuse_history_rewrite, 020_commits.sql).
CREATE TRIGGER object_versions_append_only BEFORE UPDATE OR DELETE ON pggit.object_versions
    FOR EACH ROW EXECUTE FUNCTION pggit.refuse_history_rewrite();

CREATE TRIGGER object_versions_no_truncate BEFORE TRUNCATE ON pggit.object_versions
    FOR EACH STATEMENT EXECUTE FUNCTION pggit.refuse_history_rewrite();

CREATE VIEW pggit.current_object_versions AS
SELECT DISTINCT ON (v.branch_id, v.object_key) v.*
  FROM pggit.object_versions v
 ORDER BY v.branch_id, v.object_key, v.id DESC;

COMMENT ON VIEW pggit.current_object_versions IS
    'The current version of every object per branch: the newest row of pggit.object_versions.';

-- object_log reads one object's versions on every branch: one index probe.
CREATE INDEX object_versions_object_idx ON pggit.object_versions (object_key);

CREATE VIEW pggit.table_versions AS
SELECT b.name AS branch,
       (parse_ident(substr(v.object_key, 7)))[1] AS schema_name,
       (parse_ident(substr(v.object_key, 7)))[2] AS table_name,
       v.major, v.minor, v.patch, format('%s.%s.%s', v.major, v.minor, v.patch) AS full_version,
       v.dropped, v.commit_hash, v.recorded_at AS updated_at
  FROM pggit.current_object_versions v JOIN pggit.branches b ON b.id = v.branch_id
 WHERE v.object_type = 'table';

COMMENT ON VIEW pggit.table_versions IS 'Current versions of tracked tables per branch.';

-- record_versions(branch_id, commit_hash, full)
-- Purpose: add the versions the commit's tree makes: new objects start at 1.0.0 (a re-created
--   one bumps major), changed ones bump by classify_change, removed ones bump major and are
--   marked dropped; each new row names the commit. Nothing to do when the tree equals the
--   parent's on the same branch. When the parent commit is on the same branch, the branch's
--   versions already reflect the parent's tree, so only the entries that differ from it are
--   reconciled (not every object of the schema); full: no shortcut through the parent,
--   reconcile every entry (reset, branching from a commit). Appends only (object_versions is
--   append-only). Called by record_commit under the branch lock.
-- Returns: how many rows it added: the reflog counts them (lost rows are then detectable).
CREATE FUNCTION pggit.record_versions(p_branch_id bigint, p_commit_hash text, p_full boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_commit pggit.commits;
    v_parent pggit.commits;
    v_parent_entries jsonb;
    v_added bigint;
    v_dropped bigint;
BEGIN
    SELECT * INTO v_commit FROM pggit.commits WHERE hash = p_commit_hash;
    SELECT * INTO v_parent FROM pggit.commits WHERE hash = v_commit.parent_hash;
    IF v_parent.branch_id = p_branch_id AND NOT p_full THEN
        IF v_parent.tree_hash = v_commit.tree_hash THEN
            RETURN 0;
        END IF;
        SELECT t.entries INTO v_parent_entries FROM pggit.trees t WHERE t.hash = v_parent.tree_hash;
    END IF;

    WITH entries AS (
        SELECT e.key AS object_key, e.value AS object_hash
          FROM pggit.trees t CROSS JOIN LATERAL jsonb_each_text(t.entries) e
          LEFT JOIN jsonb_each_text(v_parent_entries) p ON p.key = e.key  -- joined: see store_tree
         WHERE t.hash = v_commit.tree_hash AND p.value IS DISTINCT FROM e.value
    ), changed AS (
        SELECT e.object_key, e.object_hash,
               CASE WHEN c.id IS NULL THEN ROW(1, 0, 0, '1.0.0')::pggit.semantic_version
                    ELSE pggit.increment_version(c.major, c.minor, c.patch,
                             CASE WHEN c.dropped THEN 'major'
                                  ELSE coalesce(pggit.classify_change(
                                           (SELECT o.definition FROM pggit.objects o WHERE o.hash = c.object_hash),
                                           (SELECT o.definition FROM pggit.objects o WHERE o.hash = e.object_hash)),
                                       'patch') END) END AS version
          FROM entries e
          LEFT JOIN LATERAL (SELECT v.* FROM pggit.object_versions v
                              WHERE v.branch_id = p_branch_id AND v.object_key = e.object_key
                              ORDER BY v.id DESC LIMIT 1) c ON true
         WHERE c.id IS NULL OR c.object_hash IS DISTINCT FROM e.object_hash OR c.dropped
        OFFSET 0  -- one increment_version call per row, not one per field read below
    )
    INSERT INTO pggit.object_versions
           (branch_id, object_key, object_type, major, minor, patch, object_hash, dropped, commit_hash)
    SELECT p_branch_id, c.object_key, split_part(c.object_key, ':', 1),
           (c.version).major, (c.version).minor, (c.version).patch, c.object_hash, false, p_commit_hash
      FROM changed c;
    GET DIAGNOSTICS v_added = ROW_COUNT;

    INSERT INTO pggit.object_versions
           (branch_id, object_key, object_type, major, minor, patch, object_hash, dropped, commit_hash)
    SELECT p_branch_id, v.object_key, v.object_type, v.major + 1, 0, 0, NULL, true, p_commit_hash
      FROM (SELECT DISTINCT ON (v.object_key) v.*
              FROM pggit.object_versions v
             WHERE v.branch_id = p_branch_id
             ORDER BY v.object_key, v.id DESC) v
      JOIN pggit.trees t ON t.hash = v_commit.tree_hash
     WHERE NOT v.dropped AND NOT t.entries ? v.object_key;
    GET DIAGNOSTICS v_dropped = ROW_COUNT;
    RETURN v_added + v_dropped;
END;
$$;

-- get_version(table)
-- Purpose: the semantic version of a tracked table on the current branch, for the working
--   tree: its committed version when the table's definition is the one the branch last
--   committed, else (uncommitted DDL changed it, or it is new, or it was re-created after a
--   committed drop) the version the branch's next commit will record for it, as
--   record_versions computes it (1.0.0 for a new table, classify_change's bump for a changed
--   one, a major bump for a re-created one), with committed = false. (A new branch starts
--   with its parent's versions, so its tables read as committed until DDL changes them.)
--   Cheap: it serializes this one table (committable_table_definition) and reads one pggit.object_versions row; the
--   previous definition is read only when the table changed.
-- Arguments: table text, "name" or "schema.name": looked up in the current branch's
--   workspace (its namespaces of the tracked schemas; unqualified: in schema name order).
-- Returns: one row (major, minor, patch, full_version, committed), or no row for a table that
--   does not exist on the branch or is not in a tracked schema (or when the current branch
--   is deleted).
-- Errors: PGT01 invalid name; PGT03 not a table.  Locks: none.
CREATE FUNCTION pggit.get_version("table" text)
RETURNS TABLE (major integer, minor integer, patch integer, full_version text, committed boolean)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_parts   text[];
    v_branch  bigint;
    v_schema  text;
    v_name    text;
    v_oid     oid;
    v_kind    "char";
    v_def     jsonb;
    v_key     text;
    v_current pggit.object_versions;
    v_next    pggit.semantic_version;
BEGIN
    v_parts := pggit.table_name_parts("table");
    SELECT b.id INTO v_branch FROM pggit.branches b
     WHERE b.name = pggit.current_branch() AND b.status <> 'DELETED';
    IF v_branch IS NULL THEN
        RETURN;
    END IF;
    SELECT n.logical_schema, c.relname, c.oid, c.relkind
      INTO v_schema, v_name, v_oid, v_kind
      FROM pggit.branch_namespaces(v_branch) n
      JOIN pg_class c ON c.relnamespace = n.namespace AND c.relname = v_parts[cardinality(v_parts)]
     WHERE cardinality(v_parts) = 1 OR n.logical_schema = v_parts[1]
     ORDER BY n.logical_schema LIMIT 1;
    IF v_oid IS NULL THEN
        RETURN;
    END IF;
    IF v_kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT03',
            MESSAGE = format('%s is a %s, not a table', "table", CASE v_kind
                WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' WHEN 'f' THEN 'foreign table'
                WHEN 'c' THEN 'composite type' ELSE 'relation' END),
            HINT = 'Pass an ordinary or partitioned table.';
    END IF;
    v_def := pggit.committable_table_definition(v_oid);
    IF v_def IS NULL THEN  -- not tracked (an extension's member, pggit's own)
        RETURN;
    END IF;
    v_key := pggit.object_key('table', v_schema, v_name);
    SELECT * INTO v_current FROM pggit.object_versions v  -- the newest row is the current version
     WHERE v.branch_id = v_branch AND v.object_key = v_key ORDER BY v.id DESC LIMIT 1;
    IF v_current.object_key IS NOT NULL AND NOT v_current.dropped
       AND v_current.object_hash = pggit.hash_definition(v_def) THEN
        RETURN QUERY SELECT v_current.major, v_current.minor, v_current.patch,
                            format('%s.%s.%s', v_current.major, v_current.minor, v_current.patch), true;
        RETURN;
    END IF;
    IF v_current.object_key IS NULL THEN
        v_next := ROW(1, 0, 0, '1.0.0');
    ELSE
        v_next := pggit.increment_version(v_current.major, v_current.minor, v_current.patch,
                      CASE WHEN v_current.dropped THEN 'major'
                           ELSE coalesce(pggit.classify_change(
                                    (SELECT o.definition FROM pggit.objects o WHERE o.hash = v_current.object_hash),
                                    v_def), 'patch') END);
    END IF;
    RETURN QUERY SELECT v_next.major, v_next.minor, v_next.patch, v_next.full_version, false;
END;
$$;

-- tree_entries(tree_hash): the (object_key, object_hash) pairs of a stored tree.
CREATE FUNCTION pggit.tree_entries(p_tree_hash text)
RETURNS TABLE (object_key text, object_hash text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT e.key, e.value FROM pggit.trees t CROSS JOIN LATERAL jsonb_each_text(t.entries) e
     WHERE t.hash = p_tree_hash
$$;

-- status(branch)
-- Purpose: uncommitted changes of a branch's workspace against its head, read from the
--   catalog (works with DDL capture off too).
-- Arguments: branch text (default: pggit.current_branch()).
-- Returns: one row per added / modified / removed object with a readable detail.
-- Errors: PGB04, PGB01, PGB05.  Locks: none.
CREATE FUNCTION pggit.status(branch text DEFAULT NULL)
RETURNS TABLE (object_key text, object_type text, change text, detail text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_branch pggit.branches := pggit.find_branch(coalesce(status.branch, pggit.current_branch()));
    v_tree   text;
BEGIN
    SELECT c.tree_hash INTO v_tree FROM pggit.commits c WHERE c.hash = v_branch.head_hash;
    RETURN QUERY
    WITH head AS (
        SELECT e.object_key, e.object_hash, o.definition
          FROM pggit.tree_entries(v_tree) e JOIN pggit.objects o ON o.hash = e.object_hash
    ), live AS (
        SELECT w.object_key, w.object_type, w.hash, w.definition FROM pggit.workspace_objects(v_branch.id) w
    )
    SELECT coalesce(l.object_key, h.object_key),
           coalesce(l.object_type, split_part(h.object_key, ':', 1)),
           CASE WHEN h.object_key IS NULL THEN 'added' WHEN l.object_key IS NULL THEN 'removed' ELSE 'modified' END,
           CASE WHEN h.object_key IS NOT NULL AND l.object_key IS NOT NULL
                THEN pggit.change_detail(h.definition, l.definition) END
      FROM head h FULL JOIN live l ON l.object_key = h.object_key
     WHERE h.object_hash IS DISTINCT FROM l.hash
     ORDER BY 1;
END;
$$;

-- resolve_commit(ref)
-- Purpose: the full hash of the commit a ref names: what every function taking a commit
--   (show, revert, ...) resolves it with. Any ref works: a branch, a tag, HEAD, a full hash
--   or a unique prefix of 7+ hex digits, ref~N (see pggit.resolve in 025_refs.sql).
-- Errors: PGC03 unknown or malformed; PGR01 ambiguous prefix.  Locks: none.
-- Inlined by the planner (no SET clause; the one name in it is schema-qualified).
CREATE FUNCTION pggit.resolve_commit(p_ref text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pggit.resolve_ref(p_ref)
$$;

-- show(commit)
-- Purpose: one commit in full: its metadata, its tree, the objects it changed against its
--   (first) parent with details, and the DDL captured since that parent.
-- Arguments: commit text: any ref (see resolve_commit).
-- Returns: jsonb {commit, tree, changes, ddl, tags}.
-- Errors: PGC03, PGR01.  Locks: none.
CREATE FUNCTION pggit.show("commit" text) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_hash text;
    v_commit pggit.commits;
    v_parent_tree text;
BEGIN
    -- Resolve before the query, not in its WHERE: a call there is not made when the plan reads
    -- no row (a sequential scan of an empty history), and any reference then "found" nothing.
    v_hash := pggit.resolve_commit("commit");
    SELECT * INTO v_commit FROM pggit.commits WHERE hash = v_hash;
    SELECT tree_hash INTO v_parent_tree FROM pggit.commits WHERE hash = v_commit.parent_hash;
    RETURN jsonb_build_object(
        'commit', jsonb_build_object(
            'hash', v_commit.hash, 'uuid', v_commit.uuid, 'parent_hash', v_commit.parent_hash,
            'merge_parent_hash', v_commit.merge_parent_hash,
            'branch', (SELECT name FROM pggit.branches WHERE id = v_commit.branch_id),
            'tree_hash', v_commit.tree_hash, 'author', v_commit.author,
            'message', v_commit.message, 'committed_at', v_commit.committed_at,
            'commit_id', v_commit.commit_id),
        'tree', (SELECT entries FROM pggit.trees WHERE hash = v_commit.tree_hash),
        'changes', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'object', coalesce(n.object_key, o.object_key),
                       'change', CASE WHEN o.object_key IS NULL THEN 'added'
                                      WHEN n.object_key IS NULL THEN 'removed' ELSE 'modified' END,
                       'detail', CASE WHEN o.object_key IS NOT NULL AND n.object_key IS NOT NULL THEN
                                     pggit.change_detail(
                                         (SELECT definition FROM pggit.objects WHERE hash = o.object_hash),
                                         (SELECT definition FROM pggit.objects WHERE hash = n.object_hash)) END)
                       ORDER BY coalesce(n.object_key, o.object_key))
              FROM pggit.tree_entries(v_parent_tree) o
              FULL JOIN pggit.tree_entries(v_commit.tree_hash) n ON n.object_key = o.object_key
             WHERE o.object_hash IS DISTINCT FROM n.object_hash), '[]'::jsonb),
        'ddl', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'command_tag', e.command_tag, 'object_type', e.object_type,
                       'object_identity', e.object_identity, 'statement', e.statement,
                       'role', e.role_name, 'occurred_at', e.occurred_at) ORDER BY e.id)
              FROM pggit.ddl_events e WHERE e.commit_id = v_commit.id), '[]'::jsonb),
        'tags', coalesce((SELECT jsonb_agg(t.name ORDER BY t.name) FROM pggit.tags t
                           WHERE t.commit_hash = v_commit.hash), '[]'::jsonb));
END;
$$;

-- validate_object_key(object_key)
-- Purpose: refuse what cannot be a tree key: NULL, empty, over 1,000 characters, control
--   characters, or not "<type>:<schema>.<name>" with a type pggit tracks (table, view,
--   materialized_view, sequence, function, procedure, enum, domain, composite_type), e.g.
--   table:public.users or function:public.f(integer). The key is only ever compared with
--   tree keys, never run as SQL.
-- Errors: PGK01.  Locks: none.
CREATE FUNCTION pggit.validate_object_key(p_key text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    IF p_key IS NULL OR length(p_key) > 1000 OR p_key ~ '[[:cntrl:]]'
       OR split_part(p_key, ':', 1) NOT IN ('table', 'view', 'materialized_view', 'sequence', 'function',
                                            'procedure', 'enum', 'domain', 'composite_type')
       OR substr(p_key, strpos(p_key, ':') + 1) !~ '^.+\..+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'PGK01',
            MESSAGE = format('invalid object key %s', coalesce(quote_literal(left(p_key, 80)), 'NULL')),
            HINT = 'An object key is <type>:<schema>.<name> as in a commit''s tree, e.g. table:public.users '
                   '(types: table, view, materialized_view, sequence, function, procedure, enum, domain, '
                   'composite_type).';
    END IF;
END;
$$;

-- show_object(ref, object_key)
-- Purpose: one object as a commit stored it: its definition (the normalized JSON the tree
--   hashes) and the DDL that creates it (tree_ddl of a tree holding only that object).
-- Arguments: ref text: a commit reference (pggit.resolve_commit); object_key text, e.g.
--   table:public.users.
-- Returns: jsonb {commit, object_key, object_type, object_hash, definition, ddl: [statement]}.
-- Errors: PGC03 unknown or ambiguous ref; PGK01 malformed key; PGK02 the commit's tree has
--   no such object.  Locks: none.
CREATE FUNCTION pggit.show_object(ref text, object_key text) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_hash   text;
    v_object text;
BEGIN
    PERFORM pggit.validate_object_key(show_object.object_key);
    v_hash := pggit.resolve_commit(ref);
    v_object := pggit.commit_tree(v_hash)->>show_object.object_key;
    IF v_object IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGK02',
            MESSAGE = format('commit %s has no object %s', left(v_hash, 12), quote_literal(left(show_object.object_key, 200))),
            HINT = format('List its objects: SELECT jsonb_object_keys(pggit.show(%L)->''tree'').', left(v_hash, 12));
    END IF;
    RETURN jsonb_build_object(
        'commit', v_hash,
        'object_key', show_object.object_key,
        'object_type', split_part(show_object.object_key, ':', 1),
        'object_hash', v_object,
        'definition', (SELECT o.definition FROM pggit.objects o WHERE o.hash = v_object),
        'ddl', (SELECT coalesce(jsonb_agg(d.statement ORDER BY d.step), '[]')
                  FROM pggit.tree_ddl('{}', jsonb_build_object(show_object.object_key, v_object)) d));
END;
$$;

-- object_log(object_key, branch)
-- Purpose: one object's history on a branch, newest first: the commits of the branch's
--   first-parent chain (as pggit.log walks it) that changed the object, each with the change
--   ('added', 'modified', 'removed'), a readable detail of a modification, and the object's
--   semantic version after it. A merge commit shows the changes it brought (the merged
--   branch's own commits are not on the first-parent chain).
--   Reads the object's rows of pggit.object_versions (one per version a commit made) through
--   their key; no tree is read. The chain is followed back to the object's oldest change in runs, not commit by
--   commit: from a commit, the commits of its branch in descending id order continue the chain
--   as long as each one's parent is the next one (one index range scan with lead(), stopping
--   at the first commit whose parent is elsewhere: on another branch, or, after a reset, an
--   older commit of the same branch); then the run goes on from that parent. The chain is the
--   union of those (branch, id range) runs, usually a few for thousands of commits (a walk
--   of one hash lookup per commit read 10,000 commits one probe at a time).
-- Arguments: object_key text, e.g. table:public.users; branch text (default 'main'; a
--   deleted branch's history stays readable, as in log).
-- Returns: (hash, committed_at, author, message, change, detail, version, object_hash).
-- Errors: PGK01 malformed key; PGB04/PGB01 branch; PGK02 the object never changed on the
--   branch's history.  Locks: none.
CREATE FUNCTION pggit.object_log(object_key text, branch text DEFAULT 'main')
RETURNS TABLE (hash text, committed_at timestamptz, author text, message text, change text,
               detail text, version text, object_hash text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_key      text := object_log.object_key;
    v_head     text;
    v_oldest   bigint;
    v_id       bigint;
    v_branch   bigint;
    v_break    bigint;
    v_parent   text;
    v_branches bigint[] := '{}';
    v_lows     bigint[] := '{}';
    v_highs    bigint[] := '{}';
    v_versions bigint[];
BEGIN
    PERFORM pggit.validate_object_key(v_key);
    PERFORM pggit.validate_branch_name(object_log.branch);
    SELECT b.head_hash INTO v_head FROM pggit.history_branch(object_log.branch) b;
    IF NOT FOUND THEN
        PERFORM pggit.raise_missing_branch(object_log.branch);
    END IF;
    -- the object's versions made by commits on their own branch (a branch's inherited
    -- versions, and those a fast-forward records on the target, name another branch's commit)
    SELECT coalesce(array_agg(v.id), '{}'), min(c.id) INTO v_versions, v_oldest
      FROM pggit.object_versions v JOIN pggit.commits c ON c.hash = v.commit_hash
     WHERE v.object_key = v_key AND c.branch_id = v.branch_id;
    IF v_oldest IS NOT NULL THEN
        SELECT c.id, c.branch_id INTO v_id, v_branch FROM pggit.commits c WHERE c.hash = v_head;
    END IF;
    WHILE v_id >= v_oldest LOOP
        v_break := NULL;
        SELECT r.id, r.parent_hash INTO v_break, v_parent
          FROM (SELECT c.id, c.parent_hash, lead(c.hash) OVER (ORDER BY c.id DESC) AS next_hash
                  FROM pggit.commits c
                 WHERE c.branch_id = v_branch AND c.id <= v_id AND c.id >= v_oldest
                 ORDER BY c.id DESC) r
         WHERE r.parent_hash IS DISTINCT FROM r.next_hash
         LIMIT 1;
        v_branches := v_branches || v_branch;
        v_lows := v_lows || coalesce(v_break, v_oldest);
        v_highs := v_highs || v_id;
        v_id := NULL;
        IF v_break IS NOT NULL AND v_parent IS NOT NULL THEN
            SELECT c.id, c.branch_id INTO v_id, v_branch FROM pggit.commits c WHERE c.hash = v_parent;
        END IF;
    END LOOP;

    RETURN QUERY
    WITH changes AS (
        SELECT c.id AS commit_id, v.object_hash, v.major, v.minor, v.patch,
               lag(v.object_hash) OVER (ORDER BY c.id) AS previous_hash
          FROM pggit.object_versions v
          JOIN pggit.commits c ON c.hash = v.commit_hash
          JOIN unnest(v_branches, v_lows, v_highs) AS run(branch_id, low, high)
            ON c.branch_id = run.branch_id AND c.id BETWEEN run.low AND run.high
         WHERE v.id = ANY (v_versions)
    )
    SELECT c.hash, c.committed_at, c.author, c.message,
           CASE WHEN ch.object_hash IS NULL THEN 'removed'
                WHEN ch.previous_hash IS NULL THEN 'added' ELSE 'modified' END,
           CASE WHEN ch.object_hash IS NOT NULL AND ch.previous_hash IS NOT NULL THEN pggit.describe_changes(d.changes) END,
           format('%s.%s.%s', ch.major, ch.minor, ch.patch),
           ch.object_hash
      FROM changes ch JOIN pggit.commits c ON c.id = ch.commit_id
     CROSS JOIN LATERAL (  -- one definition_changes scan for all pairs (see describe_changes)
        SELECT jsonb_agg(to_jsonb(dc)) AS changes
          FROM pggit.definition_changes(
                   (SELECT o.definition FROM pggit.objects o WHERE o.hash = ch.previous_hash),
                   (SELECT o.definition FROM pggit.objects o WHERE o.hash = ch.object_hash)) dc
         WHERE ch.object_hash IS NOT NULL AND ch.previous_hash IS NOT NULL) d
     ORDER BY ch.commit_id DESC;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PGK02',
            MESSAGE = format('no commit on branch %L changed %s', object_log.branch, quote_literal(left(v_key, 200))),
            HINT = 'Object keys are as in a commit''s tree, e.g. table:public.users: SELECT pggit.show(ref)->''tree''.';
    END IF;
END;
$$;
