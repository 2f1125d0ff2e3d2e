import Foundation

/// The run store's server-side functions in their current form, each written once, and migration v8
/// that installs them. (Earlier migrations keep the forms they installed then where they created a
/// function; v5–v7's forms were replaced by these.)
///
/// How a run's status is stored since v8: `running` from the moment it is stored until it ends — queued
/// until `started_at` is set — then its final status. A claim that starts a run sets `started_at` alone, so
/// it changes no indexed column (`runs_status`, `runs_active_group` read `status`): with the room the
/// table's fill factor leaves on each page, PostgreSQL updates the row in place (a HOT update) without
/// an entry in each of the run's three indexes. ``PostgresRunStore`` reads the status a run has through
/// `forgeworks_run_status(status, started_at)`. (`running` rather than `queued` for both: a worker of an
/// earlier release, still running while a new process migrates the schema, reads a run's stored status
/// on each lease renewal and takes anything but `running` for a cancellation; the runs it holds stay
/// `running` for it.)
extension PostgresRunSchema {
    static let v8: [String] = [
        "UPDATE runs SET status = 'running' WHERE status = 'queued'",
        // Room on each page for a run's row to be updated in place when its first step is claimed.
        "ALTER TABLE runs SET (fillfactor = 70)",
        "ALTER TABLE steps SET (fillfactor = 70)",
        """
        CREATE OR REPLACE FUNCTION forgeworks_run_status(p_status TEXT, p_started_at DOUBLE PRECISION) RETURNS TEXT
        LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN p_status = 'running' AND p_started_at IS NULL THEN 'queued' ELSE p_status END
        $$
        """,
        // v1's forgeworks_take had two more parameters (the run's status and group, read by its caller).
        "DROP FUNCTION IF EXISTS forgeworks_take(TEXT, DOUBLE PRECISION, DOUBLE PRECISION, BIGINT, INTEGER, TEXT, TEXT)",
        take, claim, finish, enqueue,
    ]

    /// Takes one candidate step for a worker: locks its run (`SKIP LOCKED`: a run another transaction
    /// holds is left for the next claim) where it has not ended, and unless another run of its
    /// concurrency group is running, marks the step running and the run started; returns the claimed
    /// step's row, or nothing. (v1's took the run's status and group from its caller, which locked the
    /// run; v8 replaces it.)
    static let take = """
        CREATE OR REPLACE FUNCTION forgeworks_take(p_worker TEXT, p_now DOUBLE PRECISION, p_lease_until DOUBLE PRECISION, p_run BIGINT,
                                                   p_sequence INTEGER)
        RETURNS TABLE (o_run BIGINT, o_sequence INTEGER, o_path TEXT, o_attempt INTEGER, o_failures INTEGER, o_parent TEXT,
                       o_anchor TEXT)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_group TEXT;
        BEGIN
            SELECT r.concurrency_group INTO v_group FROM runs r WHERE r.id = p_run AND r.status = 'running' FOR UPDATE SKIP LOCKED;
            IF NOT FOUND THEN RETURN; END IF;
            IF v_group IS NOT NULL THEN
                PERFORM pg_advisory_xact_lock(hashtext('forgeworks-group:' || current_schema() || ':' || v_group));
                IF EXISTS (SELECT 1 FROM runs WHERE concurrency_group = v_group AND status = 'running' AND started_at IS NOT NULL
                           AND id <> p_run) THEN
                    RETURN;
                END IF;
            END IF;
            RETURN QUERY
                UPDATE steps SET state = 'running', worker = p_worker, lease_until = p_lease_until, attempts = attempts + 1,
                                 started_at = coalesce(started_at, p_now)
                WHERE run_id = p_run AND sequence = p_sequence
                RETURNING run_id, sequence, path, attempts, failures, parent, anchor;
            UPDATE runs SET started_at = p_now WHERE id = p_run AND started_at IS NULL;
        END
        $$
        """

    /// Claims up to `p_limit` steps (the last row has o_run NULL and o_next_due, when the earliest
    /// queued step not yet due becomes due). It reads the queue's head in its partial indexes' order
    /// (steps first, then each one's run, `SKIP LOCKED` both) and is planned without sequential or
    /// bitmap scans: a queue table's statistics are always stale — it fills and drains between two
    /// autovacuum passes — and with them the planner took v1's join for a few rows, reading every due
    /// step, looking up each one's run and sorting them all (40 ms per claim at 10,000 queued,
    /// auto_explain on bench/pipeline-postgres). The due queued steps of runs that have no concurrency
    /// group are locked and taken together — one statement locks the queue's head, then their runs,
    /// marks the steps running and the runs not started yet started — instead of a function call and
    /// two updates per step. Steps of runs with a concurrency group (the head's, which the first
    /// statement locked and left), and any left because their run was locked, are taken one at a time
    /// (the group's advisory lock), as are steps whose lease ran out.
    static let claim = """
        CREATE OR REPLACE FUNCTION forgeworks_claim(p_worker TEXT, p_now DOUBLE PRECISION, p_lease_until DOUBLE PRECISION, p_limit BIGINT)
        RETURNS TABLE (o_run BIGINT, o_sequence INTEGER, o_path TEXT, o_attempt INTEGER, o_failures INTEGER, o_parent TEXT,
                       o_anchor TEXT, o_next_due DOUBLE PRECISION)
        LANGUAGE plpgsql
        SET enable_seqscan = off
        SET enable_bitmapscan = off
        AS $$
        DECLARE
            v_claimed BIGINT := 0;
            v_count BIGINT;
        BEGIN
            -- First steps whose lease ran out (not this worker's own), one at a time, as many as fit.
            RETURN QUERY
                SELECT t.*, NULL::double precision FROM (
                    SELECT s.run_id, s.sequence FROM steps s
                    WHERE s.state = 'running' AND s.lease_until <= p_now AND s.worker <> p_worker
                    ORDER BY s.lease_until LIMIT p_limit * 4 + 16 FOR UPDATE OF s SKIP LOCKED
                ) c CROSS JOIN LATERAL forgeworks_take(p_worker, p_now, p_lease_until, c.run_id, c.sequence) t
                LIMIT p_limit;
            GET DIAGNOSTICS v_claimed = ROW_COUNT;
            -- Then due queued steps of runs without a concurrency group, together.
            IF v_claimed < p_limit THEN
                RETURN QUERY
                    WITH candidates AS (
                        SELECT s.run_id, s.sequence FROM steps s
                        WHERE s.state = 'queued' AND s.due_at <= p_now
                        ORDER BY s.due_at
                        LIMIT p_limit - v_claimed
                        FOR UPDATE OF s SKIP LOCKED
                    ), locked AS (
                        SELECT r.id, r.started_at FROM runs r
                        WHERE r.id IN (SELECT run_id FROM candidates) AND r.status = 'running' AND r.concurrency_group IS NULL
                        FOR UPDATE OF r SKIP LOCKED
                    ), started AS (
                        UPDATE runs SET started_at = p_now
                        WHERE id IN (SELECT id FROM locked WHERE started_at IS NULL)
                        RETURNING id
                    ), taken AS (
                        UPDATE steps s SET state = 'running', worker = p_worker, lease_until = p_lease_until, attempts = s.attempts + 1,
                                           started_at = coalesce(s.started_at, p_now)
                        FROM candidates c
                        WHERE s.run_id = c.run_id AND s.sequence = c.sequence AND c.run_id IN (SELECT id FROM locked)
                        RETURNING s.run_id, s.sequence, s.path, s.attempts, s.failures, s.parent, s.anchor, s.due_at
                    )
                    SELECT run_id, sequence, path, attempts, failures, parent, anchor, NULL::double precision
                    FROM taken ORDER BY due_at, run_id, sequence;
                GET DIAGNOSTICS v_count = ROW_COUNT;
                v_claimed := v_claimed + v_count;
            END IF;
            -- Then, one at a time, due steps of runs with a concurrency group (and any left above).
            IF v_claimed < p_limit THEN
                RETURN QUERY
                    SELECT t.*, NULL::double precision FROM (
                        SELECT s.run_id, s.sequence FROM steps s
                        WHERE s.state = 'queued' AND s.due_at <= p_now
                        ORDER BY s.due_at LIMIT (p_limit - v_claimed) * 4 + 16 FOR UPDATE OF s SKIP LOCKED
                    ) c CROSS JOIN LATERAL forgeworks_take(p_worker, p_now, p_lease_until, c.run_id, c.sequence) t
                    LIMIT p_limit - v_claimed;
            END IF;
            RETURN QUERY
                SELECT NULL::bigint, NULL::integer, NULL::text, NULL::integer, NULL::integer, NULL::text, NULL::text, min(s.due_at)
                FROM steps s WHERE s.state = 'queued' AND s.due_at > p_now;
        END
        $$
        """

    /// Records a worker's outcomes; returns a row per outcome: o_outcome `refused`, `recorded`,
    /// `claimed` (o_next the chain's next step, claimed for the worker at once) or `finished`
    /// (o_status the run's final status).
    /// - Successful last steps (the common case) are recorded together and by their updates alone:
    ///   the held step where it is still this attempt's, then its run where it has not ended (each
    ///   update takes its row's lock; v6 locked both with `SELECT … FOR UPDATE` first, two more row
    ///   locks, each a WAL record). A step whose run ended meanwhile (cancelled) is set `cancelled`
    ///   and its outcome refused, as the loop does. A run with more than one outcome in the batch goes
    ///   through the loop.
    /// - Every other outcome one at a time: its step locked, then its run. Every path locks a step
    ///   before its run; nothing locks a run and then waits for a running step (`cancel` and
    ///   `forgeworks_end_run` update only queued steps, claims skip locked rows), so two finishes
    ///   cannot deadlock.
    static let finish = """
        CREATE OR REPLACE FUNCTION forgeworks_finish(p_worker TEXT, p_now DOUBLE PRECISION, p_lease_until DOUBLE PRECISION, p_outcomes JSONB)
        RETURNS TABLE (o_run BIGINT, o_sequence INTEGER, o_outcome TEXT, o_next INTEGER, o_status TEXT)
        LANGUAGE plpgsql AS $$
        DECLARE
            v_outcome RECORD;
            v_run RECORD;
            v_step RECORD;
            v_falsy BOOLEAN;
            v_wake BOOLEAN := false;
            v_done RECORD;
            v_handled BIGINT[] := '{}';
        BEGIN
            -- Successful last steps (the run ends with them), of runs with one outcome here: the step
            -- where it is still held by this attempt, then its run where it has not ended.
            FOR v_done IN
                WITH input AS (
                    SELECT *, count(*) OVER (PARTITION BY x.run) AS outcomes
                    FROM jsonb_to_recordset(p_outcomes) AS x(run BIGINT, sequence INTEGER, attempt INTEGER, kind TEXT,
                                                             result TEXT, falsy BOOLEAN, next_path TEXT)
                ), done_steps AS (
                    UPDATE steps s SET state = 'succeeded', result = l.result, worker = NULL, lease_until = NULL, finished_at = p_now
                    FROM input l
                    WHERE l.kind = 'succeeded' AND l.next_path IS NULL AND l.outcomes = 1
                    AND s.run_id = l.run AND s.sequence = l.sequence AND s.state = 'running' AND s.attempts = l.attempt AND s.worker = p_worker
                    RETURNING s.run_id, s.sequence, coalesce(l.falsy, false) AS falsy
                ), done_runs AS (
                    UPDATE runs r SET status = CASE WHEN r.any_falsy OR d.falsy THEN 'failed' ELSE 'succeeded' END,
                                      any_falsy = r.any_falsy OR d.falsy, finished_at = p_now
                    FROM done_steps d WHERE r.id = d.run_id AND r.status = 'running'
                    RETURNING r.id, d.sequence, r.status, r.concurrency_group
                )
                -- (No join of one CTE to another: the planner takes each for one row and would compare
                -- every row with every other; EXCEPT ALL hashes.)
                SELECT e.id AS run_id, e.sequence, true AS ended, e.status, e.concurrency_group FROM done_runs e
                UNION ALL
                SELECT refused.run_id, refused.sequence, false, NULL, NULL
                FROM (SELECT d.run_id, d.sequence FROM done_steps d EXCEPT ALL SELECT e.id, e.sequence FROM done_runs e) refused
            LOOP
                o_run := v_done.run_id; o_sequence := v_done.sequence; o_next := NULL;
                v_handled := v_handled || v_done.run_id;
                IF v_done.ended THEN
                    o_outcome := 'finished'; o_status := v_done.status;
                    v_wake := v_wake OR v_done.concurrency_group IS NOT NULL;
                ELSE
                    -- The run was cancelled while the step ran (or is gone).
                    UPDATE steps SET state = 'cancelled', result = NULL, finished_at = p_now
                    WHERE run_id = v_done.run_id AND sequence = v_done.sequence;
                    o_outcome := 'refused'; o_status := NULL;
                END IF;
                RETURN NEXT;
            END LOOP;
            -- Every other outcome, one at a time: the step locked, then its run.
            FOR v_outcome IN
                SELECT * FROM jsonb_to_recordset(p_outcomes) AS x(run BIGINT, sequence INTEGER, attempt INTEGER, kind TEXT, result TEXT,
                                                                  falsy BOOLEAN, claim_next BOOLEAN, next_path TEXT, next_action TEXT,
                                                                  next_task TEXT, next_parent TEXT, next_anchor TEXT, error TEXT,
                                                                  retry_at DOUBLE PRECISION)
                WHERE NOT (x.run = ANY(v_handled))
                ORDER BY run, sequence
            LOOP
                o_run := v_outcome.run; o_sequence := v_outcome.sequence; o_next := NULL; o_status := NULL;
                SELECT state, attempts, worker INTO v_step FROM steps
                WHERE run_id = v_outcome.run AND sequence = v_outcome.sequence FOR UPDATE;
                IF NOT FOUND OR v_step.state <> 'running' OR v_step.attempts <> v_outcome.attempt
                   OR v_step.worker IS DISTINCT FROM p_worker THEN
                    o_outcome := 'refused'; RETURN NEXT; CONTINUE;
                END IF;
                SELECT status, any_falsy, step_count, concurrency_group INTO v_run FROM runs WHERE id = v_outcome.run FOR UPDATE;
                IF NOT FOUND THEN
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
        """

    /// `forgeworks_enqueue` as v3 wrote it, but storing new runs `running` (queued until started) and
    /// superseding only the group's runs that have not started. (Two changes, made on v3's text.)
    static let enqueue = v3Enqueue
        .replacingOccurrences(of: "CREATE FUNCTION forgeworks_enqueue", with: "CREATE OR REPLACE FUNCTION forgeworks_enqueue")
        .replacingOccurrences(of: "v_run.event, 'queued', v_run.\"group\"", with: "v_run.event, 'running', v_run.\"group\"")
        .replacingOccurrences(of: "AND status = 'queued' ORDER BY id FOR UPDATE", with: "AND status = 'running' AND started_at IS NULL ORDER BY id FOR UPDATE")
}
