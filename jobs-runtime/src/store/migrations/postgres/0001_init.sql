-- Enqueued jobs: one row per job, through all its attempts.
CREATE TABLE jobs_jobs (
    id               BIGSERIAL PRIMARY KEY,
    job              TEXT NOT NULL,
    queue            TEXT NOT NULL,
    priority         SMALLINT NOT NULL,
    -- The payload parameters as a JSON object, kept as written (jsonb would reorder keys).
    payload          TEXT NOT NULL,
    state            TEXT NOT NULL
        CHECK (state IN ('waiting', 'running', 'succeeded', 'failed', 'cancelled')),
    -- When it may next be claimed: its delay, `at`, or a retry's backoff.
    run_at           TIMESTAMPTZ NOT NULL,
    -- When it was first due: lateness is measured from here, retries keep it.
    due_at           TIMESTAMPTZ NOT NULL,
    enqueued_at      TIMESTAMPTZ NOT NULL,
    -- Attempts started, counting the running one.
    attempt          INTEGER NOT NULL DEFAULT 0,
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    error            TEXT,
    unique_key       TEXT,
    -- The process running it, and until when its lease holds unless its heartbeat renews it.
    owner            TEXT,
    lease_until      TIMESTAMPTZ,
    -- Another process asked the owner to stop it.
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
);

-- The claim: due jobs of a queue, highest priority first, then in the order they became due.
CREATE INDEX jobs_jobs_due ON jobs_jobs (queue, priority DESC, run_at, id)
    WHERE state = 'waiting';
-- A unique key is held while its job waits or runs.
CREATE UNIQUE INDEX jobs_jobs_unique ON jobs_jobs (job, unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('waiting', 'running');
-- The heartbeat: leases to renew (by owner) and to take back (expired).
CREATE INDEX jobs_jobs_owner ON jobs_jobs (owner) WHERE state = 'running';
CREATE INDEX jobs_jobs_lease ON jobs_jobs (lease_until) WHERE state = 'running';
-- Pruning of ended jobs.
CREATE INDEX jobs_jobs_finished ON jobs_jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Claimed ticks of scheduled jobs: the primary key makes each tick run exactly once across
-- every process; a tick whose owner stopped before it finished is taken over when its lease
-- expires.
CREATE TABLE jobs_ticks (
    job          TEXT NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL,
    owner        TEXT,
    claimed_at   TIMESTAMPTZ NOT NULL,
    lease_until  TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    PRIMARY KEY (job, scheduled_at)
);

CREATE INDEX jobs_ticks_unfinished ON jobs_ticks (lease_until) WHERE finished_at IS NULL;

-- Jobs as the cluster knows them, one row per job name: what every process follows (schedule,
-- pause), what the code of the last process to start said, and up to when some process ran it.
CREATE TABLE jobs_schedules (
    job           TEXT PRIMARY KEY,
    -- The schedule every process follows (normalised expression, or `every 1m30s`) and its zone;
    -- NULL for an on-demand job.
    schedule      TEXT,
    tz            TEXT,
    -- As the code of the last process to start defines it.
    code_schedule TEXT,
    code_tz       TEXT,
    -- Rescheduled at run time: a schedule changed in code no longer replaces it.
    overridden    BOOLEAN NOT NULL DEFAULT FALSE,
    paused        BOOLEAN NOT NULL DEFAULT FALSE,
    -- 'code' (a #[job] function) or 'run time' (Handle::add_job).
    origin        TEXT NOT NULL DEFAULT 'code',
    -- Raised by every change of schedule or pause, so that processes find the changes since the
    -- last they saw.
    version       BIGINT NOT NULL DEFAULT 0,
    -- Up to when some process ran the job (renewed by every heartbeat): the ticks after it were
    -- missed while no process ran.
    seen_until    TIMESTAMPTZ
);


-- Versions of control changes, shared by every process.
CREATE SEQUENCE jobs_control_version;

-- Run history of every process: each run or skipped tick, as `Handle::history` shows it.
CREATE TABLE jobs_runs (
    id           BIGSERIAL PRIMARY KEY,
    job          TEXT NOT NULL,
    run_id       BIGINT,
    job_id       BIGINT,
    scheduled_at TIMESTAMPTZ NOT NULL,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    attempts     INTEGER NOT NULL,
    -- 'succeeded', 'failed', 'cancelled', or 'skipped: <reason>'.
    outcome      TEXT NOT NULL,
    error        TEXT,
    lateness_us  BIGINT,
    permanent    BOOLEAN NOT NULL,
    payload      TEXT,
    owner        TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX jobs_runs_job ON jobs_runs (job, scheduled_at);
CREATE INDEX jobs_runs_recorded ON jobs_runs (recorded_at);
