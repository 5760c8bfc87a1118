/* anitrakt /library: every AniList entry with its state, one entry's episodes → Trakt
   S/E with the rule, and the fixes (map, override, reset). Uses app.js's helpers
   (api, cell, say, errorText, busy); no inline script (the CSP refuses it). */
"use strict";

function initLibrary() {
  const tbody = $("#library-table tbody");
  let rows = [];
  let current = null;

  function stateLabel(s) { return s === "ok" ? "OK" : s.charAt(0).toUpperCase() + s.slice(1); }

  function mappingText(item) {
    if (!item.mappingSource) return "—";
    const ids = [];
    if (item.traktId) ids.push("Trakt " + item.traktId + (item.season != null ? " S" + item.season + (item.offset ? " +" + item.offset : "") : ""));
    if (item.tmdbId) ids.push("TMDB " + item.tmdbId);
    if (item.tvdbId) ids.push("TVDB " + item.tvdbId);
    if (item.imdbId) ids.push("IMDb " + item.imdbId);
    return item.mappingSource + (ids.length ? ": " + ids.join(", ") : "");
  }

  function draw() {
    const q = $("#library-search").value.trim().toLowerCase();
    const state = $("#library-state").value;
    const shown = rows.filter((r) => (!state || r.state === state) &&
      (!q || r.title.toLowerCase().includes(q) || (r.titleRomaji || "").toLowerCase().includes(q)));
    tbody.textContent = "";
    shown.forEach((item) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "library-" + item.anilistId);
      const open = button(item.title, { "data-testid": "open-" + item.anilistId, class: "linklike" });
      open.addEventListener("click", () => { location.hash = String(item.anilistId); });
      cell(tr, titled(open, item.cover));
      cell(tr, item.status);
      cell(tr, item.progress + (item.episodes ? " / " + item.episodes : ""));
      cell(tr, item.lastSyncedEpisode ? "episode " + item.lastSyncedEpisode : "—");
      cell(tr, mappingText(item));
      const st = cell(tr, "");
      const badge = document.createElement("strong");
      badge.className = "state state-" + item.state.replace(" ", "-");
      badge.textContent = stateLabel(item.state);
      st.append(badge, " ", item.why);
      tbody.append(tr);
    });
    if (!shown.length) { const tr = document.createElement("tr"); cell(tr, rows.length ? "No entry matches." : "Your AniList list is empty.").colSpan = 6; tbody.append(tr); }
    $("#library-count").textContent = shown.length;
  }

  async function load() {
    const res = await api("/api/library");
    const status = $("#library-counts");
    if (!res.ok) { say(status, errorText(res), false); return; }
    rows = res.body.items;
    const c = res.body.states;
    say(status, rows.length + " entries: " + c.ok + " OK, " + c.pending + " pending, " + c["needs review"] + " need review, " + c.unmapped + " unmapped.");
    draw();
  }

  function outcomeText(line, synced) {
    if (line.outcome === "post") return synced ? "on Trakt" : "will post";
    if (line.outcome === "pending") return "pending (not on Trakt yet)";
    return "held for review";
  }

  async function openDetail(id) {
    const box = $("#library-detail");
    box.hidden = false;
    $("#detail-h").textContent = "AniList " + id + "…";
    const res = await api("/api/library/" + encodeURIComponent(id));
    const body = $("#detail-episodes tbody");
    body.textContent = "";
    $("#detail-sources").textContent = "";
    if (!res.ok) { say($("#detail-state"), errorText(res), false); current = null; return; }
    const d = res.body, e = d.entry, x = d.explanation;
    current = d;
    $("#detail-h").textContent = e.title;
    $("#detail-anilist").href = e.anilistUrl;
    const trakt = $("#detail-trakt");
    trakt.hidden = !e.traktUrl; if (e.traktUrl) trakt.href = e.traktUrl;
    say($("#detail-state"), stateLabel(e.state) + ": " + e.why, e.state !== "unmapped" && e.state !== "needs review");
    $("#detail-mapping").textContent = x.mapping ? "Mapping: " + x.mapping : (x.reason ? "Not mapped: " + x.reason : "");
    $("#detail-disagreement").textContent = x.disagreement || "";
    const synced = new Set(d.synced);
    x.episodes.forEach((line) => {
      const tr = document.createElement("tr");
      tr.setAttribute("data-testid", "episode-" + line.anilistEpisode);
      cell(tr, String(line.anilistEpisode));
      cell(tr, line.trakt);
      cell(tr, outcomeText(line, synced.has(line.anilistEpisode)));
      cell(tr, line.rule || "");
      cell(tr, line.detail || "");
      body.append(tr);
    });
    x.sources.forEach((s) => { const li = document.createElement("li"); li.textContent = s.source + " says " + s.says; $("#detail-sources").append(li); });
    $("#fix-trakt").value = e.traktId || "";
    $("#fix-season").value = e.season ?? "";
    $("#fix-offset").value = e.offset ?? "";
    ["#fix-map-result", "#fix-override-result", "#fix-reset-result"].forEach((s) => { $(s).textContent = ""; });
    $("#fix-reset-confirm").hidden = true;
    box.scrollIntoView();
  }

  async function refresh(message, out) {
    const id = current && current.entry.anilistId;
    await load();
    if (id) await openDetail(id);
    say(out, message);
  }

  $("#fix-map").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!current) return;
    const out = $("#fix-map-result");
    busy($("#fix-map-submit"), async () => {
      const body = { anilistId: current.entry.anilistId, traktId: $("#fix-trakt").value.trim() };
      if ($("#fix-season").value.trim()) body.season = $("#fix-season").value.trim();
      if ($("#fix-offset").value.trim()) body.offset = $("#fix-offset").value.trim();
      const res = await api("/api/manual-map", { method: "POST", body });
      if (!res.ok) { say(out, errorText(res), false); return; }
      await refresh("Saved: the next sync uses this mapping.", out);
    });
  });
  $("#fix-override").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!current) return;
    const out = $("#fix-override-result");
    const traktId = current.entry.traktId || current.explanation.traktId;
    if (!traktId) { say(out, "Map the entry to a Trakt show first.", false); return; }
    busy($("#fix-override-submit"), async () => {
      const res = await api("/api/overrides", { method: "POST", body: {
        traktId, abs: $("#fix-abs").value.trim(), season: $("#fix-o-season").value.trim(), episode: $("#fix-o-episode").value.trim() } });
      if (!res.ok) { say(out, errorText(res), false); return; }
      await refresh("Override saved.", out);
    });
  });
  $("#fix-reset").addEventListener("click", () => { $("#fix-reset-confirm").hidden = false; $("#fix-reset-yes").focus(); });
  $("#fix-reset-no").addEventListener("click", () => { $("#fix-reset-confirm").hidden = true; $("#fix-reset").focus(); });
  $("#fix-reset-yes").addEventListener("click", (ev) => busy(ev.currentTarget, async () => {
    if (!current) return;
    const out = $("#fix-reset-result");
    const res = await api("/api/library/" + current.entry.anilistId + "/reset-progress", { method: "POST" });
    $("#fix-reset-confirm").hidden = true;
    if (!res.ok) { say(out, errorText(res), false); return; }
    await refresh(res.body.message, out);
  }));

  $("#library-search").addEventListener("input", draw);
  $("#library-state").addEventListener("change", draw);
  window.addEventListener("hashchange", () => { const id = location.hash.slice(1); if (id) openDetail(id); });
  load().then(() => { const id = location.hash.slice(1); if (id) openDetail(id); });
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.body.dataset.page === "library") initLibrary();
});
