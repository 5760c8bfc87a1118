/* anitrakt UI: thin glue between the pages and the /api routes. No framework, no network
   beyond this server. Every write sends the page's CSRF token in X-CSRF-Token. */
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const csrf = () => $('meta[name="csrf-token"]').content;

/** fetch JSON from our API; resolves to {ok, status, body}. Never throws on HTTP errors. */
async function api(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const res = await fetch(url, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401 && !url.startsWith("/api/trakt")) { location.href = "/login?next=" + encodeURIComponent(location.pathname); }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { ok: res.ok, status: res.status, body: data };
  } catch (e) {
    return { ok: false, status: 0, body: { error: "network error: " + e.message } };
  }
}

/** A count for people, the way the viewer's locale writes it: 18,265. */
const num = (n) => (typeof n === "number" ? n.toLocaleString() : String(n ?? ""));
/** An ISO instant in the viewer's local time with the zone, or "Never". */
function localTime(iso) {
  if (!iso) return "Never";
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  // dateStyle/timeStyle cannot be combined with timeZoneName (Chromium throws a TypeError).
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
}
function localizeTimes(root = document) {
  root.querySelectorAll("time[data-local]").forEach((t) => { t.textContent = localTime(t.getAttribute("datetime")); });
}
function timeEl(iso) {
  const t = document.createElement("time");
  if (iso) { t.dateTime = iso; }
  t.textContent = localTime(iso);
  return t;
}
/** A title with its cover thumbnail (served by this app, `/covers/{id}`) when one is cached. */
function titled(text, cover) {
  const span = document.createElement("span");
  span.className = "titled";
  if (cover) {
    const img = document.createElement("img");
    img.className = "cover"; img.src = cover; img.alt = ""; img.loading = "lazy";
    img.width = 32; img.height = 46;
    span.append(img);
  }
  span.append(text instanceof Node ? text : document.createTextNode(text ?? ""));
  return span;
}
function cell(row, content) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content); else td.textContent = content ?? "";
  row.append(td);
  return td;
}
function button(label, attrs = {}) {
  const b = document.createElement("button");
  b.type = "button"; b.textContent = label;
  for (const [k, v] of Object.entries(attrs)) b.setAttribute(k, v);
  return b;
}
function say(el, text, ok = true) {
  el.textContent = text;
  el.classList.toggle("error", !ok);
  el.classList.toggle("ok", ok);
}
function errorText(res) {
  // Field errors come all at once, each in words (`details.fields`, see web/errors.py).
  const fields = res.body && res.body.details && res.body.details.fields;
  if (fields && fields.length) return fields.map((f) => f.message).join("; ");
  return (res.body && res.body.error) || "request failed (HTTP " + res.status + ")";
}
/** Run `work` with the button disabled and its neighbouring spinner showing. */
async function busy(btn, work) {
  const spin = btn.parentElement.querySelector(".spinner");
  btn.disabled = true; btn.setAttribute("aria-busy", "true"); if (spin) spin.hidden = false;
  try { return await work(); } finally { btn.disabled = false; btn.removeAttribute("aria-busy"); if (spin) spin.hidden = true; }
}
/** Links to the entry on AniList and the show (or movie) on Trakt, opened in a new tab. */
function outLink(href, text) {
  const a = document.createElement("a");
  a.href = href; a.textContent = text; a.target = "_blank"; a.rel = "noopener noreferrer";
  return a;
}
const anilistLink = (id, text) => outLink("https://anilist.co/anime/" + encodeURIComponent(id), text ?? String(id));
const traktLink = (id, type, text) => outLink("https://trakt.tv/search/trakt/" + encodeURIComponent(id) + "?id_type=" + (type === "movie" ? "movie" : "show"), text ?? String(id));
function logsLink() {
  const a = document.createElement("a"); a.href = "/logs"; a.textContent = "See the log"; return a;
}

/* -- dashboard ------------------------------------------------------------------ */
function initDashboard() {
  document.querySelectorAll("button.update").forEach((btn) => {
    btn.addEventListener("click", () => busy(btn, async () => {
      const src = btn.dataset.source, out = $("#result-" + src);
      say(out, "Updating…");
      const res = await api(btn.dataset.url, { method: "POST" });
      if (!res.ok) { say(out, errorText(res), false); return; }
      const check = await api(btn.dataset.url + "?check=1");
      if (check.ok) {
        $("#count-" + src).textContent = num(check.body.count);
        const last = $("#last-refresh-" + src);
        last.setAttribute("datetime", check.body.lastSync || ""); last.textContent = localTime(check.body.lastSync);
        const act = $("#last-activity-" + src);
        if (act) { act.setAttribute("datetime", check.body.lastActivity || ""); act.textContent = localTime(check.body.lastActivity); }
        const built = $("#generated-on-" + src);
        if (built) { built.setAttribute("datetime", check.body.generatedOn || ""); built.textContent = localTime(check.body.generatedOn); }
      }
      say(out, res.body.message || "Updated.");
    }));
  });
  const card = $("#trakt-card");
  if (card && card.dataset.connected === "true") {
    api("/api/trakt-auth").then((res) => {
      $("#trakt-username").textContent = res.ok && res.body.username ? res.body.username : "(account name unavailable)";
    });
  }
}

/* -- sync ----------------------------------------------------------------------- */
/** The run's message (it has every number once) and whether it is all good. */
function summarize(body) {
  const attention = (body.skippedUnmapped || 0) + (body.notFound ? body.notFound.length : 0) + (body.held || 0);
  return { text: body.message, attention };
}
function showRun(out, res) {
  out.textContent = "";
  const p = document.createElement("p");
  if (res.ok) {
    const sum = summarize(res.body);
    say(p, sum.text, !sum.attention);
    p.classList.toggle("error", false); p.classList.toggle("warn", !!sum.attention);
  } else { say(p, errorText(res), false); }
  p.setAttribute("data-testid", "run-summary");
  out.append(p);
  const details = res.ok ? res.body : res.body && res.body.details;
  if (details && details.unmapped && details.unmapped.length) {
    const ul = document.createElement("ul");
    details.unmapped.forEach((u) => { const li = document.createElement("li"); li.textContent = "Unmapped: " + (u.title || u.anilistId) + (u.reason ? " (" + u.reason + ")" : ""); ul.append(li); });
    out.append(ul);
  }
  if (details && details.review && details.review.length) {
    const ul = document.createElement("ul");
    details.review.forEach((r) => {
      const li = document.createElement("li");
      li.append("Held for review: " + r.title + " episodes " + r.episodesText + " (" + r.reason + ") · ");
      const a = document.createElement("a"); a.href = "/mappings#review-h"; a.textContent = "fix it";
      li.append(a); ul.append(li);
    });
    out.append(ul);
  }
  if (details && details.notFound && details.notFound.length) {
    const ul = document.createElement("ul");
    details.notFound.forEach((n) => { const li = document.createElement("li"); li.textContent = "Not found on Trakt: " + n; ul.append(li); });
    out.append(ul);
  }
  out.append(logsLink());
  // A run may have connected, refreshed or lost the Trakt account: say what is true now.
  if ($("#trakt-status")) api("/api/trakt-auth").then(traktStatus);
}
const DATED_BY = { now: "now: no completion date on AniList", updatedAt: "AniList's last update", released: "each episode's air date", activity: "AniList activity" };
const SKIP_LABELS = { unmapped: "Not posted: unmapped", pending: "Not posted yet: not on Trakt", review: "Held for review" };

function initSync() {
  $("#single-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const out = $("#single-result");
    busy($("#single-run"), async () => {
      say(out, "Working…");
      const res = await api("/api/sync?anilistId=" + encodeURIComponent($("#single-anilist").value.trim()));
      say(out, res.ok ? "AniList " + res.body.anilistId + " → Trakt " + res.body.traktId + ": " + num(res.body.count) + " episodes cached." : errorText(res), res.ok);
    });
  });
  $("#full-run").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
    await runJob("full", $("#full-result"));  // jobs.js: a background job, followed here
  }));
  document.querySelectorAll(".list-sync").forEach((section) => {
    const mode = section.dataset.mode, out = $("#" + mode + "-result");
    const body = $("#" + mode + "-table tbody");
    $("#" + mode + "-preview").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
      say(out, "Loading preview…");
      const res = await api("/api/" + mode + "-sync?preview=1");
      if (!res.ok) { say(out, errorText(res), false); return; }
      body.textContent = "";
      res.body.items.forEach((item) => {
        const tr = document.createElement("tr");
        tr.dataset.testid = "preview-" + item.anilistShowId;
        tr.setAttribute("data-testid", "preview-" + item.anilistShowId);
        cell(tr, titled(item.titleEnglish || item.titleRomaji || String(item.anilistShowId), item.cover));
        cell(tr, String(item.progress));
        cell(tr, item.willPost);
        const when = cell(tr, timeEl(item.watchedAt));
        const from = (item.watchedAtFrom || []).filter((f) => f !== "completedAt");
        if (from.length) when.append(" (" + from.map((f) => DATED_BY[f] || f).join(", ") + ")");
        body.append(tr);
      });
      (res.body.skipped || []).forEach((s) => {
        const tr = document.createElement("tr");
        tr.className = "skipped"; tr.setAttribute("data-testid", "skipped-" + s.anilistShowId);
        cell(tr, titled(s.title, s.cover)); cell(tr, s.episodes ? "episodes " + s.episodes : "");
        cell(tr, SKIP_LABELS[s.state] || s.state); cell(tr, s.reason);
        body.append(tr);
      });
      if (!res.body.items.length && !(res.body.skipped || []).length) { const tr = document.createElement("tr"); cell(tr, "Nothing to post.").colSpan = 4; body.append(tr); }
      const left = (res.body.skipped || []).length;
      say(out, num(res.body.count) + " show(s) would be posted" + (left ? "; " + left + " not posted (see why in the table)." : "."), !left);
    }));
    $("#" + mode + "-run").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
      await runJob(mode, out);  // jobs.js: a background job, followed here
    }));
  });
  initTrakt();
}

function traktStatus(res) {
  const el = $("#trakt-status");
  if (!res.ok) { say(el, errorText(res), false); return; }
  if (res.body.connected) {
    say(el, "Connected as " + (res.body.username || "(unknown)") + (res.body.expiresAt ? "; token expires " + localTime(res.body.expiresAt) : "") + ".");
  } else { say(el, "Not connected."); }
  if (res.body.url) { const a = $("#auth-url"); a.href = res.body.url; a.hidden = false; }
  const off = $("#trakt-disconnect");
  if (off) off.hidden = !(res.body.connected && res.body.source === "stored");
}
function initTrakt() {
  api("/api/trakt-auth").then(traktStatus);
  $("#trakt-disconnect").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
    if (!confirm("Disconnect the Trakt account? Syncs stop until you connect again.")) return;
    const res = await api("/api/trakt-auth", { method: "DELETE" });
    if (!res.ok) { say($("#trakt-status"), errorText(res), false); return; }
    traktStatus(res);
  }));
  let timer = null;
  $("#device-start").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
    const status = $("#device-status");
    if (timer) clearTimeout(timer);
    const res = await api("/api/trakt-auth/device", { method: "POST" });
    if (!res.ok) { say(status, errorText(res), false); return; }
    $("#device-box").hidden = false;
    $("#device-code").textContent = res.body.userCode;
    const a = $("#device-url"); a.href = res.body.verificationUrl; a.textContent = res.body.verificationUrl;
    say(status, "Waiting for you to enter the code…");
    const deadline = Date.now() + res.body.expiresIn * 1000;
    const poll = async () => {
      if (Date.now() > deadline) { say(status, "The code expired; get a new one.", false); return; }
      const p = await api("/api/trakt-auth/device");
      if (!p.ok) { say(status, errorText(p), false); return; }
      if (p.body.status === "connected") {
        say(status, "Connected as " + p.body.username + ".");
        api("/api/trakt-auth").then(traktStatus);
        return;
      }
      timer = setTimeout(poll, Math.max(1, res.body.interval) * 1000);
    };
    timer = setTimeout(poll, Math.max(1, res.body.interval) * 1000);
  }));
  $("#code-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy($("#code-submit"), async () => {
      const res = await api("/api/trakt-auth", { method: "POST", body: { code: $("#code-input").value } });
      say($("#code-result"), res.ok ? "Connected as " + res.body.username + "." : errorText(res), res.ok);
      if (res.ok) traktStatus(res);
    });
  });
}

/* -- mappings ------------------------------------------------------------------- */
const PAGE_SIZE = 25;
function initMappings() {
  const state = { manual: [], auto: [], page: { manual: 0, auto: 0 } };
  const fields = ["anilistId", "title", "traktId", "traktType", "season", "offset", "tmdbId", "imdbId", "tvdbId"];
  const matches = (row, q) => !q || ["anilistId", "title", "traktId", "tmdbId", "imdbId", "tvdbId"].some((f) => row[f] !== null && row[f] !== undefined && String(row[f]).toLowerCase().includes(q));
  function draw(kind) {
    const q = $("#mapping-search").value.trim().toLowerCase();
    const rows = state[kind].filter((r) => matches(r, q));
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
    state.page[kind] = Math.min(state.page[kind], pages - 1);
    const start = state.page[kind] * PAGE_SIZE;
    const body = $("#" + kind + "-table tbody"); body.textContent = "";
    rows.slice(start, start + PAGE_SIZE).forEach((r) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", kind + "-row-" + r.anilistId);
      fields.forEach((f) => {
        const v = r[f] === null || r[f] === undefined ? "" : String(r[f]);
        if (f === "anilistId") cell(tr, anilistLink(r.anilistId, v));
        else if (f === "traktId" && v) cell(tr, traktLink(r.traktId, r.traktType, v));
        else cell(tr, v);
      });
      if (kind === "manual") {
        const del = button("Delete", { "data-testid": "delete-" + r.anilistId, "aria-label": "Delete the manual mapping of AniList " + r.anilistId });
        del.addEventListener("click", async () => {
          if (!confirm("Delete the manual mapping of AniList " + r.anilistId + "? The next sync resolves it automatically again.")) return;
          const res = await api("/api/manual-map?anilistId=" + r.anilistId, { method: "DELETE" });
          say($("#mappings-status"), res.ok ? "Deleted the manual mapping of AniList " + r.anilistId + "." : errorText(res), res.ok);
          load();
        });
        cell(tr, del);
      }
      body.append(tr);
    });
    $("#" + kind + "-count").textContent = num(rows.length);
    $("#" + kind + "-page").textContent = "Page " + (state.page[kind] + 1) + " of " + pages;
    $("#" + kind + "-prev").disabled = state.page[kind] === 0;
    $("#" + kind + "-next").disabled = state.page[kind] >= pages - 1;
  }
  let loadSeq = 0;
  async function load() {
    const seq = ++loadSeq;
    const res = await api("/api/mappings");
    if (seq !== loadSeq) return; // a newer load started while this one waited: its answer wins
    if (!res.ok) { say($("#mappings-status"), errorText(res), false); return; }
    state.manual = res.body.manual; state.auto = res.body.auto;
    draw("manual"); draw("auto");
  }
  ["manual", "auto"].forEach((kind) => {
    $("#" + kind + "-prev").addEventListener("click", () => { state.page[kind]--; draw(kind); });
    $("#" + kind + "-next").addEventListener("click", () => { state.page[kind]++; draw(kind); });
  });
  $("#mapping-search").addEventListener("input", () => { state.page.manual = state.page.auto = 0; draw("manual"); draw("auto"); });

  let target = null;
  async function loadUnmapped() {
    const res = await api("/api/unmapped");
    const body = $("#unmapped-table tbody"); body.textContent = "";
    if (!res.ok) { say($("#mappings-status"), errorText(res), false); return; }
    res.body.items.forEach((u) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "unmapped-" + u.anilistId);
      cell(tr, anilistLink(u.anilistId)); cell(tr, titled(u.title || "", u.cover)); cell(tr, u.reason || ""); cell(tr, timeEl(u.lastSeen));
      const b = button("Find on Trakt", { "data-testid": "find-" + u.anilistId, "aria-controls": "find-panel" });
      b.addEventListener("click", () => {
        target = u.anilistId;
        $("#find-panel").hidden = false; $("#find-anilist").textContent = u.anilistId;
        $("#find-query").value = u.title || ""; $("#find-results").textContent = ""; say($("#find-result"), "");
        $("#find-query").focus();
        if (u.title) search();
      });
      cell(tr, b);
      body.append(tr);
    });
    if (!res.body.items.length) { const tr = document.createElement("tr"); cell(tr, "No unmapped entries.").colSpan = 5; body.append(tr); }
  }
  async function search() {
    const out = $("#find-result"), list = $("#find-results");
    say(out, "Searching…");
    const res = await api("/api/trakt-search?query=" + encodeURIComponent($("#find-query").value.trim()));
    list.textContent = "";
    if (!res.ok) { say(out, errorText(res), false); return; }
    res.body.forEach((hit) => {
      const li = document.createElement("li");
      const b = button("Use " + (hit.title || hit.slug) + (hit.year ? " (" + hit.year + ")" : "") + " · Trakt " + hit.traktId, { "data-testid": "pick-" + hit.traktId });
      b.addEventListener("click", () => save(hit));
      li.append(b); list.append(li);
    });
    say(out, res.body.length ? res.body.length + " result(s); pick one to save it." : "No shows found.");
  }
  async function save(hit) {
    const body = { anilistId: target, traktId: hit.traktId };
    const season = $("#find-season").value.trim(), offset = $("#find-offset").value.trim();
    if (season) body.season = season;
    if (offset) body.offset = offset;
    const res = await api("/api/manual-map", { method: "POST", body });
    if (!res.ok) { say($("#find-result"), errorText(res), false); return; }
    say($("#find-result"), "Saved: AniList " + target + " → Trakt " + hit.traktId + ". The next sync will post it.");
    load();
  }
  $("#find-form").addEventListener("submit", (ev) => { ev.preventDefault(); search(); });

  async function loadReview() {
    const res = await api("/api/review");
    const body = $("#review-table tbody"); body.textContent = "";
    if (!res.ok) { say($("#mappings-status"), errorText(res), false); return; }
    $("#review-count").textContent = num(res.body.count);
    res.body.items.forEach((r) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "review-" + r.anilistId);
      cell(tr, String(r.anilistId)); cell(tr, r.title); cell(tr, r.episodesText);
      cell(tr, r.reasons.join("; ")); cell(tr, String(r.traktId));
      const form = document.createElement("form");
      form.className = "row";
      form.setAttribute("aria-label", "Fix AniList " + r.anilistId);
      const field = (name, label) => {
        const span = document.createElement("span");
        const l = document.createElement("label"); l.textContent = label; l.htmlFor = "fix-" + name + "-" + r.anilistId;
        const input = document.createElement("input"); input.id = l.htmlFor; input.inputMode = "numeric"; input.size = 4; input.required = true;
        span.append(l, input); form.append(span); return input;
      };
      const season = field("season", "Season"), episode = field("episode", "Episode");
      const submit = document.createElement("button"); submit.type = "submit"; submit.textContent = "Episode 1 is this";
      submit.setAttribute("data-testid", "fix-" + r.anilistId);
      const result = document.createElement("p"); result.setAttribute("role", "status");
      form.append(submit, result);
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        busy(submit, async () => {
          const res2 = await api("/api/review/" + r.anilistId + "/fix", { method: "POST", body: { season: season.value.trim(), episode: episode.value.trim() } });
          say(result, res2.ok ? res2.body.message : errorText(res2), res2.ok);
          if (res2.ok) load();
        });
      });
      cell(tr, form);
      body.append(tr);
    });
    if (!res.body.items.length) { const tr = document.createElement("tr"); cell(tr, "Nothing is held for review.").colSpan = 6; body.append(tr); }
  }
  load(); loadUnmapped(); loadReview();
}

/* -- forms posting JSON with field errors ----------------------------------------- */
function showFieldErrors(form, prefix, res) {
  form.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
  const details = res.body && res.body.details;
  const list = (details && details.fields) || [];
  let shown = false;
  list.forEach((d) => {
    const el = $("#error-" + prefix + d.field);
    if (el) { el.textContent = d.message || res.body.error; shown = true; const input = $("#" + prefix + d.field); if (input) input.setAttribute("aria-invalid", "true"); }
  });
  return shown;
}
function initManual() {
  const form = $("#manual-form");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy($("#manual-submit"), async () => {
      form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
      const body = { movie: $("#movie").checked };
      ["anilistId", "traktId", "season", "offset", "tmdbId", "imdbId", "tvdbId"].forEach((f) => {
        const v = $("#" + f).value.trim();
        if (v !== "" || f === "anilistId" || f === "traktId") body[f] = v;
      });
      const res = await api("/api/manual-map", { method: "POST", body });
      const out = $("#manual-result");
      if (res.ok) {
        form.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
        const a = res.body.added;
        say(out, "Saved: AniList " + a.anilistId + " → Trakt " + a.traktId + (a.season !== null ? " season " + a.season : "") + (a.offset ? " offset " + a.offset : "") + ".");
      } else {
        const placed = showFieldErrors(form, "", res);
        if (!placed) $("#error-body").textContent = errorText(res);
        say(out, "Not saved: " + errorText(res), false);
      }
    });
  });
}

/* -- overrides ------------------------------------------------------------------ */
function initOverrides() {
  const form = $("#override-form");
  let loadSeq = 0;
  async function load() {
    const seq = ++loadSeq;
    const res = await api("/api/overrides");
    if (seq !== loadSeq) return; // a newer load started while this one waited: its answer wins
    const body = $("#overrides-table tbody"); body.textContent = "";
    if (!res.ok) { say($("#override-result"), errorText(res), false); return; }
    $("#overrides-count").textContent = num(res.body.count);
    res.body.items.forEach((o) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "override-" + o.traktId + "-" + o.abs);
      [o.traktId, o.abs, o.season, o.episode].forEach((v) => cell(tr, String(v)));
      const b = button("Remove", { "data-testid": "remove-" + o.traktId + "-" + o.abs, "aria-label": "Remove override " + o.traktId + " #" + o.abs });
      b.addEventListener("click", async () => {
        const r = await api("/api/overrides?traktId=" + o.traktId + "&abs=" + o.abs, { method: "DELETE" });
        say($("#override-result"), r.ok ? "Removed." : errorText(r), r.ok);
        load();
      });
      cell(tr, b); body.append(tr);
    });
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy($("#override-submit"), async () => {
      form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
      const body = {};
      ["traktId", "abs", "season", "episode"].forEach((f) => { body[f] = $("#ov-" + f).value.trim(); });
      const res = await api("/api/overrides", { method: "POST", body });
      if (res.ok) {
        form.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
        say($("#override-result"), "Saved: Trakt " + res.body.traktId + " #" + res.body.abs + " → S" + res.body.season + "E" + res.body.episode + ".");
        load();
      } else {
        showFieldErrors(form, "ov-", res);
        say($("#override-result"), "Not saved: " + errorText(res), false);
      }
    });
  });
  load();
}

/* -- logs ----------------------------------------------------------------------- */
const LOG_REFRESH_MS = 5000;
function initLogs() {
  const level = $("#log-level"), live = $("#log-live"), state = $("#log-state");
  let loadSeq = 0;
  async function load() {
    const seq = ++loadSeq;
    const res = await api("/api/logs" + (level.value ? "?level=" + level.value : ""));
    if (seq !== loadSeq) return; // a newer load (e.g. a filter change) wins
    if (!res.ok) { say(state, errorText(res), false); return; }
    const body = $("#log-table tbody"); body.textContent = "";
    res.body.forEach((row) => {
      const tr = document.createElement("tr");
      tr.className = "level-" + row.level;
      tr.setAttribute("data-testid", "log-" + row.id);
      tr.dataset.level = row.level;
      cell(tr, timeEl(row.created_at)); cell(tr, row.level); cell(tr, row.message);
      body.append(tr);
    });
  }
  // Refreshing re-renders the table, so only do it while the reader is at the top.
  const atTop = () => window.scrollY < 50;
  setInterval(() => {
    if (!live.checked) { state.textContent = "Live refresh off."; return; }
    if (!atTop()) { state.textContent = "Paused while you scroll; back to the top to resume."; return; }
    state.textContent = "";
    load();
  }, LOG_REFRESH_MS);
  level.addEventListener("change", load);
  load();
}

document.addEventListener("DOMContentLoaded", () => {
  localizeTimes();
  const init = { dashboard: initDashboard, sync: initSync, mappings: initMappings, manual: initManual, overrides: initOverrides, logs: initLogs }[document.body.dataset.page];
  if (init) init();
});
