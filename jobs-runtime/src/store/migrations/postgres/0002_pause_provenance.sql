-- Since when and by whom a job is paused, so that every process's skipped ticks and the
-- dashboard say so, not only the process that paused it.
ALTER TABLE jobs_schedules ADD COLUMN paused_at TIMESTAMPTZ, ADD COLUMN paused_by TEXT;
