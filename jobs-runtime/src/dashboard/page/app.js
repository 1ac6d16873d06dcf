// The dashboard's page: reads the JSON API every 2 s and renders it; actions send the token as
// `Authorization: Bearer …`. Every URL is relative, so the page works wherever the router is
// mounted (`/`, `/jobs/`). No framework, no build step, nothing from outside.
"use strict";

const REFRESH_MS = 2000;
// Records per timeline and per page of runs.
const RUNS = 50;
// Above this many jobs, only the selected job's timeline is fetched: one request per job and
// refresh is fine for a handful of jobs, not for thousands.
const TIMELINES_FOR_AT_MOST = 30;

const state = {
  token: sessionStorage.getItem("jobs.token") || "",
  zone: sessionStorage.getItem("jobs.zone") || "utc",
  // 0: from the oldest record shown to now.
  windowSeconds: Number(sessionStorage.getItem("jobs.window") || 0),
  jobs: [],
  queues: [],
  // Job name → its last records, newest first.
  runs: new Map(),
  selected: null,
  // Older pages of the selected job's runs, fetched on demand and not refreshed.
  older: [],
  nextBefore: null,
  // The run shown in the run panel.
  run: null,
  refreshing: false,
  again: false,
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// Formatting

function escapeHtml(value) {
  return String(value ?? "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

// The parts of an instant in the chosen zone.
function parts(date) {
  const utc = state.zone === "utc";
  return {
    year: utc ? date.getUTCFullYear() : date.getFullYear(),
    month: (utc ? date.getUTCMonth() : date.getMonth()) + 1,
    day: utc ? date.getUTCDate() : date.getDate(),
    weekday: utc ? date.getUTCDay() : date.getDay(),
    hour: utc ? date.getUTCHours() : date.getHours(),
    minute: utc ? date.getUTCMinutes() : date.getMinutes(),
    second: utc ? date.getUTCSeconds() : date.getSeconds(),
    ms: utc ? date.getUTCMilliseconds() : date.getMilliseconds(),
  };
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

// `09:30:00` today, `Mon 2026-01-05 09:30:00` on another day; milliseconds when not zero.
function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const p = parts(date);
  const today = parts(new Date());
  let time = `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  if (p.ms) time += `.${pad(p.ms, 3)}`;
  if (p.year === today.year && p.month === today.month && p.day === today.day) return time;
  return `${WEEKDAYS[p.weekday]} ${p.year}-${pad(p.month)}-${pad(p.day)} ${time}`;
}

function zoneName() {
  if (state.zone === "utc") return "UTC";
  const minutes = -new Date().getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `local time, UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function formatDuration(ms) {
  if (ms == null || Number.isNaN(ms)) return "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
  if (abs < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  if (abs < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
  return `${Math.floor(ms / 86_400_000)} d ${Math.round((ms % 86_400_000) / 3_600_000)} h`;
}

// `in 3 s`, `5 min ago`.
function relative(iso) {
  if (!iso) return "";
  const ms = new Date(iso).getTime() - Date.now();
  const text = formatDuration(Math.abs(ms)).replace(/\.\d+ s$/, " s");
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

function took(run) {
  if (!run.started_at || !run.finished_at) return "";
  return formatDuration(new Date(run.finished_at) - new Date(run.started_at));
}

function outcomeOf(run) {
  return run.outcome || "running";
}

// The instant as `datetime-local` wants it, in the chosen zone.
function toInputValue(iso) {
  const p = parts(new Date(iso));
  let value = `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  if (p.ms) value += `.${pad(p.ms, 3)}`;
  return value;
}

// A `datetime-local` value read in the chosen zone, as RFC 3339 in UTC.
function fromInputValue(value) {
  if (!value) return null;
  const full = /T\d\d:\d\d$/.test(value) ? `${value}:00` : value;
  const date = state.zone === "utc" ? new Date(`${full}Z`) : new Date(full);
  if (Number.isNaN(date.getTime())) return null;
  return date.toISOString();
}

// ---------------------------------------------------------------------------------------------
// The API

function jobPath(name) {
  return `api/jobs/${encodeURIComponent(name)}`;
}

async function readError(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body && typeof body.error === "string") return body.error;
  } catch (_) {
    // Not JSON: the text itself says what went wrong.
  }
  return text.trim() || `${response.status} ${response.statusText}`;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!response.ok) throw new Error(await readError(response));
  return response.json();
}

// An action: sends the token; answers the JSON body, or throws with the API's error text.
async function act(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  if (!response.ok) {
    const error = await readError(response);
    throw new Error(response.status === 401 || response.status === 403 ? `${error} (HTTP ${response.status})` : error);
  }
  return response.json();
}

let messageTimer = null;

function say(text, kind) {
  const message = $("message");
  message.textContent = text;
  message.dataset.kind = kind;
  message.hidden = false;
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => { message.hidden = true; }, kind === "error" ? 20_000 : 6_000);
}

async function perform(description, method, path, body, done) {
  try {
    const answer = await act(method, path, body);
    say(done ? done(answer) : description, "ok");
    refresh();
    return answer;
  } catch (error) {
    say(`${description} refused: ${error.message}`, "error");
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Refreshing

async function refresh() {
  if (state.refreshing) {
    state.again = true;
    return;
  }
  state.refreshing = true;
  try {
    const [jobs, queues] = await Promise.all([getJson("api/jobs"), getJson("api/queues")]);
    state.jobs = jobs.jobs || [];
    state.queues = queues.queues || [];
    if (state.selected && !state.jobs.some((job) => job.name === state.selected)) {
      state.selected = null;
    }
    const wanted = state.jobs.length <= TIMELINES_FOR_AT_MOST
      ? state.jobs.map((job) => job.name)
      : (state.selected ? [state.selected] : []);
    const fetched = await Promise.all(wanted.map(async (name) => {
      try {
        const page = await getJson(`${jobPath(name)}/runs?limit=${RUNS}`);
        return [name, page];
      } catch (_) {
        return [name, null];
      }
    }));
    const runs = new Map();
    for (const [name, page] of fetched) {
      if (!page) continue;
      runs.set(name, page.runs || []);
      if (name === state.selected && state.older.length === 0) state.nextBefore = page.next_before;
    }
    state.runs = runs;
    if (state.run && state.run.run_id && !state.run.finished_at && state.run.outcome !== "skipped") {
      try {
        state.run = await getJson(`api/runs/${encodeURIComponent(state.run.run_id)}`);
      } catch (_) {
        // Gone from the history: keep what was shown.
      }
    }
    const at = formatTime(new Date().toISOString());
    setStatus(`${state.jobs.length} job${state.jobs.length === 1 ? "" : "s"} · updated ${at}`, "ok");
    render();
  } catch (error) {
    setStatus(`cannot read the API: ${error.message}`, "error");
  } finally {
    state.refreshing = false;
    if (state.again) {
      state.again = false;
      refresh();
    }
  }
}

function setStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.dataset.kind = kind;
}

// ---------------------------------------------------------------------------------------------
// Rendering

// Replaces an element's content only when it changed, so that hovering and clicking survive
// the refreshes.
const shown = new WeakMap();

function setHtml(element, html) {
  if (shown.get(element) !== html) {
    element.innerHTML = html;
    shown.set(element, html);
  }
}

function render() {
  renderJobs();
  renderJobDetail();
  renderRun();
  renderQueues();
  renderExplainJobs();
}

function scheduleCell(job) {
  if (!job.schedule) {
    return `<span class="muted">on demand</span> · queue <code>${escapeHtml(job.queue)}</code>`;
  }
  const s = job.schedule;
  let html = `<span class="words">${escapeHtml(s.words || s.expression)}</span><br>`
    + `<code>${escapeHtml(s.expression)}</code>`;
  if (s.timezone && s.timezone !== "UTC") html += ` <span class="muted">${escapeHtml(s.timezone)}</span>`;
  const r = job.reconciliation;
  if (r && ["code_changed", "overridden", "stored_only"].includes(r.state)) {
    html += `<br><span class="note" title="${escapeHtml(r.detail)}">${escapeHtml(r.state.replace("_", " "))}: ${escapeHtml(r.detail)}</span>`;
  }
  return html;
}

function nextRunCell(job) {
  const next = job.next_runs || [];
  if (next.length === 0) return `<span class="muted">${job.on_demand ? "when enqueued" : "none"}</span>`;
  const list = next.map((t) => formatTime(t)).join("\n");
  return `<span class="next-run" data-next-run="${escapeHtml(next[0])}" title="next runs (${escapeHtml(zoneName())}):\n${escapeHtml(list)}">`
    + `${escapeHtml(formatTime(next[0]))}<br><span class="muted">${escapeHtml(relative(next[0]))}</span></span>`;
}

function outcomeBadge(outcome, reason) {
  if (!outcome) return `<span class="muted">—</span>`;
  const text = outcome === "skipped" && reason ? `skipped: ${reason}` : outcome;
  return `<span class="badge ${escapeHtml(outcome)}" data-outcome="${escapeHtml(outcome)}">${escapeHtml(text)}</span>`;
}

function stateCell(job) {
  const bits = [];
  if (job.paused) {
    const title = `paused${job.paused_since ? ` since ${formatTime(job.paused_since)}` : ""}${job.paused_by ? ` ${job.paused_by}` : ""}`;
    bits.push(`<span class="badge paused" title="${escapeHtml(title)}">paused</span>`);
  }
  if (job.running > 0) bits.push(`<span class="badge running">running${job.running > 1 ? ` ×${job.running}` : ""}</span>`);
  if (bits.length === 0) bits.push(`<span class="muted">active</span>`);
  return bits.join(" ");
}

function jobName(name) {
  const cut = name.lastIndexOf("::");
  if (cut < 0) return `<strong>${escapeHtml(name)}</strong>`;
  return `<span class="muted">${escapeHtml(name.slice(0, cut + 2))}</span><strong>${escapeHtml(name.slice(cut + 2))}</strong>`;
}

// Brings a table body to `rows` ({ key, attrs, cells }) in order, touching only the cells whose
// content changed: a row's buttons stay the same elements while its times tick on.
function syncRows(tbody, rows, empty) {
  const existing = new Map();
  for (const tr of Array.from(tbody.children)) {
    if (tr.dataset.rowKey) existing.set(tr.dataset.rowKey, tr);
    else tr.remove();
  }
  rows.forEach((row, index) => {
    let tr = existing.get(row.key);
    existing.delete(row.key);
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.rowKey = row.key;
    }
    for (const [name, value] of Object.entries(row.attrs)) {
      if (tr.getAttribute(name) !== value) tr.setAttribute(name, value);
    }
    row.cells.forEach((html, i) => {
      let td = tr.children[i];
      if (!td) td = tr.appendChild(document.createElement("td"));
      setHtml(td, html);
    });
    if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] || null);
  });
  for (const tr of existing.values()) tr.remove();
  if (rows.length === 0) {
    const tr = tbody.appendChild(document.createElement("tr"));
    tr.innerHTML = `<td colspan="${empty.columns}" class="muted">${escapeHtml(empty.text)}</td>`;
  }
}

// The shared time axis of the jobs' timelines: the chosen window, or by default from the
// oldest record shown (at least 20 s ago) to now.
function timelineWindow() {
  const now = Date.now();
  if (state.windowSeconds > 0) return { from: now - state.windowSeconds * 1000, to: now };
  let oldest = now - 20_000;
  for (const runs of state.runs.values()) {
    for (const run of runs) oldest = Math.min(oldest, new Date(run.scheduled_at).getTime());
  }
  return { from: oldest - (now - oldest) * 0.01, to: now };
}

function renderJobs() {
  const { from, to } = timelineWindow();
  const rows = state.jobs.map((job) => {
    const runs = state.runs.get(job.name);
    const timeline = runs
      ? timelineSvg(job.name, runs, { width: 300, height: 22, from, to })
      : `<span class="muted">—</span>`;
    // An on-demand job has no ticks to pause or reschedule, and its payload is not the page's
    // to invent: it is enqueued by the application.
    let pause = "";
    if (job.paused) pause = `<button type="button" data-action="resume">Resume</button>`;
    else if (!job.on_demand) pause = `<button type="button" data-action="pause">Pause</button>`;
    const trigger = job.on_demand
      ? ""
      : `<button type="button" data-action="trigger">Trigger</button>`;
    const reschedule = job.on_demand ? "" : `<button type="button" data-action="reschedule">Reschedule</button>`;
    const classes = [job.paused ? "paused" : "", job.name === state.selected ? "selected" : ""].join(" ").trim();
    return {
      key: job.name,
      attrs: { "data-job": job.name, "data-paused": String(job.paused), class: classes },
      cells: [
        `<a href="#" class="name" data-action="select" title="${escapeHtml(job.location || "added at run time")}">${jobName(job.name)}</a>`,
        scheduleCell(job),
        nextRunCell(job),
        `<span class="last-outcome">${outcomeBadge(job.last_outcome, job.last_run && job.last_run.skip_reason)}</span>`,
        `<span class="state">${stateCell(job)}</span>`,
        timeline,
        `<div class="actions">${trigger}${pause}${reschedule}</div>`,
      ],
    };
  });
  syncRows($("jobs-body"), rows, { columns: 7, text: "no jobs" });
}

// The key a record is found by again: its run id, or its job and instant for a skipped tick.
function runKey(run) {
  return run.run_id ? `run:${run.run_id}` : `tick:${run.job}@${run.scheduled_at}`;
}

// One mark per record on a time axis from `from` to `to` (ms since the epoch): a bar from start
// to end for a run, a hollow diamond at its instant for a skipped tick.
function timelineSvg(name, runs, { width, height, from, to, axis }) {
  const span = Math.max(1, to - from);
  const top = 3;
  const barHeight = height - 6 - (axis ? 14 : 0);
  const x = (t) => ((t - from) / span) * width;
  const marks = [];
  // Skipped ticks last, so that a long run drawn across them does not hide them.
  const ordered = runs.filter((run) => run.outcome !== "skipped")
    .concat(runs.filter((run) => run.outcome === "skipped"));
  for (const run of ordered) {
    const outcome = outcomeOf(run);
    const scheduled = new Date(run.scheduled_at).getTime();
    const started = run.started_at ? new Date(run.started_at).getTime() : scheduled;
    const finished = run.finished_at ? new Date(run.finished_at).getTime() : (outcome === "running" ? Date.now() : started);
    if (finished < from || started > to) continue;
    let title = `${formatTime(run.scheduled_at)} ${outcome}`;
    if (run.skip_reason) title += `: ${run.skip_reason}`;
    if (run.attempts > 1) title += ` after ${run.attempts} attempts`;
    if (run.error) title += `\n${run.error}`;
    const data = `data-key="${escapeHtml(runKey(run))}" data-outcome="${escapeHtml(outcome)}"`
      + ` data-scheduled-at="${escapeHtml(run.scheduled_at)}"`
      + (run.skip_reason ? ` data-skip-reason="${escapeHtml(run.skip_reason)}"` : "")
      + (run.run_id ? ` data-run-id="${escapeHtml(run.run_id)}"` : "");
    if (outcome === "skipped") {
      const cx = x(scheduled);
      const cy = top + barHeight / 2;
      const r = Math.min(5, barHeight / 2);
      marks.push(`<path class="mark skipped" ${data} d="M${cx.toFixed(1)} ${(cy - r).toFixed(1)}l${r} ${r}l${-r} ${r}l${-r} ${-r}z"><title>${escapeHtml(title)}</title></path>`);
    } else {
      const x0 = x(Math.max(started, from));
      const w = Math.max(3, x(Math.min(finished, to)) - x0);
      marks.push(`<rect class="mark ${escapeHtml(outcome)}" ${data} x="${x0.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${barHeight}" rx="1.5"><title>${escapeHtml(title)}</title></rect>`);
    }
  }
  let axisHtml = "";
  if (axis) {
    const y = height - 3;
    const labels = [0, 0.25, 0.5, 0.75, 1].map((f) => {
      const anchor = f === 0 ? "start" : f === 1 ? "end" : "middle";
      // Whole seconds on an axis of more than ten.
      const at = from + span * f;
      const t = new Date(span >= 10_000 ? Math.round(at / 1000) * 1000 : at).toISOString();
      return `<line class="grid" x1="${(f * width).toFixed(1)}" x2="${(f * width).toFixed(1)}" y1="${top}" y2="${top + barHeight}"/>`
        + `<text x="${(f * width).toFixed(1)}" y="${y}" text-anchor="${anchor}">${escapeHtml(formatTime(t))}</text>`;
    });
    axisHtml = labels.join("");
  }
  return `<svg class="timeline" data-timeline="${escapeHtml(name)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="recent runs of ${escapeHtml(name)}">`
    + `<line class="baseline" x1="0" x2="${width}" y1="${top + barHeight / 2}" y2="${top + barHeight / 2}"/>`
    + axisHtml + marks.join("") + `</svg>`;
}

function selectedJob() {
  return state.jobs.find((job) => job.name === state.selected) || null;
}

function selectedRuns() {
  return (state.runs.get(state.selected) || []).concat(state.older);
}

function renderJobDetail() {
  const section = $("job-detail");
  const job = selectedJob();
  if (!job) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  section.dataset.job = job.name;
  $("job-detail-title").innerHTML = jobName(job.name);
  $("job-detail-location").textContent = job.location || "added at run time";
  const facts = [
    ["schedule", job.schedule ? `${job.schedule.words} (${job.schedule.expression}${job.schedule.timezone ? `, ${job.schedule.timezone}` : ""})` : `on demand, queue ${job.queue}`],
    ["next runs", (job.next_runs || []).map(formatTime).join(" · ") || "none"],
    ["state", job.paused ? `paused${job.paused_since ? ` since ${formatTime(job.paused_since)}` : ""}${job.paused_by ? ` ${job.paused_by}` : ""}` : "active"],
    ["running", String(job.running)],
  ];
  setHtml($("job-detail-facts"), facts.map(([k, v]) => `<span><b>${escapeHtml(k)}</b> ${escapeHtml(v)}</span>`).join(""));
  $("reschedule").hidden = job.on_demand;

  const runs = selectedRuns();
  const times = runs.map((run) => new Date(run.scheduled_at).getTime());
  const now = Date.now();
  const from = Math.min(now - 20_000, ...times);
  const to = Math.max(now, ...runs.map((run) => (run.finished_at ? new Date(run.finished_at).getTime() : 0)));
  const padMs = Math.max(1000, (to - from) * 0.02);
  setHtml($("job-timeline"), timelineSvg(job.name, runs, { width: 1000, height: 48, from: from - padMs, to: to + padMs, axis: true }));

  const rows = runs.map((run) => {
    const outcome = outcomeOf(run);
    const reason = run.error || (run.skip_reason ? run.skip_reason : "");
    const selected = state.run && runKey(state.run) === runKey(run);
    const attrs = {
      class: selected ? "run selected" : "run",
      "data-key": runKey(run),
      "data-outcome": outcome,
      "data-scheduled-at": run.scheduled_at,
      "data-skip-reason": run.skip_reason || "",
    };
    return {
      key: runKey(run),
      attrs,
      cells: [
        `<code>${escapeHtml(run.run_id || "—")}</code>`,
        `<span title="${escapeHtml(run.scheduled_at)}">${escapeHtml(formatTime(run.scheduled_at))}</span>`,
        escapeHtml(formatTime(run.started_at)),
        escapeHtml(took(run)),
        escapeHtml(run.lateness_ms == null ? "" : formatDuration(run.lateness_ms)),
        escapeHtml(run.attempts ?? ""),
        `${outcomeBadge(outcome, run.skip_reason)}${run.permanent ? ` <span class="badge failed">permanent</span>` : ""}`,
        `<span class="error" title="${escapeHtml(reason)}">${escapeHtml(reason)}</span>`,
      ],
    };
  });
  syncRows($("runs-body"), rows, { columns: 8, text: "no runs yet" });
  $("runs-older").hidden = !state.nextBefore;
}

function renderRun() {
  const section = $("run-detail");
  const run = state.run;
  if (!run) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  const outcome = outcomeOf(run);
  section.dataset.outcome = outcome;
  $("run-detail-title").textContent = run.run_id
    ? `Run ${run.run_id} of ${run.job}`
    : `Skipped tick of ${run.job}`;
  const facts = [
    ["outcome", outcome + (run.skip_reason ? `: ${run.skip_reason}` : "") + (run.permanent ? " (permanent)" : "")],
    ["scheduled", formatTime(run.scheduled_at)],
    ["started", formatTime(run.started_at)],
    ["finished", formatTime(run.finished_at)],
    ["took", took(run)],
    ["late", run.lateness_ms == null ? "" : formatDuration(run.lateness_ms)],
    ["attempts", run.attempts ?? ""],
    ["enqueued job", run.job_id ?? ""],
  ].filter(([, v]) => v !== "" && v != null);
  setHtml($("run-detail-facts"), facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join(""));
  const error = run.error || "";
  $("run-error").textContent = error;
  $("run-error").hidden = !error;
  $("run-error-head").hidden = !error;
  $("run-error-head").textContent = outcome === "skipped" ? "why it was skipped" : "error";
  const payload = run.payload == null ? "" : JSON.stringify(run.payload, null, 2);
  $("run-payload").textContent = payload;
  $("run-payload").hidden = !payload;
  $("run-payload-head").hidden = !payload;
  section.querySelector('[data-action="retry"]').disabled = !run.run_id;
  section.querySelector('[data-action="cancel"]').disabled = !run.run_id || Boolean(run.finished_at) || outcome === "skipped";
}

function renderQueues() {
  const rows = state.queues.map((queue) => ({
    key: queue.name,
    attrs: { "data-queue": queue.name },
    cells: [
      `<code>${escapeHtml(queue.name)}</code>`,
      escapeHtml(queue.pending),
      escapeHtml(queue.scheduled),
      escapeHtml(queue.running),
      escapeHtml(queue.limit ?? ""),
      queue.oldest_pending
        ? `<span title="${escapeHtml(queue.oldest_pending)}">${escapeHtml(formatTime(queue.oldest_pending))} <span class="muted">(${escapeHtml(relative(queue.oldest_pending))})</span></span>`
        : "",
    ],
  }));
  syncRows($("queues-body"), rows, { columns: 6, text: "no queues" });
}

function renderExplainJobs() {
  const select = $("explain-job");
  const names = state.jobs.map((job) => job.name);
  const current = Array.from(select.options).map((option) => option.value);
  if (names.join("\n") === current.join("\n")) return;
  const chosen = select.value;
  select.innerHTML = names.map((name) => `<option value="${escapeHtml(name)}">${escapeHtml(name)}</option>`).join("");
  if (names.includes(chosen)) select.value = chosen;
}

// ---------------------------------------------------------------------------------------------
// Interaction

function select(name) {
  if (state.selected !== name) {
    state.selected = name;
    state.older = [];
    state.nextBefore = null;
  }
  $("explain-job").value = name;
  render();
  refresh();
}

function findRun(key) {
  for (const runs of state.runs.values()) {
    const run = runs.find((r) => runKey(r) === key);
    if (run) return run;
  }
  return state.older.find((r) => runKey(r) === key) || null;
}

function showRun(run) {
  if (!run) return;
  if (run.job && state.selected !== run.job && state.jobs.some((job) => job.name === run.job)) {
    select(run.job);
  }
  state.run = run;
  render();
  $("run-detail").scrollIntoView({ block: "nearest" });
}

async function explain(name, atIso) {
  const answer = $("explain-answer");
  answer.dataset.verdict = "";
  answer.classList.remove("error");
  answer.textContent = "asking…";
  try {
    const body = await getJson(`${jobPath(name)}/explain?at=${encodeURIComponent(atIso)}`);
    answer.dataset.verdict = body.verdict || "";
    answer.textContent = body.sentence || "";
    if (body.run) {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "link";
      link.textContent = "show the run";
      link.addEventListener("click", () => showRun(body.run));
      answer.append(" ", link);
    }
  } catch (error) {
    answer.classList.add("error");
    answer.textContent = error.message;
  }
}

function askWhy(run) {
  $("explain-job").value = run.job;
  $("explain-at").value = toInputValue(run.scheduled_at);
  explain(run.job, run.scheduled_at);
  $("explain").scrollIntoView({ block: "nearest" });
}

function startReschedule(job) {
  select(job.name);
  $("reschedule-expression").value = job.schedule ? job.schedule.expression.replace(/^every\s+/, "") : "";
  $("reschedule-zone").value = job.schedule && job.schedule.timezone ? job.schedule.timezone : "";
  $("reschedule-expression").focus();
}

function onJobsClick(event) {
  const row = event.target.closest("tr[data-job]");
  if (!row) return;
  const name = row.dataset.job;
  const job = state.jobs.find((j) => j.name === name);
  const mark = event.target.closest("[data-key]");
  const button = event.target.closest("[data-action]");
  if (mark) {
    showRun(findRun(mark.dataset.key));
    return;
  }
  if (!button) {
    select(name);
    return;
  }
  event.preventDefault();
  const path = jobPath(name);
  switch (button.dataset.action) {
    case "select":
      select(name);
      break;
    case "trigger":
      perform(`trigger ${name}`, "POST", `${path}/trigger`, undefined, (a) => `triggered ${name}: run ${a.run_id}`);
      break;
    case "pause":
      perform(`pause ${name}`, "POST", `${path}/pause`, undefined, () => `paused ${name}`);
      break;
    case "resume":
      perform(`resume ${name}`, "POST", `${path}/resume`, undefined, () => `resumed ${name}`);
      break;
    case "reschedule":
      if (job) startReschedule(job);
      break;
    default:
      break;
  }
}

function onReschedule(event) {
  event.preventDefault();
  const name = state.selected;
  if (!name) return;
  const expression = $("reschedule-expression").value.trim().replace(/^every\s+/, "");
  const zone = $("reschedule-zone").value.trim();
  if (!expression) {
    say("reschedule: enter a cron expression or an interval such as 10s", "error");
    return;
  }
  // An interval is digits and units only (`10s`, `1h30m`); anything else is read as cron.
  const body = /^(\d+(ms|s|m|h|d))+$/.test(expression)
    ? { every: expression }
    : { cron: expression, ...(zone ? { timezone: zone } : {}) };
  perform(`reschedule ${name}`, "PUT", `${jobPath(name)}/schedule`, body, (job) => `rescheduled ${name}: ${job.schedule ? job.schedule.words : "on demand"}`);
}

function onRunAction(event) {
  const button = event.target.closest("[data-action]");
  if (!button || !state.run) return;
  const run = state.run;
  switch (button.dataset.action) {
    case "retry":
      perform(`retry run ${run.run_id}`, "POST", `api/runs/${encodeURIComponent(run.run_id)}/retry`, undefined,
        (a) => (a.run_id ? `retried as run ${a.run_id}` : `retry enqueued as job ${a.job_id}`));
      break;
    case "cancel":
      perform(`cancel run ${run.run_id}`, "POST", `api/runs/${encodeURIComponent(run.run_id)}/cancel`, undefined, () => `cancelled run ${run.run_id}`);
      break;
    case "why":
      askWhy(run);
      break;
    case "close-run":
      state.run = null;
      render();
      break;
    default:
      break;
  }
}

function onExplain(event) {
  event.preventDefault();
  const name = $("explain-job").value;
  const at = fromInputValue($("explain-at").value);
  if (!name || !at) {
    const answer = $("explain-answer");
    answer.classList.add("error");
    answer.dataset.verdict = "";
    answer.textContent = "pick a job and an instant";
    return;
  }
  explain(name, at);
}

function showZone() {
  $("zone").value = state.zone;
  $("explain-zone").textContent = zoneName();
}

function start() {
  $("token").value = state.token;
  $("token").addEventListener("input", (event) => {
    state.token = event.target.value.trim();
    // The session's tab only, never a cookie: closing the tab forgets it.
    sessionStorage.setItem("jobs.token", state.token);
  });
  showZone();
  $("zone").addEventListener("change", (event) => {
    const at = fromInputValue($("explain-at").value);
    state.zone = event.target.value;
    sessionStorage.setItem("jobs.zone", state.zone);
    showZone();
    if (at) $("explain-at").value = toInputValue(at);
    render();
  });
  $("window").value = String(state.windowSeconds);
  $("window").addEventListener("change", (event) => {
    state.windowSeconds = Number(event.target.value);
    sessionStorage.setItem("jobs.window", event.target.value);
    render();
  });
  $("jobs-body").addEventListener("click", onJobsClick);
  $("job-timeline").addEventListener("click", (event) => {
    const mark = event.target.closest("[data-key]");
    if (mark) showRun(findRun(mark.dataset.key));
  });
  $("runs-body").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-key]");
    if (row) showRun(findRun(row.dataset.key));
  });
  $("runs-older").addEventListener("click", async () => {
    if (!state.selected || !state.nextBefore) return;
    try {
      const page = await getJson(`${jobPath(state.selected)}/runs?limit=${RUNS}&before=${encodeURIComponent(state.nextBefore)}`);
      state.older = state.older.concat(page.runs || []);
      state.nextBefore = page.next_before;
      render();
    } catch (error) {
      say(`older runs: ${error.message}`, "error");
    }
  });
  $("reschedule").addEventListener("submit", onReschedule);
  $("run-detail").addEventListener("click", onRunAction);
  $("explain-form").addEventListener("submit", onExplain);
  $("explain-at").value = toInputValue(new Date(Math.floor(Date.now() / 1000) * 1000).toISOString());
  refresh();
  setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
}

start();
