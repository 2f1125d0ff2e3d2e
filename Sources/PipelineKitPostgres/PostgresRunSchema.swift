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
        // Runs stay stored `queued` until they end (started once `started_at` is set), so that a claim
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
        "DROP FUNCTION forgeworks_enqueue(DOUBLE PRECISION, BOOLEAN, TEXT, TEXT, TEXT, BYTEA, JSONB)",
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
        // p_runs: [{hash, name, body, source, event, group, trigger, path, action, task, parent, anchor}]
        // Returns a row per stored run (o_run), per superseded run (o_superseded), and one with the
        // event's key (o_event) or o_duplicate.
        """
        CREATE FUNCTION forgeworks_enqueue(p_now DOUBLE PRECISION, p_has_event BOOLEAN, p_provider TEXT, p_delivery TEXT,
                                           p_kind TEXT, p_body BYTEA, p_runs JSONB)
        RETURNS TABLE (o_event BIGINT, o_run BIGINT, o_superseded BIGINT, o_duplicate BOOLEAN)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_event BIGINT;
            v_run RECORD;
            v_old BIGINT;
            v_id BIGINT;
        BEGIN
            IF p_has_event THEN
                INSERT INTO events (provider, delivery_id, kind, body, received_at) VALUES (p_provider, p_delivery, p_kind, p_body, p_now)
                ON CONFLICT (provider, delivery_id) WHERE delivery_id IS NOT NULL DO NOTHING
                RETURNING id INTO v_event;
                IF v_event IS NULL THEN
                    o_event := NULL; o_run := NULL; o_superseded := NULL; o_duplicate := true;
                    RETURN NEXT;
                    RETURN;
                END IF;
                o_event := v_event; o_run := NULL; o_superseded := NULL; o_duplicate := false;
                RETURN NEXT;
            END IF;
            FOR v_run IN SELECT * FROM jsonb_to_recordset(p_runs) AS x(hash TEXT, name TEXT, body TEXT, source TEXT, event TEXT,
                                                                       "group" TEXT, trigger TEXT, path TEXT, action TEXT, task TEXT,
                                                                       parent TEXT, anchor TEXT)
            LOOP
                INSERT INTO configurations (hash, name, body) VALUES (v_run.hash, v_run.name, v_run.body) ON CONFLICT (hash) DO NOTHING;
                IF v_run."group" IS NOT NULL THEN
                    FOR v_old IN SELECT id FROM runs WHERE concurrency_group = v_run."group" AND status = 'queued' ORDER BY id FOR UPDATE LOOP
                        PERFORM forgeworks_end_run(v_old, 'superseded', 'superseded by a newer run of group ''' || v_run."group" || '''', p_now);
                        o_event := NULL; o_run := NULL; o_superseded := v_old; o_duplicate := false;
                        RETURN NEXT;
                    END LOOP;
                END IF;
                INSERT INTO runs (configuration_name, configuration_hash, event_id, source, event, status, concurrency_group, trigger,
                                  step_count, created_at)
                VALUES (v_run.name, v_run.hash, v_event, v_run.source, v_run.event, 'queued', v_run."group", v_run.trigger, 1, p_now)
                RETURNING id INTO v_id;
                INSERT INTO steps (run_id, sequence, path, action_name, task, state, attempts, parent, anchor, due_at)
                VALUES (v_id, 0, v_run.path, v_run.action, v_run.task, 'queued', 0, v_run.parent, v_run.anchor, p_now);
                o_event := NULL; o_run := v_id; o_superseded := NULL; o_duplicate := false;
                RETURN NEXT;
            END LOOP;
            PERFORM forgeworks_wake();
        END
        $$
        """,
        // Takes one candidate step for a worker unless another run of its concurrency group is
        // running; returns the claimed step's row, or nothing.
        """
        CREATE FUNCTION forgeworks_take(p_worker TEXT, p_now DOUBLE PRECISION, p_lease_until DOUBLE PRECISION, p_run BIGINT,
                                        p_sequence INTEGER, p_status TEXT, p_group TEXT)
        RETURNS TABLE (o_run BIGINT, o_sequence INTEGER, o_path TEXT, o_attempt INTEGER, o_failures INTEGER, o_parent TEXT,
                       o_anchor TEXT)
        LANGUAGE plpgsql AS $$
        BEGIN
            IF p_group IS NOT NULL THEN
                PERFORM pg_advisory_xact_lock(hashtext('forgeworks-group:' || current_schema() || ':' || p_group));
                IF EXISTS (SELECT 1 FROM runs WHERE concurrency_group = p_group AND status = 'running' AND id <> p_run) THEN
                    RETURN;
                END IF;
            END IF;
            RETURN QUERY
                UPDATE steps SET state = 'running', worker = p_worker, lease_until = p_lease_until, attempts = attempts + 1,
                                 started_at = coalesce(started_at, p_now)
                WHERE run_id = p_run AND sequence = p_sequence
                RETURNING run_id, sequence, path, attempts, failures, parent, anchor;
            IF p_status = 'queued' THEN
                UPDATE runs SET status = 'running', started_at = p_now WHERE id = p_run;
            END IF;
        END
        $$
        """,
        // Claims up to p_limit steps: first those whose lease ran out (not this worker's own), then
        // due queued ones, each in its index's order. The last row has o_run NULL and o_next_due,
        // when the earliest queued step not yet due becomes due.
        """
        CREATE FUNCTION forgeworks_claim(p_worker TEXT, p_now DOUBLE PRECISION, p_lease_until DOUBLE PRECISION, p_limit BIGINT)
        RETURNS TABLE (o_run BIGINT, o_sequence INTEGER, o_path TEXT, o_attempt INTEGER, o_failures INTEGER, o_parent TEXT,
                       o_anchor TEXT, o_next_due DOUBLE PRECISION)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_claimed BIGINT := 0;
            v_candidate RECORD;
            v_taken RECORD;
        BEGIN
            o_next_due := NULL;
            FOR v_candidate IN
                SELECT s.run_id, s.sequence, r.status, r.concurrency_group
                FROM steps s JOIN runs r ON r.id = s.run_id
                WHERE s.state = 'running' AND s.lease_until <= p_now AND s.worker <> p_worker AND r.status IN ('queued', 'running')
                ORDER BY s.lease_until
                LIMIT p_limit * 4 + 16
                FOR UPDATE OF s, r SKIP LOCKED
            LOOP
                EXIT WHEN v_claimed >= p_limit;
                FOR v_taken IN SELECT * FROM forgeworks_take(p_worker, p_now, p_lease_until, v_candidate.run_id, v_candidate.sequence,
                                                             v_candidate.status, v_candidate.concurrency_group) LOOP
                    o_run := v_taken.o_run; o_sequence := v_taken.o_sequence; o_path := v_taken.o_path; o_attempt := v_taken.o_attempt;
                    o_failures := v_taken.o_failures; o_parent := v_taken.o_parent; o_anchor := v_taken.o_anchor;
                    v_claimed := v_claimed + 1;
                    RETURN NEXT;
                END LOOP;
            END LOOP;
            IF v_claimed < p_limit THEN
                FOR v_candidate IN
                    SELECT s.run_id, s.sequence, r.status, r.concurrency_group
                    FROM steps s JOIN runs r ON r.id = s.run_id
                    WHERE s.state = 'queued' AND s.due_at <= p_now AND r.status IN ('queued', 'running')
                    ORDER BY s.due_at
                    LIMIT (p_limit - v_claimed) * 4 + 16
                    FOR UPDATE OF s, r SKIP LOCKED
                LOOP
                    EXIT WHEN v_claimed >= p_limit;
                    FOR v_taken IN SELECT * FROM forgeworks_take(p_worker, p_now, p_lease_until, v_candidate.run_id, v_candidate.sequence,
                                                                 v_candidate.status, v_candidate.concurrency_group) LOOP
                        o_run := v_taken.o_run; o_sequence := v_taken.o_sequence; o_path := v_taken.o_path; o_attempt := v_taken.o_attempt;
                        o_failures := v_taken.o_failures; o_parent := v_taken.o_parent; o_anchor := v_taken.o_anchor;
                        v_claimed := v_claimed + 1;
                        RETURN NEXT;
                    END LOOP;
                END LOOP;
            END IF;
            o_run := NULL; o_sequence := NULL; o_path := NULL; o_attempt := NULL; o_failures := NULL; o_parent := NULL; o_anchor := NULL;
            SELECT min(due_at) INTO o_next_due FROM steps WHERE state = 'queued' AND due_at > p_now;
            RETURN NEXT;
        END
        $$
        """,
        // p_outcomes: [{run, sequence, attempt, kind: succeeded|threw, result, falsy, claim_next, next_path, next_action,
        //               next_task, next_parent, next_anchor, error, retry_at}]
        // Returns a row per outcome: o_outcome 'refused', 'recorded', 'claimed' (o_next the claimed
        // step's sequence) or 'finished' (o_status the run's final status).
        """
        CREATE FUNCTION forgeworks_finish(p_worker TEXT, p_now DOUBLE PRECISION, p_lease_until DOUBLE PRECISION, p_outcomes JSONB)
        RETURNS TABLE (o_run BIGINT, o_sequence INTEGER, o_outcome TEXT, o_next INTEGER, o_status TEXT)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_outcome RECORD;
            v_run RECORD;
            v_step RECORD;
            v_falsy BOOLEAN;
            v_wake BOOLEAN := false;
        BEGIN
            FOR v_outcome IN
                SELECT * FROM jsonb_to_recordset(p_outcomes) AS x(run BIGINT, sequence INTEGER, attempt INTEGER, kind TEXT, result TEXT,
                                                                  falsy BOOLEAN, claim_next BOOLEAN, next_path TEXT, next_action TEXT,
                                                                  next_task TEXT, next_parent TEXT, next_anchor TEXT, error TEXT,
                                                                  retry_at DOUBLE PRECISION)
                ORDER BY run, sequence
            LOOP
                o_run := v_outcome.run; o_sequence := v_outcome.sequence; o_next := NULL; o_status := NULL;
                SELECT status, any_falsy, step_count, concurrency_group INTO v_run FROM runs WHERE id = v_outcome.run FOR UPDATE;
                IF NOT FOUND THEN
                    o_outcome := 'refused'; RETURN NEXT; CONTINUE;
                END IF;
                SELECT state, attempts, worker INTO v_step FROM steps
                WHERE run_id = v_outcome.run AND sequence = v_outcome.sequence FOR UPDATE;
                IF NOT FOUND OR v_step.state <> 'running' OR v_step.attempts <> v_outcome.attempt
                   OR v_step.worker IS DISTINCT FROM p_worker THEN
                    o_outcome := 'refused'; RETURN NEXT; CONTINUE;
                END IF;
                IF v_run.status <> 'running' THEN
                    -- The run was cancelled while the step ran.
                    UPDATE steps SET state = 'cancelled', worker = NULL, finished_at = p_now
                    WHERE run_id = v_outcome.run AND sequence = v_outcome.sequence;
                    o_outcome := 'refused'; RETURN NEXT; CONTINUE;
                END IF;
                IF v_outcome.kind = 'succeeded' THEN
                    UPDATE steps SET state = 'succeeded', result = v_outcome.result, worker = NULL, lease_until = NULL, finished_at = p_now
                    WHERE run_id = v_outcome.run AND sequence = v_outcome.sequence;
                    v_falsy := v_run.any_falsy OR coalesce(v_outcome.falsy, false);
                    IF v_outcome.next_path IS NOT NULL THEN
                        UPDATE runs SET step_count = step_count + 1, any_falsy = v_falsy WHERE id = v_outcome.run;
                        INSERT INTO steps (run_id, sequence, path, action_name, task, state, attempts, parent, anchor, worker,
                                           lease_until, due_at, started_at)
                        VALUES (v_outcome.run, v_run.step_count, v_outcome.next_path, v_outcome.next_action, v_outcome.next_task,
                                CASE WHEN v_outcome.claim_next THEN 'running' ELSE 'queued' END,
                                CASE WHEN v_outcome.claim_next THEN 1 ELSE 0 END,
                                v_outcome.next_parent, v_outcome.next_anchor,
                                CASE WHEN v_outcome.claim_next THEN p_worker END,
                                CASE WHEN v_outcome.claim_next THEN p_lease_until END,
                                p_now,
                                CASE WHEN v_outcome.claim_next THEN p_now END);
                        IF v_outcome.claim_next THEN
                            o_outcome := 'claimed'; o_next := v_run.step_count;
                        ELSE
                            o_outcome := 'recorded'; v_wake := true;
                        END IF;
                    ELSE
                        o_status := CASE WHEN v_falsy THEN 'failed' ELSE 'succeeded' END;
                        UPDATE runs SET status = o_status, any_falsy = v_falsy, finished_at = p_now WHERE id = v_outcome.run;
                        o_outcome := 'finished';
                        v_wake := v_wake OR v_run.concurrency_group IS NOT NULL;
                    END IF;
                ELSIF v_outcome.retry_at IS NOT NULL THEN
                    UPDATE steps SET state = 'queued', failures = failures + 1, error = v_outcome.error, worker = NULL, lease_until = NULL,
                                     due_at = v_outcome.retry_at
                    WHERE run_id = v_outcome.run AND sequence = v_outcome.sequence;
                    o_outcome := 'recorded'; v_wake := true;
                ELSE
                    UPDATE steps SET state = 'errored', failures = failures + 1, error = v_outcome.error, worker = NULL, lease_until = NULL,
                                     finished_at = p_now
                    WHERE run_id = v_outcome.run AND sequence = v_outcome.sequence;
                    PERFORM forgeworks_end_run(v_outcome.run, 'errored', v_outcome.error, p_now);
                    o_outcome := 'finished'; o_status := 'errored';
                    v_wake := v_wake OR v_run.concurrency_group IS NOT NULL;
                END IF;
                RETURN NEXT;
            END LOOP;
            IF v_wake THEN PERFORM forgeworks_wake(); END IF;
        END
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
