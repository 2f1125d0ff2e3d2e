/// The run store's tables and server-side functions, as versioned migrations.
///
/// The hot operations (enqueue, claim, finish) are PL/pgSQL functions so that each is one round
/// trip: a worker's batch of outcomes is checked, recorded and its chains' next steps queued or
/// claimed in a single statement. Times are seconds since 1970 (`double precision`), as the callers
/// pass them, so that a test clock works the same on every store.
///
/// Locks, and why they cannot deadlock: `finish` locks a step's row before its run's (since v7);
/// `cancel` locks a run and then updates only its queued steps, which no finish holds (a running
/// step's committed row does not match, so `cancel` never waits for one); `claim` locks a step and its
/// run with `SKIP LOCKED` (it never waits for a row), and serialises runs of one concurrency group
/// with a transaction-level advisory lock.
enum PostgresRunSchema {
    static let migrations: [(name: String, statements: [String])] = [
        ("v1", v1),
        // Logs as bytes: PostgreSQL's text cannot hold the NUL a command may print.
        ("v2", ["ALTER TABLE logs ALTER COLUMN text TYPE BYTEA USING convert_to(text, 'UTF8')"]),
        // Runs numbered within a scope (a repository); log chunks at byte offsets of their run's log.
        ("v3 scopes and log offsets", v3),
        // Claims that read the queue's head in index order and take the due steps of runs without a
        // concurrency group in one statement; successful last steps finished together; finishes that
        // lock steps before runs without separate locks. Their functions are v8's now (each function is
        // written once, in its latest form: PostgresRunSchema+Functions.swift).
        ("v5 claims taken together", []),
        ("v6 finishes taken together", []),
        // One index fewer on steps: a worker's held steps are found through `steps_running`.
        ("v7 leaner finishes", ["DROP INDEX steps_worker"]),
        // Runs stay stored `running` until they end (queued until `started_at` is set), so that a claim
        // changes no indexed column of its run; every hot function in its latest form.
        ("v8 runs started in place", v8),
    ]

    static let v3: [String] = [
        "ALTER TABLE runs ADD COLUMN scope TEXT, ADD COLUMN number BIGINT",
        "CREATE UNIQUE INDEX runs_scope_number ON runs (scope, number) WHERE scope IS NOT NULL",
        "ALTER TABLE logs ADD COLUMN start BIGINT NOT NULL DEFAULT 0",
        """
        UPDATE logs SET start = o.start
        FROM (SELECT id, sum(octet_length(text)) OVER (PARTITION BY run_id ORDER BY id) - octet_length(text) AS start FROM logs) o
        WHERE o.id = logs.id
        """,
        "DROP INDEX logs_run",
        "CREATE INDEX logs_run_start ON logs (run_id, start)",
        // Appends in order, each chunk at the end of its run's log. One append per run at a time
        // (a transaction-level advisory lock on the run, in the two-key space so that it never meets
        // the concurrency groups' one-key locks); each statement sees the others' committed chunks.
        """
        CREATE FUNCTION forgeworks_append_logs(p_runs BIGINT[], p_steps BIGINT[], p_texts BYTEA[], p_now DOUBLE PRECISION)
        RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            v_run BIGINT;
        BEGIN
            FOR v_run IN SELECT DISTINCT r FROM unnest(p_runs) AS r ORDER BY r LOOP
                PERFORM pg_advisory_xact_lock(1718579027, (v_run % 2147483647)::integer);
            END LOOP;
            INSERT INTO logs (run_id, step, text, at, start)
            SELECT e.run_id, e.step, e.text, p_now,
                   coalesce((SELECT l.start + octet_length(l.text) FROM logs l WHERE l.run_id = e.run_id ORDER BY l.start DESC, l.id DESC LIMIT 1), 0)
                   + coalesce(sum(octet_length(e.text)) OVER (PARTITION BY e.run_id ORDER BY e.position
                                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
            FROM unnest(p_runs, p_steps, p_texts) WITH ORDINALITY AS e(run_id, step, text, position)
            ORDER BY e.position;
        END
        $$
        """,
        // (v1 created an enqueue without scopes on the databases it made then.)
        "DROP FUNCTION IF EXISTS forgeworks_enqueue(DOUBLE PRECISION, BOOLEAN, TEXT, TEXT, TEXT, BYTEA, JSONB)",
        v3Enqueue,
    ]

    /// As v1's, with each run's scope and its number in it (o_number); numbers of one scope are
    /// taken one enqueue at a time (an advisory lock on the scope).
    static let v3Enqueue = """
        CREATE FUNCTION forgeworks_enqueue(p_now DOUBLE PRECISION, p_has_event BOOLEAN, p_provider TEXT, p_delivery TEXT,
                                           p_kind TEXT, p_body BYTEA, p_runs JSONB)
        RETURNS TABLE (o_event BIGINT, o_run BIGINT, o_superseded BIGINT, o_duplicate BOOLEAN, o_number BIGINT)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_event BIGINT;
            v_run RECORD;
            v_old BIGINT;
            v_id BIGINT;
            v_number BIGINT;
        BEGIN
            IF p_has_event THEN
                INSERT INTO events (provider, delivery_id, kind, body, received_at) VALUES (p_provider, p_delivery, p_kind, p_body, p_now)
                ON CONFLICT (provider, delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING
                RETURNING id INTO v_event;
                IF v_event IS NULL THEN
                    o_event := NULL; o_run := NULL; o_superseded := NULL; o_duplicate := true; o_number := NULL;
                    RETURN NEXT;
                    RETURN;
                END IF;
                o_event := v_event; o_run := NULL; o_superseded := NULL; o_duplicate := false; o_number := NULL;
                RETURN NEXT;
            END IF;
            FOR v_run IN SELECT * FROM jsonb_to_recordset(p_runs) AS x(hash TEXT, name TEXT, body TEXT, source TEXT, event TEXT,
                                                                       "group" TEXT, trigger TEXT, path TEXT, action TEXT, task TEXT,
                                                                       parent TEXT, anchor TEXT, scope TEXT)
            LOOP
                INSERT INTO configurations (hash, name, body) VALUES (v_run.hash, v_run.name, v_run.body) ON CONFLICT (hash) DO NOTHING;
                IF v_run."group" IS NOT NULL THEN
                    FOR v_old IN SELECT id FROM runs WHERE concurrency_group = v_run."group" AND status = 'queued' ORDER BY id FOR UPDATE LOOP
                        PERFORM forgeworks_end_run(v_old, 'superseded', 'superseded by a newer run of group ''' || v_run."group" || '''', p_now);
                        o_event := NULL; o_run := NULL; o_superseded := v_old; o_duplicate := false; o_number := NULL;
                        RETURN NEXT;
                    END LOOP;
                END IF;
                v_number := NULL;
                IF v_run.scope IS NOT NULL THEN
                    PERFORM pg_advisory_xact_lock(1718579028, hashtext(v_run.scope));
                    SELECT coalesce(max(number), 0) + 1 INTO v_number FROM runs WHERE scope = v_run.scope;
                END IF;
                INSERT INTO runs (configuration_name, configuration_hash, event_id, source, event, status, concurrency_group, trigger,
                                  step_count, created_at, scope, number)
                VALUES (v_run.name, v_run.hash, v_event, v_run.source, v_run.event, 'queued', v_run."group", v_run.trigger, 1, p_now,
                        v_run.scope, v_number)
                RETURNING id INTO v_id;
                INSERT INTO steps (run_id, sequence, path, action_name, task, state, attempts, parent, anchor, due_at)
                VALUES (v_id, 0, v_run.path, v_run.action, v_run.task, 'queued', 0, v_run.parent, v_run.anchor, p_now);
                o_event := NULL; o_run := v_id; o_superseded := NULL; o_duplicate := false; o_number := v_number;
                RETURN NEXT;
            END LOOP;
            PERFORM forgeworks_wake();
        END
        $$
        """

    /// The tables, and the functions no later migration replaced. (v1 also created `forgeworks_enqueue`,
    /// `forgeworks_take`, `forgeworks_claim` and `forgeworks_finish`; databases made since get them from
    /// v3 and v8, so that each function is written once.)
    static let v1: [String] = [
        """
        CREATE TABLE configurations (
            hash TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            body TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE events (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            provider TEXT NOT NULL,
            delivery_id TEXT,
            kind TEXT NOT NULL,
            body BYTEA NOT NULL,
            received_at DOUBLE PRECISION NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX events_delivery ON events (provider, delivery_id) WHERE delivery_id IS NOT NULL",
        """
        CREATE TABLE runs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            configuration_name TEXT NOT NULL,
            configuration_hash TEXT NOT NULL REFERENCES configurations (hash),
            event_id BIGINT REFERENCES events (id),
            source TEXT NOT NULL,
            event TEXT,
            status TEXT NOT NULL,
            concurrency_group TEXT,
            trigger TEXT NOT NULL,
            reason TEXT,
            any_falsy BOOLEAN NOT NULL DEFAULT false,
            step_count INTEGER NOT NULL DEFAULT 0,
            created_at DOUBLE PRECISION NOT NULL,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION
        )
        """,
        "CREATE INDEX runs_configuration ON runs (configuration_name, id)",
        "CREATE INDEX runs_status ON runs (status, id)",
        """
        CREATE INDEX runs_active_group ON runs (concurrency_group, status)
            WHERE concurrency_group IS NOT NULL AND status IN ('queued', 'running')
        """,
        """
        CREATE TABLE steps (
            run_id BIGINT NOT NULL REFERENCES runs (id),
            sequence INTEGER NOT NULL,
            path TEXT NOT NULL,
            action_name TEXT NOT NULL,
            task TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            parent TEXT NOT NULL,
            anchor TEXT,
            result TEXT,
            error TEXT,
            worker TEXT,
            lease_until DOUBLE PRECISION,
            due_at DOUBLE PRECISION NOT NULL,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            PRIMARY KEY (run_id, sequence)
        )
        """,
        "CREATE INDEX steps_queued ON steps (due_at) WHERE state = 'queued'",
        "CREATE INDEX steps_running ON steps (lease_until) WHERE state = 'running'",
        "CREATE INDEX steps_worker ON steps (worker) WHERE state = 'running'",
        """
        CREATE TABLE logs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id BIGINT NOT NULL,
            step INTEGER NOT NULL,
            text TEXT NOT NULL,
            at DOUBLE PRECISION NOT NULL
        )
        """,
        "CREATE INDEX logs_run ON logs (run_id, id)",
        """
        CREATE TABLE stored_configurations (
            name TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        )
        """,
        // Wakes workers in every process using this schema (delivered when the transaction commits).
        """
        CREATE FUNCTION forgeworks_wake() RETURNS void LANGUAGE sql AS $$
            SELECT pg_notify('forgeworks_runs_' || current_schema(), '')
        $$
        """,
        """
        CREATE FUNCTION forgeworks_end_run(p_run BIGINT, p_status TEXT, p_reason TEXT, p_now DOUBLE PRECISION)
        RETURNS void LANGUAGE sql AS $$
            UPDATE runs SET status = p_status, reason = coalesce(p_reason, reason), finished_at = p_now WHERE id = p_run;
            UPDATE steps SET state = 'cancelled', finished_at = p_now, worker = NULL WHERE run_id = p_run AND state = 'queued';
        $$
        """,
        """
        CREATE FUNCTION forgeworks_cancel(p_run BIGINT, p_reason TEXT, p_now DOUBLE PRECISION) RETURNS TEXT
        LANGUAGE plpgsql AS $$
        DECLARE
            v_status TEXT;
        BEGIN
            SELECT status INTO v_status FROM runs WHERE id = p_run FOR UPDATE;
            IF NOT FOUND THEN RETURN 'missing'; END IF;
            IF v_status NOT IN ('queued', 'running') THEN RETURN 'ended'; END IF;
            PERFORM forgeworks_end_run(p_run, 'cancelled', p_reason, p_now);
            PERFORM forgeworks_wake();
            RETURN 'cancelled';
        END
        $$
        """,
    ]
}
