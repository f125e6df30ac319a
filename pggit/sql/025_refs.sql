-- django-pggit core: refs: tags, the reflog (every move of a branch head), resolving any ref
-- to a commit, and reset.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- A ref names a commit. pggit.resolve(ref) accepts, in this order:
--   HEAD                 the head of the session's current branch (pggit.current_branch());
--   <ref>~N, <ref>~      the N-th first parent of <ref> (~ alone is ~1; ~2~3 adds up);
--   a live branch name   its head;
--   a tag name           its commit;
--   a full hash, or a unique prefix of at least 7 hex digits (an ambiguous prefix is an error
--                        that lists the candidates).
-- Branch and tag names share one namespace: a tag is refused a live branch's name and a new
-- branch a tag's name, so a name never means two commits. Tags are immutable: re-tagging
-- another commit needs force. Neither a tag nor a branch may be called HEAD, and a tag is not
-- a string of hex digits (it would shadow hash prefixes).
--
-- The reflog. Every move of a branch head (create, commit, merge, fast-forward, revert,
-- reset, delete) appends one row to pggit.reflog: the branch, the old and new head, the
-- operation, the role, the author, why (a one-line reason), when, and two counts that make
-- the loss of rows detectable: the DDL events the commit recorded, and how many
-- object_versions rows the branch has after the move (a branch's rows are only ever added or
-- updated, never removed). Each entry's hash covers its fields and the previous entry of the
-- same branch (prev_hash), so a deleted, edited or reordered entry breaks the chain, and the
-- branch's head must equal its last entry's new head: verify() reports all three. The reflog
-- is append-only (the trigger that guards pggit.commits guards it too); only pggit functions
-- write it. On the commit path it costs one index probe and one insert.

CREATE TABLE pggit.tags (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid        uuid NOT NULL DEFAULT pggit.generate_trinity_id()::uuid UNIQUE,
    name        text NOT NULL UNIQUE,
    commit_hash text NOT NULL REFERENCES pggit.commits (hash),
    message     text CHECK (octet_length(message) <= 65536),  -- as commits (validate_commit_input)
    tagger      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE pggit.tags IS
    'Named, immutable pointers to commits (pggit.tag, pggit.delete_tag); names share one '
    'namespace with live branch names.';

CREATE INDEX tags_commit_idx ON pggit.tags (commit_hash);

CREATE TABLE pggit.reflog (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    branch_id   bigint NOT NULL,   -- not a foreign key, as commits.branch_id (020_commits.sql)
    old_hash    text,
    new_hash    text,              -- NULL: the branch was deleted, or has no commit yet
    operation   text NOT NULL CHECK (operation ~ '^[a-z][a-z-]*$'),
    role_name   text NOT NULL,
    author      text NOT NULL,
    reason      text NOT NULL,
    ddl_events  integer,           -- commits: the captured DDL events attached to new_hash
    versions    bigint NOT NULL,   -- the branch's object_versions rows after the move
    moved_at    timestamptz NOT NULL,
    prev_hash   text,              -- entry_hash of the branch's previous entry
    entry_hash  text NOT NULL
);

COMMENT ON TABLE pggit.reflog IS
    'Append-only record of every move of a branch head, hash-chained per branch '
    '(see 025_refs.sql and pggit.verify()).';

-- The one index besides the primary key: a move reads its branch's last entry through it.
-- (No index on entry_hash or new_hash: each costs every commit an index insert, and only
-- verify() reads by them, in one pass over the whole table.)
CREATE INDEX reflog_branch_idx ON pggit.reflog (branch_id, id);

CREATE TRIGGER reflog_append_only BEFORE UPDATE OR DELETE ON pggit.reflog
    FOR EACH ROW EXECUTE FUNCTION pggit.refuse_history_rewrite();

CREATE TRIGGER reflog_no_truncate BEFORE TRUNCATE ON pggit.reflog
    FOR EACH STATEMENT EXECUTE FUNCTION pggit.refuse_history_rewrite();

-- reflog_hash(entry): the hash a reflog row should have: SHA-256 over its fields and the
-- previous entry's hash. Inlined by the planner (no SET clause; every name schema-qualified).
CREATE FUNCTION pggit.reflog_hash(r pggit.reflog) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.concat_ws(E'\n',
        'reflog ' OPERATOR(pg_catalog.||) r.branch_id::pg_catalog.text,
        'prev ' OPERATOR(pg_catalog.||) coalesce(r.prev_hash, '-'),
        'old ' OPERATOR(pg_catalog.||) coalesce(r.old_hash, '-'),
        'new ' OPERATOR(pg_catalog.||) coalesce(r.new_hash, '-'),
        'operation ' OPERATOR(pg_catalog.||) r.operation,
        'role ' OPERATOR(pg_catalog.||) r.role_name,
        'author ' OPERATOR(pg_catalog.||) r.author,
        'ddl-events ' OPERATOR(pg_catalog.||) coalesce(r.ddl_events::pg_catalog.text, '-'),
        'versions ' OPERATOR(pg_catalog.||) r.versions::pg_catalog.text,
        'date ' OPERATOR(pg_catalog.||)
            pg_catalog.to_char(pg_catalog.timezone('UTC', r.moved_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        '', r.reason), 'UTF8')), 'hex')
$$;

-- record_head_move(branch_id, old, new, operation, reason, author, ddl_events, versions_added)
-- Purpose: append the reflog entry of one head move, chained to the branch's last entry.
--   The caller holds the branch row locked (or created it), so entries of one branch are
--   appended one at a time, in id order. versions_added: the object_versions rows the move
--   added to the branch (commits know it); NULL counts the branch's rows instead.
-- Returns: the entry's hash.  Errors: none of its own.  Locks: none beyond the new row.
CREATE FUNCTION pggit.record_head_move(p_branch_id bigint, p_old text, p_new text, p_operation text,
                                       p_reason text, p_author text DEFAULT NULL,
                                       p_ddl_events integer DEFAULT NULL, p_versions_added bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v pggit.reflog;
    v_prev_versions bigint;
BEGIN
    SELECT r.entry_hash, r.versions INTO v.prev_hash, v_prev_versions
      FROM pggit.reflog r WHERE r.branch_id = p_branch_id ORDER BY r.id DESC LIMIT 1;
    IF p_versions_added IS NOT NULL AND v_prev_versions IS NOT NULL THEN
        v.versions := v_prev_versions + p_versions_added;
    ELSE
        SELECT count(*) INTO v.versions FROM pggit.object_versions o WHERE o.branch_id = p_branch_id;
    END IF;
    v.branch_id := p_branch_id;
    v.old_hash := p_old;
    v.new_hash := p_new;
    v.operation := p_operation;
    -- the role acting (as ddl_role(): inside a SECURITY DEFINER function current_user is the owner)
    v.role_name := CASE WHEN current_setting('role') = 'none' THEN session_user::text ELSE current_setting('role') END;
    v.author := coalesce(p_author, pggit.current_author());
    v.reason := left(coalesce(p_reason, ''), 500);
    v.ddl_events := p_ddl_events;
    v.moved_at := clock_timestamp();
    v.entry_hash := pggit.reflog_hash(v);
    INSERT INTO pggit.reflog (branch_id, old_hash, new_hash, operation, role_name, author, reason,
                              ddl_events, versions, moved_at, prev_hash, entry_hash)
    VALUES (v.branch_id, v.old_hash, v.new_hash, v.operation, v.role_name, v.author, v.reason,
            v.ddl_events, v.versions, v.moved_at, v.prev_hash, v.entry_hash);
    RETURN v.entry_hash;
END;
$$;

-- reflog(branch, max_count)
-- Purpose: the moves of a branch's head, newest first: what moved it (operation), from and
--   to which commit, who (role, author), why and when. A deleted branch's reflog stays
--   readable when no live branch has taken its name (as pggit.log).
-- Arguments: branch text; max_count integer (default 100, at least 1).
-- Errors: PGB04 invalid name; PGB01 unknown branch; PGC04 max_count below 1.  Locks: none.
CREATE FUNCTION pggit.reflog(branch text, max_count integer DEFAULT 100)
RETURNS TABLE (id bigint, branch_name text, old_hash text, new_hash text, operation text, role_name text,
               author text, reason text, moved_at timestamptz, entry_hash text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_branch pggit.branches;
BEGIN
    PERFORM pggit.validate_branch_name(reflog.branch);
    PERFORM pggit.validate_max_count(max_count, 'entries');
    SELECT * INTO v_branch FROM pggit.history_branch(reflog.branch);
    IF NOT FOUND THEN
        PERFORM pggit.raise_missing_branch(reflog.branch);
    END IF;
    RETURN QUERY
    SELECT r.id, v_branch.name, r.old_hash, r.new_hash, r.operation, r.role_name, r.author, r.reason,
           r.moved_at, r.entry_hash
      FROM pggit.reflog r WHERE r.branch_id = v_branch.id
     ORDER BY r.id DESC LIMIT max_count;
END;
$$;

-- refuse_ref_collision(name, kind)
-- Purpose: keep refs unambiguous: a new tag may not take a live branch's name, a new branch
--   not a tag's; neither may be HEAD. Serializes concurrent creations of one name (a
--   transaction-scoped advisory lock on the name), so a branch and a tag of one name cannot
--   both be created by racing transactions.
-- Arguments: name text (already validated); kind 'branch' | 'tag' (what is being created).
-- Errors: PGR04.  Locks: an advisory lock on the name until the transaction ends.
CREATE FUNCTION pggit.refuse_ref_collision(p_name text, p_kind text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('pggit ref ' || p_name, 0));
    IF p_name = 'HEAD' THEN
        RAISE EXCEPTION USING ERRCODE = 'PGR04',
            MESSAGE = format('a %s cannot be called HEAD', p_kind),
            HINT = 'HEAD names the current branch''s head in refs; choose another name.';
    END IF;
    IF p_kind = 'tag' AND EXISTS (SELECT 1 FROM pggit.branches b WHERE b.name = p_name AND b.status <> 'DELETED') THEN
        RAISE EXCEPTION USING ERRCODE = 'PGR04',
            MESSAGE = format('tag name %L is the name of a branch', p_name),
            HINT = 'Refs must be unambiguous: choose another tag name (e.g. "v1.2.0" or "release/2026-11").';
    ELSIF p_kind = 'branch' AND EXISTS (SELECT 1 FROM pggit.tags t WHERE t.name = p_name) THEN
        RAISE EXCEPTION USING ERRCODE = 'PGR04',
            MESSAGE = format('branch name %L is the name of a tag', p_name),
            HINT = 'Refs must be unambiguous: choose another branch name, or delete the tag first.';
    END IF;
END;
$$;

-- resolve_ref(ref, branch_errors)
-- Purpose: the full hash of the commit a ref names (see the file header for the forms).
--   With branch_errors, a ref that is a valid name but neither a branch, a tag nor hash-like
--   reports what a missing branch reports (PGB01/PGB05), for callers whose argument was a
--   branch name before it became a ref (create_branch's from_branch, log).
-- Errors: PGC03 unknown, malformed or too short a ref, a branch or HEAD without commits, or
--   fewer than N ancestors for ~N; PGR01 an ambiguous hash prefix, listing the candidates.
-- Locks: none.
CREATE FUNCTION pggit.resolve_ref(p_ref text, p_branch_errors boolean DEFAULT false) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_base   text := p_ref;
    v_steps  bigint := 0;
    v_suffix text;
    v_hash   text;
    v_found  boolean := false;
    v_hashes text[];
    v_branch text;
BEGIN
    IF p_branch_errors AND (p_ref IS NULL OR (p_ref !~ '~' AND pggit.ref_name_problem(p_ref) IS NOT NULL)) THEN
        PERFORM pggit.validate_branch_name(p_ref);
    END IF;
    IF p_ref IS NULL OR p_ref = '' OR octet_length(p_ref) > 1024 OR p_ref ~ '[[:cntrl:][:space:]]' THEN
        RAISE EXCEPTION USING ERRCODE = 'PGC03',
            MESSAGE = format('invalid ref %s', coalesce(quote_literal(left(p_ref, 80)), 'NULL')),
            HINT = 'A ref is a branch, a tag, HEAD, a commit hash or a unique prefix of 7+ hex digits, optionally followed by ~N.';
    END IF;
    -- <ref>~N...: the first-parent steps, added up
    v_suffix := substring(p_ref FROM '((~[0-9]*)+)$');
    IF v_suffix IS NOT NULL THEN
        v_base := left(p_ref, length(p_ref) - length(v_suffix));
        IF v_base = '' OR v_suffix ~ '[0-9]{10}' THEN
            RAISE EXCEPTION USING ERRCODE = 'PGC03',
                MESSAGE = format('invalid ref %L', left(p_ref, 80)),
                HINT = 'Write <ref>~N with N a number of first parents to go back, e.g. main~2 or HEAD~.';
        END IF;
        SELECT sum(CASE WHEN s = '' THEN 1 ELSE s::integer END) INTO v_steps
          FROM unnest((string_to_array(v_suffix, '~'))[2:]) s;
    END IF;

    IF v_base = 'HEAD' THEN
        v_branch := pggit.current_branch();
        SELECT b.head_hash INTO v_hash FROM pggit.branches b WHERE b.name = v_branch AND b.status <> 'DELETED';
        v_found := FOUND;
        IF NOT v_found THEN
            RAISE EXCEPTION USING ERRCODE = 'PGC03',
                MESSAGE = format('HEAD: the current branch %L is not a live branch', v_branch),
                HINT = 'Check out a live branch first: SELECT pggit.checkout(''main'').';
        END IF;
    ELSE
        SELECT b.head_hash INTO v_hash FROM pggit.branches b WHERE b.name = v_base AND b.status <> 'DELETED';
        v_found := FOUND;
        IF v_found THEN
            v_branch := v_base;
        ELSE
            SELECT t.commit_hash INTO v_hash FROM pggit.tags t WHERE t.name = v_base;
            v_found := FOUND;
        END IF;
    END IF;
    IF v_found AND v_hash IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGC03',
            MESSAGE = format('branch %L has no commits yet', v_branch),
            HINT = format('Commit first: SELECT pggit.commit_changes(%L, ''...'').', v_branch);
    END IF;

    IF NOT v_found THEN
        IF v_base !~ '^[0-9a-fA-F]{7,64}$' THEN
            IF p_branch_errors AND v_suffix IS NULL THEN
                PERFORM pggit.validate_branch_name(v_base);
                PERFORM pggit.raise_missing_branch(v_base);
            END IF;
            IF v_base ~ '^[0-9a-fA-F]+$' THEN  -- meant as a hash: too short
                RAISE EXCEPTION USING ERRCODE = 'PGC03',
                    MESSAGE = format('unknown ref %L: no branch, tag or commit has that name (a hash prefix needs 7+ hex digits)',
                                     left(v_base, 80)),
                    HINT = 'List commits with: SELECT * FROM pggit.log(''main'').';
            END IF;
            RAISE EXCEPTION USING ERRCODE = 'PGC03',
                MESSAGE = format('unknown ref %L: no branch, tag or commit has that name', left(v_base, 80)),
                HINT = 'List refs: SELECT name FROM pggit.branches WHERE status <> ''DELETED''; SELECT name FROM pggit.tags(); SELECT * FROM pggit.log(''main'').';
        END IF;
        -- a range scan of the unique index on hash: one or two rows read, whatever the history
        SELECT array_agg(h.hash ORDER BY h.hash) INTO v_hashes FROM (
            SELECT c.hash FROM pggit.commits c
             WHERE c.hash >= lower(v_base) AND c.hash < lower(v_base) || 'g' ORDER BY c.hash LIMIT 11) h;
        IF v_hashes IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PGC03', MESSAGE = format('commit %s does not exist', v_base),
                HINT = 'List commits with: SELECT * FROM pggit.log(''main'').';
        ELSIF cardinality(v_hashes) > 1 THEN
            RAISE EXCEPTION USING ERRCODE = 'PGR01',
                MESSAGE = format('ref %s is ambiguous: it is a prefix of %s', v_base,
                                 CASE WHEN cardinality(v_hashes) > 10
                                      THEN array_to_string(v_hashes[1:10], ', ') || ' and more'
                                      ELSE array_to_string(v_hashes, ', ') END),
                HINT = 'Give more digits of the hash.';
        END IF;
        v_hash := v_hashes[1];
    END IF;

    IF v_steps > 0 THEN
        WITH RECURSIVE walk(n, hash) AS (
            SELECT 0, v_hash
            UNION ALL
            SELECT w.n + 1, c.parent_hash FROM walk w JOIN pggit.commits c ON c.hash = w.hash
             WHERE w.n < v_steps AND c.parent_hash IS NOT NULL
        )
        SELECT w.hash INTO v_hash FROM walk w WHERE w.n = v_steps;
        IF v_hash IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PGC03',
                MESSAGE = format('ref %L does not exist: %s has fewer than %s first parents', left(p_ref, 80),
                                 left(v_base, 80), v_steps),
                HINT = 'List commits with: SELECT * FROM pggit.log(''main'').';
        END IF;
    END IF;
    RETURN v_hash;
END;
$$;

-- resolve(ref)
-- Purpose: the full hash of the commit a ref names: a branch, a tag, HEAD, a full hash or a
--   unique prefix of 7+ hex digits, optionally followed by ~N (see the file header).
-- Errors: PGC03 unknown or malformed; PGR01 ambiguous prefix (the message lists candidates).
-- Locks: none.
-- Inlined by the planner (no SET clause; the one name in it is schema-qualified): a PL/pgSQL
-- wrapper cost a second function call, GUC save and restore included, on every resolve.
CREATE FUNCTION pggit.resolve(ref text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT pggit.resolve_ref(ref)
$$;

-- validate_tag_name(name)
-- Purpose: tag names follow the branch-name rules (validate_branch_name: "/" and "." are
--   allowed, e.g. "v1.2.0", "release/2026-11") and are not all hex digits (that would read as
--   a hash prefix).
-- Errors: PGR05.  Locks: none.
CREATE FUNCTION pggit.validate_tag_name(p_name text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_problem text := pggit.ref_name_problem(p_name);
BEGIN
    IF v_problem IS NULL AND p_name ~ '^[0-9a-fA-F]+$' THEN
        v_problem := 'is all hex digits, which reads as a commit hash';
    END IF;
    IF v_problem IS NOT NULL THEN
        PERFORM pggit.raise_invalid_ref_name('tag', p_name, v_problem);
    END IF;
END;
$$;

-- tag(name, commit, message, force)
-- Purpose: name a commit. Tags are immutable: tagging another commit with an existing name
--   is refused unless force (which moves it); tagging the same commit again is a no-op.
-- Arguments: name text; commit text: any ref (default: main's head); message text (default
--   NULL); force boolean (default false).
-- Returns: the tagged commit's full hash.
-- Errors: PGR05 invalid name; PGR04 the name is a live branch's (or HEAD); PGR03 the tag
--   exists on another commit; PGC03/PGR01 from resolve; PGC01 message too long.
-- Locks: the tag's row; an advisory lock on the name (refuse_ref_collision).
CREATE FUNCTION pggit.tag(name text, "commit" text DEFAULT 'main', message text DEFAULT NULL,
                          force boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_variable
DECLARE
    v_hash   text;
    v_tagger text := pggit.current_author();
    v_old    pggit.tags;
BEGIN
    PERFORM pggit.validate_tag_name(tag.name);
    PERFORM pggit.validate_commit_input(coalesce(tag.message, ''), v_tagger);
    PERFORM pggit.refuse_ref_collision(tag.name, 'tag');
    v_hash := pggit.resolve_ref(coalesce(tag."commit", 'main'));
    SELECT * INTO v_old FROM pggit.tags t WHERE t.name = tag.name FOR UPDATE;
    IF v_old.id IS NOT NULL THEN
        IF v_old.commit_hash = v_hash THEN
            RETURN v_hash;
        END IF;
        IF NOT coalesce(tag.force, false) THEN
            RAISE EXCEPTION USING ERRCODE = 'PGR03',
                MESSAGE = format('tag %L already exists (on commit %s)', tag.name, left(v_old.commit_hash, 12)),
                HINT = 'Tags are immutable: choose another name, or pass force => true to move it.';
        END IF;
        UPDATE pggit.tags t SET commit_hash = v_hash, message = tag.message, tagger = v_tagger, created_at = now()
         WHERE t.id = v_old.id;
        RETURN v_hash;
    END IF;
    INSERT INTO pggit.tags (name, commit_hash, message, tagger) VALUES (tag.name, v_hash, tag.message, v_tagger);
    RETURN v_hash;
END;
$$;

-- tags()
-- Purpose: every tag, by name, with its commit and the commit's first message line.
-- Errors: none.  Locks: none.
CREATE FUNCTION pggit.tags()
RETURNS TABLE (name text, commit_hash text, message text, tagger text, created_at timestamptz,
               commit_summary text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT t.name, t.commit_hash, t.message, t.tagger, t.created_at, split_part(c.message, E'\n', 1)
      FROM pggit.tags t JOIN pggit.commits c ON c.hash = t.commit_hash
     ORDER BY t.name
$$;

-- delete_tag(name)
-- Purpose: remove a tag (the commit stays).
-- Returns: the hash of the commit it named.
-- Errors: PGR05 invalid name; PGR02 no such tag.  Locks: the tag's row.
CREATE FUNCTION pggit.delete_tag(name text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_variable
DECLARE
    v_hash text;
BEGIN
    PERFORM pggit.validate_tag_name(delete_tag.name);
    DELETE FROM pggit.tags t WHERE t.name = delete_tag.name RETURNING t.commit_hash INTO v_hash;
    IF v_hash IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGR02',
            MESSAGE = format('tag %L does not exist', delete_tag.name),
            HINT = 'List tags with: SELECT * FROM pggit.tags().';
    END IF;
    RETURN v_hash;
END;
$$;

-- reset(branch, to_ref, mode, force)
-- Purpose: move a branch's head to any commit. History stays append-only: the commits after
--   the new head remain readable by hash and in pggit.reflog(branch).
--   mode 'soft': the head moves, the workspace stays: its differences from the new head are
--     uncommitted changes (pggit.status shows them; the next commit snapshots the whole
--     workspace).
--   mode 'hard': the head moves and the workspace is brought to the new head's schema,
--     discarding uncommitted changes: by running the DDL between the two trees when the
--     workspace is clean (DDL capture on, nothing pending), else by rebuilding it from the
--     new head's tree (the discarded work's captured events stay pending: the next commit
--     reads the whole workspace); the branch's data branches lose their delta (the rows
--     written on the branch), and its object versions are reconciled with the new head's
--     tree. main's
--     workspace is the tracked schemas themselves: a hard reset of main refuses uncommitted
--     changes and never drops a schema.
-- Arguments: branch text; to_ref text (any ref, see resolve); mode text 'soft' (default) or
--   'hard'; force boolean (default false): needed to reset main.
-- Returns: the new head's hash.
-- Errors: PGB04/PGB01/PGB05 branch invalid, missing or deleted; PGB03 main without force;
--   PGC04 unknown mode; PGC03/PGR01 from resolve; PGM03 hard reset of main with uncommitted
--   changes; a failing statement's own SQLSTATE (nothing is applied).
-- Locks: the branch row FOR UPDATE.
CREATE FUNCTION pggit.reset(branch text, to_ref text, mode text DEFAULT 'soft', force boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_variable
DECLARE
    v_mode    text := lower(btrim(coalesce(reset.mode, '')));
    v_branch  pggit.branches;
    v_target  text;
    v_data    record;
    v_pending bigint := 0;
    v_clean   boolean;
    v_reason  text;
BEGIN
    IF v_mode NOT IN ('soft', 'hard') THEN
        RAISE EXCEPTION USING ERRCODE = 'PGC04',
            MESSAGE = format('unknown reset mode %s', coalesce(quote_literal(left(reset.mode, 80)), 'NULL')),
            HINT = 'mode is ''soft'' (move the head only) or ''hard'' (also rebuild the workspace).';
    END IF;
    v_branch := pggit.find_branch(reset.branch, true);
    IF v_branch.name = 'main' AND NOT coalesce(reset.force, false) THEN
        RAISE EXCEPTION USING ERRCODE = 'PGB03',
            MESSAGE = 'branch ''main'' is protected: reset refused',
            HINT = 'Pass force => true to reset main (the commits after the new head stay in the reflog).';
    END IF;
    v_target := pggit.resolve_ref(reset.to_ref);
    v_reason := format('reset --%s to %s', v_mode, left(reset.to_ref, 200));

    IF v_mode = 'soft' THEN
        -- the workspace no longer matches the head: the next commit reads it whole
        INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, statement, role_name)
        VALUES (v_branch.id, 'PGGIT RESET', 'branch', v_reason, pggit.ddl_role());
    ELSE
        FOR v_data IN SELECT * FROM pggit.data_branches d WHERE d.branch_id = v_branch.id AND d.status = 'ACTIVE' LOOP
            EXECUTE format('DELETE FROM %s WHERE _pggit_data = %s', v_data.delta_table, v_data.id);
        END LOOP;
        SELECT count(*) INTO v_pending FROM pggit.ddl_events e WHERE e.branch_id = v_branch.id AND e.commit_id IS NULL;
        v_clean := v_pending = 0 AND pggit.ddl_capture_enabled();
        IF v_branch.name = 'main' THEN
            IF NOT v_clean THEN
                PERFORM pggit.refuse_uncommitted(v_branch);
            END IF;
            PERFORM pggit.apply_tree(v_branch.id, pggit.commit_tree(v_branch.head_hash), pggit.commit_tree(v_target),
                                     '[]', false);
        ELSIF v_clean THEN
            PERFORM pggit.apply_tree(v_branch.id, pggit.commit_tree(v_branch.head_hash), pggit.commit_tree(v_target),
                                     '[]', false);
        ELSE
            PERFORM pggit.drop_workspace(v_branch.id);
            PERFORM pggit.create_workspace(v_branch.id, v_target);
        END IF;
        -- The discarded work's captured events stay (nothing prunes ddl_events, 040): they
        -- are attached to the branch's next commit, which then reads the whole workspace.
        IF v_pending > 0 THEN
            v_reason := v_reason || format(' (discarded the DDL of %s uncommitted event(s))', v_pending);
        END IF;
        PERFORM pggit.record_versions(v_branch.id, v_target, true);
    END IF;

    UPDATE pggit.branches b SET head_hash = v_target WHERE b.id = v_branch.id;
    PERFORM pggit.record_head_move(v_branch.id, v_branch.head_hash, v_target, 'reset', v_reason);
    RETURN v_target;
END;
$$;
