// The web map of hotref serve (/map): the published hotspots of the run the service
// publishes, styled as the QGIS styles draw them (src/publish/styles.cpp), over the
// bundled districts (no base map from outside). Every request carries the user's
// bearer token, as the API wants it; the token comes from the form or from the
// address's #token=... (never sent to the server in the URL) and is kept for the tab.
"use strict";

(function () {
  const HOT = { fill: "rgba(214,47,39,0.16)", line: "rgb(160,20,20)" };
  const BINS = [
    [3, "rgb(214,47,39)", "Hot spot, 99 % confidence"], [2, "rgb(237,117,81)", "Hot spot, 95 % confidence"],
    [1, "rgb(250,185,132)", "Hot spot, 90 % confidence"], [-1, "rgb(192,204,190)", "Cold spot, 90 % confidence"],
    [-2, "rgb(132,158,186)", "Cold spot, 95 % confidence"], [-3, "rgb(69,117,181)", "Cold spot, 99 % confidence"],
  ];
  const state = { token: "", map: null, hotspots: [], evaluation: {}, markers: [], selected: null };
  const $ = (id) => document.getElementById(id);

  function setStatus(text, error) {
    $("status").textContent = text;
    $("status").className = error ? "error" : "";
  }

  function readToken() {
    const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (m) {
      sessionStorage.setItem("hotref-token", decodeURIComponent(m[1]));
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    return sessionStorage.getItem("hotref-token") || "";
  }

  // A request to the service, relative to the map's own address (so a prefix in front works).
  async function api(path, accept) {
    const headers = { Accept: accept || "application/json" };
    if (state.token) {
      headers.Authorization = "Bearer " + state.token;
    }
    const res = await fetch(new URL(path, window.location.href), { headers });
    if (!res.ok) {
      let message = res.status + " " + res.statusText;
      try {
        const body = await res.json();
        message = body.message || message;
      } catch (e) { /* not JSON */ }
      const err = new Error(message);
      err.status = res.status;
      throw err;
    }
    return res;
  }

  // A POST (or PATCH) of JSON; the answer's body either way, so that the API's own error reaches the user.
  async function send(path, method, body) {
    const headers = { Accept: "application/json", "Content-Type": "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    const res = await fetch(new URL(path, window.location.href), { method, headers, body: JSON.stringify(body) });
    let answer = {};
    try { answer = await res.json(); } catch (e) { /* not JSON */ }
    return { ok: res.ok, status: res.status, answer };
  }

  async function features(collection) {
    const out = [];
    let next = "collections/" + collection + "/items?limit=1000";
    for (let page = 0; next && page < 50; page++) {
      const fc = await (await api(next, "application/geo+json")).json();
      out.push(...fc.features);
      const link = (fc.links || []).find((l) => l.rel === "next");
      next = link ? link.href : null;
    }
    return { type: "FeatureCollection", features: out };
  }

  function number(v, digits) {
    if (v === null || v === undefined || v === "") return "withheld";
    if (typeof v !== "number") return String(v);
    return v.toLocaleString("en-GB", { maximumFractionDigits: digits === undefined ? 0 : digits });
  }

  function row(table, label, value) {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = label;
    tr.appendChild(th);
    tr.insertCell().textContent = value;
  }

  function section(card, title) {
    const div = document.createElement("div");
    div.className = "section";
    div.textContent = title;
    card.appendChild(div);
    const table = document.createElement("table");
    card.appendChild(table);
    return table;
  }

  function showCard(code) {
    const f = state.hotspots.find((h) => h.properties.code === code);
    if (!f) return;
    const p = f.properties;
    state.selected = code;
    const card = $("card");
    card.replaceChildren();
    const h3 = document.createElement("h3");
    h3.textContent = "#" + p.rank + " " + (p.name || p.code);
    card.appendChild(h3);
    const counts = section(card, "Counts (" + p.period_from + " to " + p.period_to + ")");
    row(counts, "Code", p.code);
    row(counts, "Incidents", number(p.incidents));
    row(counts, "Share of the force", p.share == null ? "withheld" : number(100 * p.share, 1) + " %");
    row(counts, "Per km\u00b2", number(p.density_km2, 1));
    row(counts, "PAI", number(p.pai, 1));
    if (p.confidence != null) row(counts, "Gi* confidence", p.confidence + " %");
    const trend = section(card, "Trend");
    row(trend, "Trend", p.trend_class ? p.trend_class + (p.trend ? " (" + p.trend + ")" : "") : (p.trend || "none"));
    const patrol = section(card, "Patrol windows");
    row(patrol, "When", p.patrol_windows || "in the bulletin for its top hotspots only");
    const ij = section(card, "Immediate Justice referrals");
    row(ij, "Referrals", p.ij_referrals == null ? "none linked or withheld" : number(p.ij_referrals));
    row(ij, "Contacted in 48 h", p.ij_contacted_48h_pct == null ? "withheld" : number(p.ij_contacted_48h_pct) + " %");
    row(ij, "Completed", p.ij_completed_pct == null ? "withheld" : number(p.ij_completed_pct) + " %");
    row(ij, "Not reoffended", p.ij_not_reoffended_pct == null ? "withheld" : number(p.ij_not_reoffended_pct) + " %");
    row(ij, "Victims satisfied", p.ij_victim_satisfied_pct == null ? "withheld" : number(p.ij_victim_satisfied_pct) + " %");
    row(ij, "Onward support", p.ij_onward_pct == null ? "withheld" : number(p.ij_onward_pct) + " %");
    row(ij, "AQA unit gained", p.ij_qualified_pct == null ? "withheld" : number(p.ij_qualified_pct) + " %");
    row(ij, "Interpreter", p.ij_interpreter_pct == null ? "withheld" : number(p.ij_interpreter_pct) + " %");
    row(ij, "Learnt about the impact", p.ij_learnt_pct == null ? "withheld" : number(p.ij_learnt_pct) + " %");
    const e = state.evaluation[code];
    if (e) {
      const ev = section(card, "Evaluation (" + e.before + " vs " + e.after + ")");
      row(ev, "Change", e.percent_change == null ? "withheld" : number(e.percent_change, 1) + " %");
      row(ev, "WDQ", e.wdq_reading || "withheld");
    }
    card.hidden = false;
    for (const li of $("list").children) li.classList.toggle("selected", li.dataset.code === code);
    for (const m of state.markers) m.getElement().classList.toggle("selected", m.getElement().dataset.code === code);
    state.map.setFilter("hotspots-selected", ["==", ["get", "code"], code]);
  }

  // A point to put a hotspot's number on: the middle of its outer ring's vertices.
  function labelPoint(geometry) {
    const ring = geometry.type === "MultiPolygon" ? geometry.coordinates[0][0] : geometry.coordinates[0];
    let x = 0, y = 0;
    for (const c of ring) { x += c[0]; y += c[1]; }
    return [x / ring.length, y / ring.length];
  }

  function addMarkers() {
    for (const f of state.hotspots) {
      const el = document.createElement("div");
      el.className = "hotspot-number";
      el.dataset.code = f.properties.code;
      el.textContent = String(f.properties.rank);
      el.title = "#" + f.properties.rank + " " + (f.properties.name || f.properties.code);
      el.addEventListener("click", (ev) => { ev.stopPropagation(); showCard(f.properties.code); });
      state.markers.push(new maplibregl.Marker({ element: el }).setLngLat(labelPoint(f.geometry)).addTo(state.map));
    }
  }

  // District names as HTML labels (MapLibre's own text needs glyph files, which are not bundled).
  function addDistrictNames(districts) {
    if (!districts) return;
    for (const f of districts.features) {
      const p = f.properties;
      if (typeof p.label_lon !== "number") continue;
      const el = document.createElement("div");
      el.className = "district-name";
      el.textContent = p.name;
      new maplibregl.Marker({ element: el }).setLngLat([p.label_lon, p.label_lat]).addTo(state.map);
    }
  }

  function fillList() {
    const list = $("list");
    list.replaceChildren();
    for (const f of state.hotspots) {
      const li = document.createElement("li");
      li.dataset.code = f.properties.code;
      li.textContent = (f.properties.name || f.properties.code) + " (" + number(f.properties.incidents) + ")";
      li.addEventListener("click", () => showCard(f.properties.code));
      list.appendChild(li);
    }
  }

  // The legend: what is drawn, and of the Gi* classes only those the map holds.
  function legend(cells) {
    const div = $("legend");
    div.replaceChildren();
    const entries = [[HOT.fill, HOT.line, "Hotspot (numbered by rank)"], ["#ffffff", "rgb(120,120,120)", "District"]];
    const bins = new Set(cells ? cells.features.map((f) => f.properties.bin) : []);
    for (const b of BINS) if (bins.has(b[0])) entries.push([b[1], b[1], b[2]]);
    for (const [fill, line, text] of entries) {
      const r = document.createElement("div");
      r.className = "legend-row";
      const s = document.createElement("span");
      s.className = "legend-swatch";
      s.style.background = fill;
      s.style.borderColor = line;
      r.appendChild(s);
      r.appendChild(document.createTextNode(text));
      div.appendChild(r);
    }
  }

  function addLayers(data) {
    const map = state.map;
    const add = (id, fc) => map.addSource(id, { type: "geojson", data: fc });
    if (data.districts) {
      add("districts", data.districts);
      map.addLayer({ id: "districts", type: "fill", source: "districts", paint: { "fill-color": "#ffffff" } });
      map.addLayer({ id: "districts-line", type: "line", source: "districts",
                     paint: { "line-color": "rgb(120,120,120)", "line-width": 1 } });
    }
    if (data.area) {
      add("study-area", data.area);
      map.addLayer({ id: "study-area", type: "line", source: "study-area",
                     paint: { "line-color": "rgb(90,90,90)", "line-width": 2 } });
    }
    if (data.cells) {
      add("cells", data.cells);
      const colour = ["match", ["get", "bin"]];
      for (const b of BINS) colour.push(b[0], b[1]);
      colour.push("rgb(238,238,238)");
      map.addLayer({ id: "cells", type: "fill", source: "cells", paint: { "fill-color": colour, "fill-opacity": 0.75 } });
    }
    add("hotspots", { type: "FeatureCollection", features: state.hotspots });
    map.addLayer({ id: "hotspots", type: "fill", source: "hotspots", paint: { "fill-color": HOT.fill } });
    map.addLayer({ id: "hotspots-line", type: "line", source: "hotspots",
                   paint: { "line-color": HOT.line, "line-width": 2 } });
    map.addLayer({ id: "hotspots-selected", type: "line", source: "hotspots", filter: ["==", ["get", "code"], ""],
                   paint: { "line-color": "#000000", "line-width": 4 } });
    map.on("click", "hotspots", (e) => { if (e.features.length) showCard(e.features[0].properties.code); });
    map.on("mouseenter", "hotspots", () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "hotspots", () => { map.getCanvas().style.cursor = ""; });
  }

  function bounds(fc) {
    const b = new maplibregl.LngLatBounds();
    const walk = (c) => { if (typeof c[0] === "number") b.extend(c); else c.forEach(walk); };
    for (const f of fc.features) if (f.geometry) walk(f.geometry.coordinates);
    return b;
  }

  async function optional(id, known) {
    return known.has(id) ? features(id) : null;
  }

  async function loadData() {
    const landing = await (await api("./")).json();
    const cols = (await (await api("collections")).json()).collections;
    const known = new Set(cols.map((c) => c.id));
    if (!known.has("hotspots")) throw new Error("the service publishes no hotspots yet (" + landing.description + ")");
    const hotspots = await features("hotspots");
    const [districts, area, cells, evaluation] = await Promise.all(
      [optional("districts", known), optional("study-area", known), optional("cells-significant", known),
       optional("evaluation", known)]);
    const meta = cols.find((c) => c.id === "hotspots");
    let runs = [], servedRun = 0;
    try {
      const list = await (await api("v1/runs")).json();
      runs = list.runs;
      servedRun = list.served_run;
    } catch (e) { /* the selector shows the served run only */ }
    return { landing, meta, hotspots, districts, area, cells, evaluation, runs, servedRun };
  }

  function runLabel(r) {
    return "run " + r.id + " (" + r.method + "): " + r.period_from + " to " + r.period_to +
      (r.served ? " \u2013 current" : "");
  }

  // The run selector: every run the service can show (GET /v1/runs), the served one first selected.
  function showRun(data) {
    const p = data.hotspots.features.length ? data.hotspots.features[0].properties : {};
    const select = $("run");
    select.replaceChildren();
    const runs = data.runs && data.runs.length ? data.runs
      : [{ id: p.run_id, method: p.method, period_from: p.period_from, period_to: p.period_to,
           hotspots: data.hotspots.features.length, served: true }];
    for (const r of runs.slice().reverse()) {
      const option = document.createElement("option");
      option.value = String(r.id);
      option.textContent = r.id ? runLabel(r) : "no run published";
      option.selected = !!r.served;
      select.appendChild(option);
    }
    state.servedRun = data.servedRun || p.run_id;
    window.hotrefRun = state.servedRun;
    $("period").textContent = p.categories ? p.categories : "";
    $("classification").textContent = data.meta.classification || "";
    $("attribution").textContent = data.landing.description || "";
  }

  // Another run's hotspots (GET /v1/runs/ID/hotspots): the map, numbers, list and card follow.
  async function switchRun(id) {
    try {
      setStatus("Loading run " + id + "\u2026");
      const fc = await (await api("v1/runs/" + id + "/hotspots", "application/geo+json")).json();
      state.hotspots = fc.features;
      state.map.getSource("hotspots").setData({ type: "FeatureCollection", features: state.hotspots });
      for (const m of state.markers) m.remove();
      state.markers = [];
      addMarkers();
      fillList();
      $("card").hidden = true;
      state.map.setFilter("hotspots-selected", ["==", ["get", "code"], ""]);
      // The Gi* cells are the served run's: shown with it only.
      if (state.map.getLayer("cells")) {
        state.map.setLayoutProperty("cells", "visibility", Number(id) === state.servedRun ? "visible" : "none");
      }
      const r = fc.run || {};
      setStatus("Run " + id + " (" + (r.period_from || "") + " to " + (r.period_to || "") + "): " +
                state.hotspots.length + " hotspots; click one for its card.");
      window.hotrefRun = Number(id);
    } catch (e) {
      setStatus("Cannot load run " + id + ": " + e.message, true);
    }
  }

  // The referral form, for caseworkers: what the API takes (hotref.v1.ReferralInput, JSON).
  function referralBody(form) {
    const body = {};
    for (const el of form.elements) {
      if (!el.name || el.value.trim() === "") continue;
      const v = el.value.trim();
      if (el.name === "incident_refs") body[el.name] = v.split(",").map((s) => s.trim()).filter((s) => s);
      else if (el.name === "easting" || el.name === "northing") body[el.name] = /^-?[0-9.]+$/.test(v) ? Number(v) : v;
      else if (el.name === "first_time_entrant") body[el.name] = v === "true";
      else body[el.name] = v;
    }
    return body;
  }

  async function submitReferral(ev) {
    ev.preventDefault();
    const form = $("referral-form");
    const out = $("referral-result");
    for (const el of form.elements) el.classList.remove("invalid");
    const r = await send("v1/referrals", "POST", referralBody(form));
    if (r.ok) {
      out.className = "ok";
      out.textContent = "Referral " + r.answer.reference + " " + (r.answer.result || "created") + ".";
      form.reset();
      return;
    }
    // The API's words, each problem naming its field; those fields are marked.
    const details = r.answer.details || [];
    out.className = "error";
    out.textContent = (r.answer.message || ("refused (" + r.status + ")")) + (details.length ? ": " + details.join("; ") : "");
    for (const d of details) {
      const field = form.elements.namedItem(d.split(":")[0].trim());
      if (field && field.classList) field.classList.add("invalid");
    }
  }

  async function showReferralForm() {
    try {
      const me = await (await api("v1/me")).json();
      if (me.role !== "caseworker") return;
      $("referral").hidden = false;
      $("referral-form").addEventListener("submit", submitReferral);
    } catch (e) { /* no token, or an old service: no form */ }
  }

  function start(data) {
    state.hotspots = data.hotspots.features;
    state.evaluation = {};
    if (data.evaluation) for (const f of data.evaluation.features) state.evaluation[f.properties.code] = f.properties;
    showRun(data);
    const extent = bounds(data.area || data.hotspots);
    state.map = new maplibregl.Map({
      container: "map",
      style: { version: 8, sources: {}, layers: [{ id: "background", type: "background",
                                                   paint: { "background-color": "#e8e6df" } }] },
      bounds: extent, fitBoundsOptions: { padding: 20 }, attributionControl: false,
    });
    state.map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
    state.map.addControl(new maplibregl.ScaleControl({ unit: "metric" }));
    state.map.on("load", () => {
      addLayers(data);
      addDistrictNames(data.districts);
      addMarkers();
      fillList();
      legend(data.cells);
      setStatus(state.hotspots.length + " hotspots; click one for its card.");
      state.map.once("idle", () => { window.hotrefReady = true; });
    });
    window.hotrefMap = state.map;
  }

  // Opens what the service answers (with the token) in a new tab.
  async function openDocument(path, accept) {
    try {
      const blob = await (await api(path, accept)).blob();
      window.open(URL.createObjectURL(blob), "_blank");
    } catch (e) {
      setStatus("Cannot open " + path + ": " + e.message, true);
    }
  }

  async function openEvaluation() {
    try {
      const list = await (await api("v1/evaluations")).json();
      const all = list.evaluations || [];
      if (!all.length) throw new Error("no evaluation in the store yet (hotref evaluate)");
      await openDocument("v1/evaluations/" + all[all.length - 1].id, "application/json");
    } catch (e) {
      setStatus("Cannot open the evaluation: " + e.message, true);
    }
  }

  async function main() {
    state.token = readToken();
    $("bulletin-html").addEventListener("click", () => openDocument("v1/bulletins/latest?f=html", "text/html"));
    $("bulletin-pdf").addEventListener("click", () => openDocument("v1/bulletins/latest?f=pdf", "application/pdf"));
    $("evaluation").addEventListener("click", openEvaluation);
    $("run").addEventListener("change", (ev) => switchRun(ev.target.value));
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem("hotref-token", $("token").value.trim());
      window.location.reload();
    });
    try {
      start(await loadData());
      await showReferralForm();
    } catch (e) {
      setStatus(e.status === 401 ? "This needs a token: enter yours above (hotref token create)." :
                "Cannot load the hotspots: " + e.message, true);
      window.hotrefError = e.message;
    }
  }

  main();
})();
