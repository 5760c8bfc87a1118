/* anitrakt background jobs: the banner every page shows while a sync job runs, and the
   /sync page's Run buttons, which start jobs (POST /api/jobs) and follow them to their
   report. Polls our API only; no inline script (the CSP refuses it). */
"use strict";

const JOB_POLL_MS = 1000;      // while a job this page started or shows is running
const BANNER_IDLE_MS = 10000;  // looking for a job started elsewhere (another tab, the API)

async function jobApi(url, options = {}) {
  const headers = { Accept: "application/json" };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["X-CSRF-Token"] = document.querySelector('meta[name="csrf-token"]').content;
  }
  try {
    const res = await fetch(url, {
      method: options.body === undefined ? "GET" : "POST", headers, credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { ok: res.ok, status: res.status, body: data };
  } catch (e) {
    return { ok: false, status: 0, body: { error: "network error: " + e.message } };
  }
}

/** "Full sync (dry run): posting 200/431 — waiting 30 s for Trakt: …" */
function jobText(job) {
  const name = job.mode.charAt(0).toUpperCase() + job.mode.slice(1) + " sync" + (job.dryRun ? " (dry run)" : "");
  if (job.state === "queued") return name + ": queued";
  if (job.state === "running") return name + ": " + (job.progress ? job.progress.text : "starting");
  return name + ": " + job.state;
}

function showJobProgress(el, job) {
  el.textContent = "";
  const p = document.createElement("p");
  p.textContent = jobText(job);
  el.append(p);
  const step = job.progress;
  if (step && step.total) {
    const bar = document.createElement("progress");
    bar.max = step.total; bar.value = step.done || 0;
    bar.setAttribute("aria-label", step.phase);
    el.append(bar);
  }
}

/* -- the banner (every page) ------------------------------------------------------ */
function initJobBanner() {
  const banner = document.getElementById("job-banner");
  if (!banner) return;
  const text = banner.querySelector(".job-text");
  const bar = banner.querySelector("progress");
  async function tick() {
    const res = await jobApi("/api/jobs?state=active");
    const job = res.ok && res.body.items.length ? res.body.items[res.body.items.length - 1] : null;
    banner.hidden = !job;
    if (job) {
      text.textContent = jobText(job);
      const step = job.progress;
      bar.hidden = !(step && step.total);
      if (step && step.total) { bar.max = step.total; bar.value = step.done || 0; }
    }
    setTimeout(tick, job ? JOB_POLL_MS : BANNER_IDLE_MS);
  }
  tick();
}

/* -- /sync: Run starts a job and follows it --------------------------------------- */
/** Follow job `url` in `out` until it ends; then show its report as a run's answer. */
async function followJob(url, out) {
  for (;;) {
    const res = await jobApi(url);
    if (!res.ok) { showRun(out, res); return; }
    const job = res.body;
    if (job.state === "succeeded" || job.state === "failed") {
      const ok = job.state === "succeeded";
      const report = job.report || {};
      showRun(out, ok ? { ok, status: 200, body: report }
        : { ok, status: 200, body: { error: (report.message || job.error || "the job failed"), details: report } });
      out.dataset.jobState = job.state;
      return;
    }
    out.dataset.jobState = job.state;
    showJobProgress(out, job);
    await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS));
  }
}

/** Start a `mode` sync job (dry run when the page's box is ticked) and follow it in `out`. */
async function runJob(mode, out) {
  const dryRun = document.getElementById("dry-run").checked;
  out.textContent = "Starting…";
  const res = await jobApi("/api/jobs", { body: { mode, dryRun } });
  if (!res.ok) { showRun(out, res); return; }
  await followJob(res.body.url, out);
}

/** After a reload: a job still running shows its progress in its own section again. */
async function resumeJobs() {
  const res = await jobApi("/api/jobs?state=active");
  if (!res.ok) return;
  res.body.items.forEach((job) => {
    const out = document.getElementById(job.mode + "-result");
    const run = document.getElementById(job.mode + "-run");
    if (out && run) busy(run, () => followJob("/api/jobs/" + job.id, out));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  initJobBanner();
  if (document.body.dataset.page === "sync") resumeJobs();
});
