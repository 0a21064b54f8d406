// blocsim serve: the page. Edits build an alternative (start scenario, events, --set lines, runs,
// seed); each edit, debounced, is posted to /api/run, which replaces this tab's running job (other
// tabs' jobs are their own: ours waits its turn). Progress arrives as server-sent events from
// /api/events; the final event is comparison.json itself. One state machine (badge()) says what
// the numbers on the page are: input error, queued, running, provisional, final, cancelled,
// failed or disconnected.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const DEBOUNCE_MS = 400;
// This tab's name: its jobs are its own (crypto.getRandomValues works on plain http too).
const TAB = [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("");

let setup = null;          // GET /api/setup
let events = [];           // [{enabled, event}] of the current start scenario
let original = [];         // the start scenario's events as it ships
let sliderSets = {};       // key -> {value, mode: "fix" | "shift"} for moved sliders
let job = null;            // the job whose news we show
let reply = null;          // the POST /api/run answer of that job
let last = null;           // last progress event of that job
let finalDoc = null;       // parsed final comparison.json of that job
let family = "final_share";
let timer = null;
let restoring = false;
const seen = new Map();     // job -> {progress, final, ...}: news that came before the job's reply
// The badge's state: the input's error (if any), the connection, and our job's own state.
const ui = { input: null, lost: false, state: "waiting", text: "" };

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function sv(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
const pp = (x) => (x >= 0 ? "+" : "−") + Math.abs(100 * x).toFixed(1);
const pct = (x) => (100 * x).toFixed(1);
const color = (k) => setup.colors[k] || "#000000";

// ---- the alternative -------------------------------------------------------------------------

function strengthKey(ev) {
  return { set: ev.value !== undefined ? "value" : "scale", partnership: "affinity",
           export_control: "penalty", force: "lock_years" }[ev.kind];
}
function statesKey(ev) {
  return ev.kind === "export_control" ? "exempt" : (ev.states !== undefined ? "states" : null);
}
function describe(ev) {
  const bits = [];
  if (ev.path) bits.push(ev.path);
  if (ev.framework) bits.push(ev.framework);
  if (ev.domains) bits.push(ev.domains.join(", "));
  if (ev.when) bits.push("when " + ev.when.framework + " " + ev.when.domain + (ev.when.above !== undefined ? " > " + ev.when.above : " < " + ev.when.below));
  if (ev.duration) bits.push(ev.duration + " years");
  if (ev.until) bits.push("until " + ev.until);
  return bits.join(" · ");
}

function renderEvents() {
  const box = $("events");
  box.textContent = "";
  if (!events.length) {
    box.appendChild(el("p", { class: "muted small" }, "This scenario has no events of its own."));
    return;
  }
  events.forEach((e, i) => {
    const ev = e.event;
    const card = el("div", { class: "event" + (e.enabled ? "" : " off"), id: "event-" + i });
    const head = el("label", { class: "event-head" });
    const on = el("input", { type: "checkbox", id: "event-on-" + i });
    on.checked = e.enabled;
    on.addEventListener("change", () => { e.enabled = on.checked; card.classList.toggle("off", !on.checked); changed(); });
    head.append(on, el("strong", {}, ev.kind.replace("_", " ")), el("span", { class: "muted small" }, " " + describe(ev)));
    card.appendChild(head);
    const fields = el("div", { class: "event-fields" });
    const num = (label, key, step) => {
      const l = el("label", {}, label + " ");
      const inp = el("input", { type: "number", step, id: "event-" + key + "-" + i });
      inp.value = ev[key];
      inp.addEventListener("input", () => {
        const v = inp.value === "" ? undefined : Number(inp.value);
        if (v === undefined) delete ev[key]; else ev[key] = v;
        changed();
      });
      l.appendChild(inp);
      fields.appendChild(l);
    };
    if (ev.year !== undefined) num("year", "year", "1");
    const sk = strengthKey(ev);
    if (sk && ev[sk] !== undefined) num(sk.replace("_", " "), sk, "any");
    const stk = statesKey(ev);
    if (stk) {
      const l = el("label", { class: "wide" }, stk + " ");
      const inp = el("input", { type: "text", spellcheck: "false", id: "event-" + stk + "-" + i });
      inp.value = (ev[stk] || []).join(", ");
      inp.addEventListener("input", () => {
        ev[stk] = inp.value.split(",").map((s) => s.trim()).filter((s) => s);
        changed();
      });
      l.appendChild(inp);
      fields.appendChild(l);
    }
    card.appendChild(fields);
    card.appendChild(el("p", { class: "field-error", id: "err-events-" + i }));
    box.appendChild(card);
  });
}

// A drawn parameter's distribution moved so that its centre is at v (lognormal: scaled so that
// its median is v), as a TOML inline table for --set; null when it cannot be.
function shifted(s, v) {
  const d = Object.assign({}, s.dist), delta = v - s.value, r = (x) => Number(x.toPrecision(12));
  switch (d.dist) {
    case "uniform": d.low = r(d.low + delta); d.high = r(d.high + delta); break;
    case "triangular": d.low = r(d.low + delta); d.mode = r(d.mode + delta); d.high = r(d.high + delta); break;
    case "normal": d.mean = r(d.mean + delta); break;
    case "lognormal": if (v <= 0) return null; d.mu = r(d.mu + Math.log(v / s.value)); break;
    case "beta": d.low = r((d.low ?? 0) + delta); d.high = r((d.high ?? 1) + delta); break;
    default: return null;
  }
  return "{ " + Object.entries(d).map(([k, x]) => k + " = " + (typeof x === "string" ? JSON.stringify(x) : x)).join(", ") + " }";
}

// The --set line of a moved slider: its value, or (drawn, mode "shift") its shifted distribution.
function sliderLine(s, m) {
  if (s.drawn && m.mode === "shift") {
    const t = shifted(s, m.value);
    if (t) return s.key + "=" + t;
  }
  return s.key + "=" + m.value;
}

function sliderText(s, m) {
  if (!m) return s.drawn ? "drawn: " + s.drawn : String(s.value);
  if (!s.drawn) return String(m.value);
  const t = m.mode === "shift" ? shifted(s, m.value) : null;
  return t ? "shifted, still drawn: " + t.replace(/[{}]/g, "").trim() : "fixed at " + m.value + " (no longer drawn)";
}

function renderSliders() {
  const box = $("sliders");
  box.textContent = "";
  setup.sliders.forEach((s, i) => {
    const row = el("div", { class: "slider", id: "slider-" + s.key.replaceAll(".", "-") });
    const label = el("label", { for: "range-" + i }, s.label);
    const range = el("input", { type: "range", id: "range-" + i, min: s.low, max: s.high, step: s.step, "data-key": s.key });
    const val = el("output", { id: "value-" + i });
    const reset = el("button", { type: "button", class: "link", title: "back to the scenario's value" }, "reset");
    // A drawn parameter: the slider either shifts its distribution (keeps its uncertainty) or fixes it.
    const mode = el("select", { id: "mode-" + i, class: "mode", title: "what moving this slider does to a drawn parameter" });
    mode.append(el("option", { value: "shift" }, "shift the distribution"), el("option", { value: "fix" }, "fix at the value"));
    const show = () => {
      const m = sliderSets[s.key];
      range.value = m ? m.value : s.value;
      val.textContent = sliderText(s, m);
      val.title = val.textContent;
      row.classList.toggle("moved", !!m);
      reset.hidden = !m;
      if (m) mode.value = m.mode;
    };
    range.addEventListener("input", () => { sliderSets[s.key] = { value: Number(range.value), mode: mode.value }; show(); changed(); });
    mode.addEventListener("change", () => { if (sliderSets[s.key]) { sliderSets[s.key].mode = mode.value; changed(); } show(); });
    reset.addEventListener("click", () => { delete sliderSets[s.key]; show(); changed(); });
    show();
    row.append(label, range, val, reset);
    if (s.drawn) row.append(mode);
    row.append(el("p", { class: "field-error", id: "err-slider-" + i }));
    box.appendChild(row);
  });
}

function setLines() {
  return $("sets").value.split("\n").map((s) => s.trim()).filter((s) => s);
}

// The moved sliders' --set lines, in the order the server numbers them (sets[0], sets[1], ...).
function sliderLines() {
  return Object.entries(sliderSets).map(([k, m]) => sliderLine(setup.sliders.find((x) => x.key === k), m));
}

function spec() {
  const sets = sliderLines().concat(setLines());
  const s = { start: $("start").value, events: events.map((e) => ({ enabled: e.enabled, event: e.event })), sets };
  const name = $("name").value.trim();
  if (name) s.name = name;
  for (const id of ["runs", "seed"]) {
    const v = $(id).value.trim();
    // Whole numbers beyond 2^53 go as their digits (a JSON number would be rounded on the way).
    if (v !== "") s[id] = /^[0-9]+$/.test(v) && !Number.isSafeInteger(Number(v)) ? v : /^-?[0-9.eE+]+$/.test(v) ? Number(v) : v;
  }
  return s;
}

function loadStart(name, keepEvents) {
  const w = setup.whatifs.find((x) => x.name === name);
  original = w ? w.events : [];
  $("start-description").textContent = w ? w.description : setup.description;
  if (!keepEvents) events = original.map((e) => ({ enabled: true, event: JSON.parse(JSON.stringify(e)) }));
  renderEvents();
}

function clearErrors() {
  document.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
  document.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
}

// The server's message in plain words: without the command line's "error: " and the exported
// file's name, which the page never showed.
function plain(message) {
  return String(message).replace(/^error: /, "").replace(/^[A-Za-z0-9_-]+\.toml: /, "");
}

// Show an error beside the field it belongs to: a slider's row, a line of "Any key", an event's
// card, runs, seed, name, start, or (else) under the whole alternative.
function showError(field, message) {
  let target = null;
  message = plain(message);
  let m = /^sets\[(\d+)\]$/.exec(field);
  if (m) {
    const keys = Object.keys(sliderSets), i = Number(m[1]);
    if (i < keys.length) {
      const n = setup.sliders.findIndex((x) => x.key === keys[i]);
      $("slider-" + keys[i].replaceAll(".", "-")).classList.add("invalid");
      target = $("err-slider-" + n);
    } else {
      $("sets").classList.add("invalid");
      target = $("err-sets");
      message = "line " + (i - keys.length + 1) + ": " + message;
    }
  }
  m = /^events\[(\d+)\]$/.exec(field);
  if (m) { target = $("err-events-" + m[1]); const c = $("event-" + m[1]); if (c) c.classList.add("invalid"); }
  if (!target) target = $("err-" + field) || $("err-alternative");
  const input = $(field);
  if (input && (input.tagName === "INPUT" || input.tagName === "SELECT")) input.classList.add("invalid");
  target.textContent = message;
}

function changed() {
  if (restoring) return;
  document.body.dataset.pending = "1";
  clearTimeout(timer);
  timer = setTimeout(submit, DEBOUNCE_MS);
}

// The page's address holds the alternative and the sliders' modes (not the tab).
function saveHash(s) {
  const state = { s, sliders: sliderSets };
  history.replaceState(null, "", "#s=" + btoa(unescape(encodeURIComponent(JSON.stringify(state)))).replaceAll("+", "-").replaceAll("/", "_"));
}

async function submit() {
  delete document.body.dataset.pending;
  const s = spec();
  saveHash(s);
  let r, body;
  try {
    r = await fetch("/api/run", { method: "POST", headers: { "Content-Type": "application/json", "X-Blocsim-Token": setup.token }, body: JSON.stringify(Object.assign({ tab: TAB }, s)) });
    body = await r.json();
  } catch (e) {
    ui.lost = true;
    badge();
    return;
  }
  clearErrors();
  if (r.status === 503) {
    // The server's queue is full: nothing is wrong with the input; try again later.
    ui.input = null;
    jobState("cancelled", plain(body.message) + " (press “run again”)");
    return;
  }
  if (r.status !== 202) {
    showError(body.field, body.message);
    $("export").disabled = true;
    ui.input = body.field;
    badge();
    return;
  }
  ui.input = null;
  job = body.job;
  reply = body;
  document.body.dataset.job = job;
  last = null;
  finalDoc = null;
  $("command").value = body.command;
  $("export").disabled = false;
  // What was drawn for the previous alternative no longer describes this one.
  if (watched) { watched = null; renderWatch(); $("watch-note").textContent = "The alternative changed: load a run of the new result."; }
  const stale = " — drawn for an earlier edit of the alternative: press Draw again";
  if (respDoc && !$("resp-status").textContent.endsWith(stale)) $("resp-status").textContent += stale;
  const cached = body.cached_baseline_runs >= body.runs ? " (baseline cached)" : "";
  $("bar-fill").style.width = "0%";
  jobState("running", "job " + job + ": " + body.name + " vs " + setup.baseline + ", " + body.runs + " runs, seed " + body.seed + cached);
  const early = seen.get(job) || {};
  if (early.queued) onQueued(early.queued);
  if (early.progress) onProgress(early.progress);
  if (early.final) onFinal(early.final);
  if (early.cancelled) onCancelled(early.cancelled);
  if (early.failed) onFailed(early.failed);
}

// ---- the badge ---------------------------------------------------------------------------------

const BADGE = { waiting: "waiting", queued: "queued", running: "running", provisional: "provisional", final: "final",
  cancelled: "cancelled", failed: "failed", invalid: "input error", disconnected: "disconnected" };

// Our job's own state and its line of text.
function jobState(state, text) {
  ui.state = state;
  if (text !== undefined) ui.text = text;
  badge();
}

// What the badge says: a lost connection first, then an input error, then the job's state.
function badge() {
  let state = ui.state, text = ui.text;
  if (ui.lost) {
    state = "disconnected";
    text = "no answer from the server: the numbers below are the last ones received; the page reconnects by itself and reruns this alternative";
  } else if (ui.input) {
    state = "invalid";
    text = "fix the input marked in red; the numbers below are still those of job " + (job ?? "—") + (ui.state === "final" ? "" : " (" + ui.state + ")");
  }
  document.body.dataset.state = state;
  $("status").textContent = BADGE[state] || state;
  $("status").className = "badge " + state;
  $("progress-text").textContent = text;
  $("pin").disabled = state !== "final";
  $("watch-load").disabled = state !== "final";
}

function rows(doc, which) {
  return doc.outcomes.filter((o) => which(o.family));
}

function renderTable(doc, provisional) {
  const tb = $("table").querySelector("tbody");
  tb.textContent = "";
  for (const o of rows(doc, (m) => m === family)) {
    const tr = el("tr", { "data-outcome": o.outcome, "data-family": o.family, "data-domain": o.domain, "data-framework": o.framework,
      "data-diff-mean": String(o.diff_mean), "data-ci-low": String(o.ci_low), "data-ci-high": String(o.ci_high),
      "data-p-higher": String(o.p_higher) });
    const sw = el("td");
    sw.append(el("span", { class: "swatch", style: "background:" + color(setup.frameworks.indexOf(o.framework)) }), document.createTextNode(o.framework));
    const sig = o.ci_low > 0 || o.ci_high < 0;
    tr.append(el("td", {}, o.domain), sw, el("td", {}, pct(o.baseline_mean)), el("td", {}, pct(o.alternative_mean)),
      el("td", { class: sig ? "strong" : "" }, pp(o.diff_mean)), el("td", {}, "[" + pp(o.ci_low) + ", " + pp(o.ci_high) + "]"),
      el("td", {}, o.p_higher.toFixed(2)));
    tb.appendChild(tr);
  }
  for (const id of ["table", "indices", "movers"]) $(id).classList.toggle("provisional", provisional);
  const ti = $("indices").querySelector("tbody");
  ti.textContent = "";
  for (const o of rows(doc, (m) => m === "fragmentation_by_domain" || m === "fragmentation" || m === "hedging")) {
    const f = (x) => x.toFixed(3);
    const s = (x) => (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(3);
    ti.appendChild(Object.assign(el("tr", { "data-outcome": o.outcome, "data-domain": o.domain, "data-diff-mean": String(o.diff_mean) }), {}));
    ti.lastChild.append(el("td", {}, o.outcome), el("td", {}, o.domain || "all"), el("td", {}, f(o.baseline_mean)),
      el("td", {}, f(o.alternative_mean)), el("td", {}, s(o.diff_mean)), el("td", {}, "[" + s(o.ci_low) + ", " + s(o.ci_high) + "]"),
      el("td", {}, o.p_higher.toFixed(2)));
  }
  const tm = $("movers").querySelector("tbody");
  tm.textContent = "";
  const fw = setup.frameworks;
  const probs = (p) => fw.map((k) => p[k].toFixed(2)).join(" / ");
  for (const s of doc.most_shifted_states.slice(0, 10)) {
    if (s.shift === 0) break;
    tm.appendChild(el("tr"));
    tm.lastChild.append(el("td", {}, s.name + " (" + s.state + ")"), el("td", {}, s.domain), el("td", {}, s.shift.toFixed(2)),
      el("td", {}, probs(s.baseline)), el("td", {}, probs(s.alternative)));
  }
  if (!tm.children.length) tm.appendChild(el("tr", {}, "")).appendChild(el("td", { colspan: 5, class: "muted" }, "no state moves"));
  $("movers").querySelector("thead th:nth-child(4)").textContent = "baseline (" + fw.join(" / ") + ")";
  $("movers").querySelector("thead th:nth-child(5)").textContent = "alternative (" + fw.join(" / ") + ")";
  $("title-names").textContent = doc.alternative + " vs " + doc.baseline + ", " + doc.runs + " runs, seed " + doc.seed;
  $("provisional-note").textContent = provisional ? "Provisional: computed from the runs done so far." : "";
  renderForest(doc);
}

function renderForest(doc) {
  const box = $("forest");
  box.textContent = "";
  const os = rows(doc, (m) => m === family);
  if (!os.length) return;
  const W = 900, rowH = 16, top = 8, left = 110, right = 20, H = top + os.length * rowH + 34;
  let lo = Math.min(0, ...os.map((o) => o.ci_low)), hi = Math.max(0, ...os.map((o) => o.ci_high));
  if (hi - lo < 1e-3) { lo -= 0.005; hi += 0.005; }
  const pad = (hi - lo) * 0.05; lo -= pad; hi += pad;
  const x = (v) => left + (v - lo) / (hi - lo) * (W - left - right);
  const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": "paired differences with 95% intervals" });
  const tick = niceTicks(100 * lo, 100 * hi, 6);
  for (const t of tick) {
    svg.append(sv("line", { x1: x(t / 100), x2: x(t / 100), y1: top, y2: H - 28, class: t === 0 ? "zero" : "grid" }));
    svg.append(sv("text", { x: x(t / 100), y: H - 16, class: "tick", "text-anchor": "middle" }, (t > 0 ? "+" : "") + t));
  }
  svg.append(sv("text", { x: (left + W - right) / 2, y: H - 2, class: "axis", "text-anchor": "middle" }, "alternative − baseline (percentage points)"));
  os.forEach((o, i) => {
    const y = top + i * rowH + rowH / 2;
    const c = color(setup.frameworks.indexOf(o.framework));
    svg.append(sv("text", { x: left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, o.domain + " · " + o.framework));
    svg.append(sv("line", { x1: x(o.ci_low), x2: x(o.ci_high), y1: y, y2: y, stroke: c, "stroke-width": 2.5 }));
    svg.append(sv("circle", { cx: x(o.diff_mean), cy: y, r: 3.5, fill: c }));
  });
  box.appendChild(svg);
}

// An SVG path through points [x, y] (pixels).
function pathOf(points) {
  return points.map(([x, y], i) => (i ? "L" : "M") + x.toFixed(1) + "," + y.toFixed(1)).join("");
}

// A vertical axis title, centred on the plot between `top` and `bottom` (pixels).
function yTitle(svg, top, bottom, text) {
  const mid = (top + bottom) / 2;
  svg.append(sv("text", { x: 12, y: mid, class: "axis", "text-anchor": "middle", transform: `rotate(-90 12 ${mid})` }, text));
}

function niceTicks(lo, hi, n) {
  const span = hi - lo || 1;
  const raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p, step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out.map((t) => Number(t.toPrecision(6)));
}

// The world map in `box`: each state filled by `look(i)` = {fill, opacity, title}.
function drawMap(box, look, label) {
  const m = setup.map;
  const svg = sv("svg", { viewBox: `${-m.width / 2} ${-m.height / 2} ${m.width} ${m.height}`, width: "100%", role: "img", "aria-label": label });
  setup.states.forEach(([id], i) => {
    const l = look(i);
    let shape = null;
    if (m.paths[id]) shape = sv("path", { d: m.paths[id], fill: l.fill, "fill-opacity": l.opacity, stroke: "#ffffff", "stroke-width": 0.4 });
    else if (m.dots[id]) shape = sv("circle", { cx: m.dots[id][0], cy: m.dots[id][1], r: 2.2, fill: l.fill, "fill-opacity": l.opacity, stroke: "#999", "stroke-width": 0.3 });
    if (shape) { shape.append(sv("title", {}, l.title)); svg.append(shape); }
  });
  box.appendChild(svg);
  return svg;
}

function renderMap() {
  const box = $("map");
  box.textContent = "";
  const row = last ? last.map[mapDomain()] : null;
  let max = 0;
  if (row) for (const r of row) if (r && r[0] > max) max = r[0];
  drawMap(box, (i) => {
    const [id, name] = setup.states[i], moves = row && row[i] && row[i][0] > 0;
    return {
      fill: moves ? color(row[i][1]) : "#e8e8e8",
      opacity: moves ? 0.15 + 0.85 * row[i][0] / Math.max(max, 1e-9) : 1,
      title: row && row[i] ? `${name} (${id}): shift ${row[i][0].toFixed(2)}, ${setup.frameworks[row[i][1]]} gains most` : `${name} (${id})`,
    };
  }, "world map of shifts");
  const legend = el("p", { class: "legend small" });
  setup.frameworks.forEach((f, k) => {
    legend.append(el("span", { class: "swatch", style: "background:" + color(k) }), document.createTextNode(f + " gains  "));
  });
  legend.append(document.createTextNode(row ? `· deepest colour = shift ${max.toFixed(2)} · domain: ${mapDomain()}` : "· no result yet"));
  box.appendChild(legend);
}

// "largest change": the domain whose states shift most in all, and the share that moves most.
function mapDomain() {
  const v = $("map-domain").value;
  if (v || !last) return v || setup.domains[0];
  let best = setup.domains[0], top = -1;
  for (const d of setup.domains) {
    const t = last.map[d].reduce((a, r) => a + (r ? r[0] : 0), 0);
    if (t > top) { top = t; best = d; }
  }
  return best;
}
function fanCell() {
  let d = $("fan-domain").value, k = $("fan-framework").value;
  const doc = finalDoc || (last && last.comparison);
  if ((!d || !k) && doc) {
    const os = doc.outcomes.filter((o) => o.family === "final_share" && (!d || o.domain === d) && (!k || o.framework === k));
    const o = os.sort((a, b) => Math.abs(b.diff_mean) - Math.abs(a.diff_mean))[0];
    if (o) { d = o.domain; k = o.framework; }
  }
  return [setup.domains.indexOf(d || setup.domains[0]), setup.frameworks.indexOf(k || setup.frameworks[0])];
}

function renderFan() {
  const box = $("fan");
  box.textContent = "";
  const W = 460, H = 280, L = 52, R = 24, T = 12, B = 40;
  const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": "fan chart" });
  const years = setup.years, D = setup.domains.length, K = setup.frameworks.length;
  const [d, k] = fanCell();
  // The vertical range follows the bands shown (a share of states, in %).
  let lo = 0, hi = 1;
  if (last) {
    const vals = [];
    for (const b of [last.bands.baseline, last.bands.alternative]) {
      years.forEach((_, t) => { const q = b[(t * D + d) * K + k]; vals.push(q[0], q[2]); });
    }
    lo = Math.max(0, Math.min(...vals) - 0.05); hi = Math.min(1, Math.max(...vals) + 0.05);
  }
  const x = (t) => L + t / (years.length - 1) * (W - L - R);
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  for (const v of niceTicks(100 * lo, 100 * hi, 5)) {
    svg.append(sv("line", { x1: L, x2: W - R, y1: y(v / 100), y2: y(v / 100), class: "grid" }));
    svg.append(sv("text", { x: L - 6, y: y(v / 100) + 4, class: "tick", "text-anchor": "end" }, v));
  }
  years.forEach((yr, t) => {
    if ((yr - years[0]) % 5 === 0 || t === years.length - 1) {
      svg.append(sv("text", { x: x(t), y: H - B + 16, class: "tick", "text-anchor": "middle" }, yr));
    }
  });
  svg.append(sv("text", { x: (L + W - R) / 2, y: H - 4, class: "axis", "text-anchor": "middle" }, "year"));
  yTitle(svg, T, H - B, "share of states (%)");
  if (last) {
    const band = (b, q) => years.map((_, t) => b[(t * D + d) * K + k][q]);
    const area = (b, c, op) => {
      const lo = band(b, 0), hi = band(b, 2);
      let p = pathOf(hi.map((v, t) => [x(t), y(v)]));
      p += lo.map((v, t) => "L" + x(years.length - 1 - t).toFixed(1) + "," + y(lo[years.length - 1 - t]).toFixed(1)).join("") + "Z";
      svg.append(sv("path", { d: p, fill: c, "fill-opacity": op }));
    };
    const line = (b, c, dash) => {
      const p = pathOf(band(b, 1).map((v, t) => [x(t), y(v)]));
      svg.append(sv("path", { d: p, fill: "none", stroke: c, "stroke-width": 2, "stroke-dasharray": dash }));
    };
    area(last.bands.baseline, "#888888", 0.25);
    area(last.bands.alternative, color(k), 0.25);
    line(last.bands.baseline, "#555555", "5 3");
    line(last.bands.alternative, color(k), "");
    svg.append(sv("text", { x: L + 6, y: T + 12, class: "tick" }, setup.domains[d] + " · " + setup.frameworks[k] + ": grey = baseline, colour = alternative"));
  }
  box.appendChild(svg);
}

function renderAll(provisional) {
  const doc = finalDoc || (last && last.comparison);
  if (doc) renderTable(doc, provisional);
  renderMap();
  renderFan();
}

// ---- pins ------------------------------------------------------------------------------------

let pinned = [];            // the pins as the server last listed them

function renderPins(p) {
  pinned = p.pins;
  const box = $("pins");
  box.textContent = "";
  if (!p.pins.length) box.appendChild(el("p", { class: "muted small" }, "Nothing pinned yet: pin a finished result to compare alternatives with each other."));
  if (p.duplicate_of !== undefined) box.appendChild(el("p", { class: "small", id: "pin-note" }, `This alternative (same scenario, runs and seed) is already pinned as job ${p.duplicate_of}.`));
  p.pins.forEach((pin) => {
    const row = el("div", { class: "pin", "data-job": pin.job });
    const cb = el("input", { type: "checkbox", value: pin.job, class: "pick", "aria-label": "pick " + pin.label });
    cb.addEventListener("change", pairPicked);
    const c = pin.comparison;
    const best = c.outcomes.filter((o) => o.family === "final_share").sort((a, b) => Math.abs(b.diff_mean) - Math.abs(a.diff_mean))[0];
    row.append(cb, el("strong", {}, " " + pin.label + " "), el("span", { class: "small muted" },
      `job ${pin.job}, ${c.runs} runs, seed ${c.seed}; largest: ${best.domain} ${best.framework} ${pp(best.diff_mean)} pp `));
    const un = el("button", { type: "button", class: "link" }, "unpin");
    un.addEventListener("click", async () => renderPins(await (await fetch("/api/pin?job=" + pin.job, { method: "DELETE", headers: { "X-Blocsim-Token": setup.token } })).json()));
    row.appendChild(un);
    const what = pin.changes.length ? pin.changes.join("; ") : "nothing: the baseline itself";
    row.appendChild(el("div", { class: "small changes" }, "Changes from " + setup.baseline + ": " + what));
    box.appendChild(row);
  });
  $("pair").textContent = "";
}

async function pairPicked() {
  const picked = [...document.querySelectorAll(".pick:checked")].map((c) => c.value);
  const box = $("pair");
  box.textContent = "";
  if (picked.length !== 2) { if (picked.length > 2) box.textContent = "Pick two."; return; }
  const r = await fetch(`/api/pair?a=${picked[0]}&b=${picked[1]}`);
  const d = await r.json();
  if (!r.ok) { box.appendChild(el("p", { class: "field-error" }, plain(d.message))); return; }
  const label = (j) => (pinned.find((p) => String(p.job) === String(j)) || { label: "job " + j }).label;
  const [la, lb] = [label(picked[0]), label(picked[1])];
  box.appendChild(el("p", { class: "small" }, `${lb} − ${la} (paired, ${d.runs} runs), share of states, pp:`));
  const diff = (xs) => (xs.length ? xs.join("; ") : "nothing");
  box.appendChild(el("p", { class: "small differences" }, `Only in ${la}: ${diff(d.differences.only_a)}. Only in ${lb}: ${diff(d.differences.only_b)}.`));
  pairDoc = d;
  const t = el("table", { class: "numbers", id: "pair-table" });
  t.appendChild(el("tr")).append(el("th", {}, "domain"), el("th", {}, "framework"), el("th", {}, "difference"), el("th", {}, "95% CI"), el("th", {}, "P(higher)"));
  for (const o of d.outcomes.filter((o) => o.family === "final_share")) {
    t.appendChild(el("tr")).append(el("td", {}, o.domain), el("td", {}, o.framework), el("td", {}, pp(o.diff_mean)),
      el("td", {}, "[" + pp(o.ci_low) + ", " + pp(o.ci_high) + "]"), el("td", {}, o.p_higher.toFixed(2)));
  }
  box.appendChild(t);
  box.appendChild(downloadButtons({ csv: "pair" }));
}

// ---- one run, year by year -------------------------------------------------------------------

let watched = null;         // GET /api/watch answer
let playing = null;         // the play timer

async function loadWatch() {
  if (!finalDoc) return;
  const run = $("watch-run").value.trim();
  $("err-watch").textContent = "";
  const r = await fetch(`/api/watch?job=${job}&run=${encodeURIComponent(run)}`);
  const d = await r.json();
  if (!r.ok) { $("err-watch").textContent = plain(d.message); $("watch-run").classList.add("invalid"); return; }
  $("watch-run").classList.remove("invalid");
  watched = d;
  $("watch-year").max = setup.years.length - 1;
  renderWatch();
}

function renderWatch() {
  const t = Number($("watch-year").value), d = setup.domains.indexOf($("watch-domain").value);
  $("watch-year-text").textContent = setup.years[t];
  for (const [side, id] of [["baseline", "watch-base"], ["alternative", "watch-alt"]]) {
    const box = $(id);
    box.textContent = "";
    if (!watched) continue;
    const row = watched[side][t][d];
    drawMap(box, (i) => {
      const [sid, name] = setup.states[i], k = row[i];
      return { fill: k < setup.frameworks.length ? color(k) : "#e8e8e8", opacity: 0.85,
        title: `${name} (${sid}): ${setup.frameworks[k] || "none"} in ${setup.years[t]}` };
    }, side + " in " + setup.years[t]);
  }
  renderWatchShares(t, d);
  if (watched) {
    const K = setup.frameworks.length, D = setup.domains.length, n = setup.states.length;
    const share = (c) => setup.frameworks.map((f, k) => f + " " + pct(c[(t * D + d) * K + k] / n)).join(", ");
    const moved = watched.baseline[t][d].filter((k, i) => k !== watched.alternative[t][d][i]).length;
    $("watch-note").textContent = `Job ${watched.job}, run ${watched.run} (of 0 to ${watched.runs - 1}), ${setup.domains[d]}, ${setup.years[t]}: baseline ${share(watched.baseline_counts)}; ` +
      `alternative ${share(watched.alternative_counts)} (% of states); ${moved} states differ.`;
  }
}

// That run's shares over the years (baseline dashed, alternative solid) with the year marked.
function renderWatchShares(t, d) {
  const box = $("watch-shares");
  box.textContent = "";
  if (!watched) return;
  const W = 900, H = 200, L = 52, R = 20, T = 10, B = 34;
  const years = setup.years, K = setup.frameworks.length, D = setup.domains.length, n = setup.states.length;
  const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": "shares in the watched run" });
  const x = (i) => L + i / (years.length - 1) * (W - L - R), y = (v) => T + (1 - v) * (H - T - B);
  for (const v of [0, 25, 50, 75, 100]) {
    svg.append(sv("line", { x1: L, x2: W - R, y1: y(v / 100), y2: y(v / 100), class: "grid" }));
    svg.append(sv("text", { x: L - 6, y: y(v / 100) + 4, class: "tick", "text-anchor": "end" }, v));
  }
  years.forEach((yr, i) => { if ((yr - years[0]) % 5 === 0) svg.append(sv("text", { x: x(i), y: H - B + 16, class: "tick", "text-anchor": "middle" }, yr)); });
  yTitle(svg, T, H - B, "% of states");
  for (let k = 0; k < K; k++) {
    for (const [counts, dash] of [[watched.baseline_counts, "5 3"], [watched.alternative_counts, ""]]) {
      const p = pathOf(years.map((_, i) => [x(i), y(counts[(i * D + d) * K + k] / n)]));
      svg.append(sv("path", { d: p, fill: "none", stroke: color(k), "stroke-width": 2, "stroke-dasharray": dash }));
    }
  }
  svg.append(sv("line", { x1: x(t), x2: x(t), y1: T, y2: H - B, class: "zero" }));
  svg.append(sv("text", { x: L + 6, y: T + 12, class: "tick" }, setup.domains[d] + ": dashed = baseline, solid = alternative, colour = framework"));
  box.appendChild(svg);
}

function play() {
  if (playing) { clearInterval(playing); playing = null; $("watch-play").textContent = "▶ play"; return; }
  if (!watched) return;
  const yr = $("watch-year");
  if (Number(yr.value) >= Number(yr.max)) yr.value = 0;
  $("watch-play").textContent = "❚❚ pause";
  playing = setInterval(() => {
    if (Number(yr.value) >= Number(yr.max)) { play(); return; }
    yr.value = Number(yr.value) + 1;
    renderWatch();
  }, 600);
}

// ---- response to one parameter -----------------------------------------------------------------

let respJob = null;         // the curve's job
let respAt = [];            // the curve's x positions
let respDoc = null;         // the last `response` event of that job

async function drawResponse() {
  const s = setup.sliders.find((x) => x.key === $("resp-key").value);
  $("err-response").textContent = "";
  if (!s) return;
  const [lo, hi, n] = [Number($("resp-low").value), Number($("resp-high").value), Number($("resp-points").value)];
  if (!(n >= 2 && n <= 11 && Number.isInteger(n)) || !(hi > lo)) {
    $("err-response").textContent = "expected 2 to 11 points and a range whose end is above its start";
    return;
  }
  respAt = [...Array(n).keys()].map((i) => Number((lo + (hi - lo) * i / (n - 1)).toPrecision(6)));
  const mode = (sliderSets[s.key] || {}).mode || $("mode-" + setup.sliders.indexOf(s))?.value || "fix";
  const values = respAt.map((v) => (s.drawn && mode === "shift" ? shifted(s, v) || String(v) : String(v)));
  const alternative = Object.assign(spec(), { tab: TAB });
  alternative.runs = Number($("resp-runs").value);
  const r = await fetch("/api/response", { method: "POST", headers: { "Content-Type": "application/json", "X-Blocsim-Token": setup.token },
    body: JSON.stringify({ alternative, key: s.key, values }) });
  const d = await r.json();
  if (!r.ok) {
    const m = /^values\[(\d+)\]$/.exec(d.field);
    $("err-response").textContent = (m ? `at ${respAt[m[1]]}: ` : d.field === "runs" ? "runs: " : "") + plain(d.message);
    return;
  }
  respJob = d.job;
  respDoc = null;
  $("resp-status").textContent = `job ${d.job}: ${values.length} values × ${d.runs} runs, seed ${d.seed}…`;
  renderResponse();
}

function onResponse(d) {
  if (d.job !== respJob) return;
  respDoc = d;
  $("resp-status").textContent = `job ${d.job}: ${d.done} of ${d.total} values done` + (d.done === d.total ? " (final)" : "");
  renderResponse();
}

function renderResponse() {
  const box = $("response");
  box.textContent = "";
  const name = $("resp-outcome").value, share = name.startsWith("final_");
  const W = 900, H = 260, L = 60, R = 20, T = 12, B = 40;
  const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": "response curve" });
  const pts = respDoc ? respDoc.points.map((p, i) => {
    const o = p.outcomes.find((r) => r[0] === name);
    return o ? { x: respAt[i], m: o[1], lo: o[2], hi: o[3] } : null;
  }).filter((p) => p) : [];
  if (!respAt.length) { box.appendChild(el("p", { class: "muted small" }, "No curve yet.")); return; }
  const scale = share ? 100 : 1;
  let lo = Math.min(0, ...pts.map((p) => p.lo)), hi = Math.max(0, ...pts.map((p) => p.hi));
  if (hi - lo < 1e-6) { lo -= 0.005; hi += 0.005; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const x0 = respAt[0], x1 = respAt[respAt.length - 1];
  const x = (v) => L + (v - x0) / (x1 - x0) * (W - L - R), y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  for (const t of niceTicks(scale * lo, scale * hi, 5)) {
    svg.append(sv("line", { x1: L, x2: W - R, y1: y(t / scale), y2: y(t / scale), class: t === 0 ? "zero" : "grid" }));
    svg.append(sv("text", { x: L - 6, y: y(t / scale) + 4, class: "tick", "text-anchor": "end" }, (t > 0 ? "+" : "") + t));
  }
  for (const t of niceTicks(x0, x1, 6)) svg.append(sv("text", { x: x(t), y: H - B + 16, class: "tick", "text-anchor": "middle" }, t));
  const s = setup.sliders.find((q) => q.key === $("resp-key").value);
  if (s && s.value >= x0 && s.value <= x1) {
    svg.append(sv("line", { x1: x(s.value), x2: x(s.value), y1: T, y2: H - B, class: "grid", "stroke-dasharray": "4 3" }));
  }
  svg.append(sv("text", { x: (L + W - R) / 2, y: H - 4, class: "axis", "text-anchor": "middle" }, (s ? s.label + " (" + s.key + ")" : "value") + "; dashed: the scenario's value"));
  yTitle(svg, T, H - B, share ? "alternative − baseline (pp)" : "alternative − baseline");
  if (pts.length) {
    svg.append(sv("path", { d: pathOf(pts.map((p) => [x(p.x), y(p.m)])), fill: "none", stroke: "#0072b2", "stroke-width": 2 }));
    for (const p of pts) {
      svg.append(sv("line", { x1: x(p.x), x2: x(p.x), y1: y(p.lo), y2: y(p.hi), stroke: "#0072b2", "stroke-width": 2 }));
      svg.append(sv("circle", { cx: x(p.x), cy: y(p.m), r: 3.5, fill: "#0072b2" }));
    }
  }
  box.appendChild(svg);
}

function outcomeOptions() {
  const sel = $("resp-outcome");
  const keep = sel.value;
  sel.textContent = "";
  for (const fam of ["final_share", "final_gdp_share"]) {
    for (const d of setup.domains) for (const k of setup.frameworks) sel.appendChild(el("option", { value: `${fam}.${d}.${k}` }, `${fam === "final_share" ? "share" : "GDP share"} · ${d} · ${k}`));
  }
  for (const d of setup.domains) sel.appendChild(el("option", { value: "fragmentation_by_domain." + d }, "fragmentation · " + d));
  sel.appendChild(el("option", { value: "fragmentation" }, "fragmentation"));
  sel.appendChild(el("option", { value: "hedging" }, "hedging"));
  if (keep) sel.value = keep;
}

function responseRange() {
  const s = setup.sliders.find((x) => x.key === $("resp-key").value);
  if (!s) return;
  $("resp-low").value = s.low;
  $("resp-high").value = s.high;
}

// ---- downloads ---------------------------------------------------------------------------------

let pairDoc = null;

function csvText(header, rows) {
  const q = (v) => { const t = v === null || v === undefined ? "" : String(v); return /[",\n]/.test(t) ? '"' + t.replaceAll('"', '""') + '"' : t; };
  return [header, ...rows].map((r) => r.map(q).join(",")).join("\n") + "\n";
}

function outcomeRows(doc, keep) {
  const cols = ["outcome", "family", "domain", "framework", "baseline_mean", "alternative_mean", "diff_mean", "diff_sd", "se", "ci_low", "ci_high", "p_higher", "p_lower"];
  return [cols, doc.outcomes.filter((o) => keep(o.family)).map((o) => cols.map((c) => o[c]))];
}

// Each table's CSV: [file name, header, rows], from the exact numbers (not the rounded cells).
const CSV = {
  table: () => { const d = finalDoc || (last && last.comparison); return d && [`${d.alternative}-vs-${d.baseline}-${family}.csv`, ...outcomeRows(d, (f) => f === family)]; },
  indices: () => { const d = finalDoc || (last && last.comparison); return d && [`${d.alternative}-vs-${d.baseline}-indices.csv`, ...outcomeRows(d, (f) => !f.startsWith("final_"))]; },
  movers: () => {
    const d = finalDoc || (last && last.comparison);
    if (!d) return null;
    const fw = setup.frameworks;
    return [`${d.alternative}-vs-${d.baseline}-states.csv`, ["state", "name", "domain", "shift", ...fw.map((k) => "baseline_" + k), ...fw.map((k) => "alternative_" + k)],
      d.most_shifted_states.map((s) => [s.state, s.name, s.domain, s.shift, ...fw.map((k) => s.baseline[k]), ...fw.map((k) => s.alternative[k])])];
  },
  pair: () => pairDoc && [`${pairDoc.alternative}-vs-${pairDoc.baseline}-pinned.csv`, ...outcomeRows(pairDoc, () => true)],
  response: () => {
    if (!respDoc) return null;
    const name = $("resp-outcome").value;
    return [`response-${respDoc.key}-${name}.csv`, ["key", "value", "outcome", "diff_mean", "ci_low", "ci_high"],
      respDoc.points.map((p, i) => { const o = p.outcomes.find((r) => r[0] === name) || [name]; return [respDoc.key, respAt[i], name, o[1], o[2], o[3]]; })];
  },
  watch: () => {
    if (!watched) return null;
    const K = setup.frameworks.length, D = setup.domains.length;
    const rows = [];
    setup.years.forEach((yr, t) => setup.domains.forEach((dom, d) => setup.frameworks.forEach((k, j) => {
      const i = (t * D + d) * K + j;
      rows.push([watched.run, yr, dom, k, watched.baseline_counts[i], watched.alternative_counts[i]]);
    })));
    return [`run-${watched.run}-states-per-framework.csv`, ["run", "year", "domain", "framework", "baseline_states", "alternative_states"], rows];
  },
};

// The chart's SVG, standalone: its styles inlined and a white background.
function standalone(id) {
  const svg = $(id).querySelector("svg");
  if (!svg) return null;
  const c = svg.cloneNode(true);
  const vb = c.getAttribute("viewBox").split(" ").map(Number);
  c.setAttribute("xmlns", SVG);
  c.setAttribute("width", vb[2]);
  c.setAttribute("height", vb[3]);
  const style = document.createElementNS(SVG, "style");
  style.textContent = "text{font-family:sans-serif} text.tick{font-size:11px;fill:#444} text.axis{font-size:12px;fill:#222} line.grid{stroke:#e5e5e5} line.zero{stroke:#777}";
  const bg = sv("rect", { x: vb[0], y: vb[1], width: vb[2], height: vb[3], fill: "#ffffff" });
  c.insertBefore(bg, c.firstChild);
  c.insertBefore(style, c.firstChild);
  return new XMLSerializer().serializeToString(c);
}

function save(name, blob) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function download(kind, what) {
  const stem = (reply ? reply.name : "blocsim") + "-" + what;
  if (kind === "csv") {
    const t = CSV[what]();
    if (t) save(t[0], new Blob([csvText(t[1], t[2])], { type: "text/csv" }));
    return;
  }
  const text = standalone(what);
  if (!text) return;
  if (kind === "svg") { save(stem + ".svg", new Blob([text], { type: "image/svg+xml" })); return; }
  const img = new Image();
  img.onload = () => {
    const canvas = el("canvas", { width: img.width * 2, height: img.height * 2 });
    const g = canvas.getContext("2d");
    g.scale(2, 2);
    g.drawImage(img, 0, 0);
    canvas.toBlob((b) => save(stem + ".png", b), "image/png");
  };
  img.src = "data:image/svg+xml;base64," + btoa(unescape(encodeURIComponent(text)));
}

// Small buttons that download a table (csv) or a chart (svg and png).
function downloadButtons(o) {
  const span = el("span", { class: "downloads small" });
  if (o.csv) span.append(button("CSV", () => download("csv", o.csv), "dl-csv-" + o.csv));
  if (o.chart) span.append(button("SVG", () => download("svg", o.chart), "dl-svg-" + o.chart), button("PNG", () => download("png", o.chart), "dl-png-" + o.chart));
  return span;
}

function button(text, onClick, id) {
  const b = el("button", { type: "button", class: "link", id }, text);
  b.addEventListener("click", onClick);
  return b;
}

// ---- news from the server ----------------------------------------------------------------------

function listen() {
  const es = new EventSource("/api/events");
  const keep = (id, what, v) => {
    if (!seen.has(id)) seen.set(id, {});
    seen.get(id)[what] = v;
    while (seen.size > 8) seen.delete(seen.keys().next().value);
  };
  const on = (name, handler) => es.addEventListener(name, (m) => {
    const d = JSON.parse(m.data);
    keep(d.job, name, d);
    if (d.job === job) handler(d);
  });
  on("queued", onQueued);
  on("progress", onProgress);
  on("cancelled", onCancelled);
  on("failed", onFailed);
  es.addEventListener("response", (m) => onResponse(JSON.parse(m.data)));
  es.addEventListener("final", (m) => {
    // The data is comparison.json itself; the job is the event's id.
    const id = Number(m.lastEventId), doc = JSON.parse(m.data);
    keep(id, "final", doc);
    if (id === job) onFinal(doc);
  });
  es.onerror = () => { ui.lost = true; badge(); };
  es.onopen = async () => {
    if (!ui.lost) return;
    // Back after a loss: the server may have restarted (its jobs and pins gone), so ask again.
    ui.lost = false;
    try { renderPins(await (await fetch("/api/pins")).json()); } catch (e) { /* the next error says so */ }
    submit();
  };
}

function onQueued(d) {
  if (ui.state === "running" || ui.state === "waiting" || ui.state === "queued") {
    jobState("queued", `job ${d.job} waits for ${d.ahead} job${d.ahead > 1 ? "s" : ""} of other pages (job ${d.running} is running)`);
  }
}

function onProgress(d) {
  last = d;
  const fill = 100 * d.done / d.total;
  $("bar-fill").style.width = fill + "%";
  $("bar").setAttribute("aria-valuenow", Math.round(fill));
  const eta = d.done < d.total ? `, about ${Math.ceil(d.eta)} s left` : "";
  if (ui.state !== "final") jobState(d.done < d.total ? "provisional" : "running", `${d.done} / ${d.total} runs in ${d.elapsed.toFixed(1)} s${eta}`);
  renderAll(d.done < d.total);
}

function onFinal(doc) {
  finalDoc = doc;
  document.body.dataset.finalJob = job;
  $("bar-fill").style.width = "100%";
  $("bar").setAttribute("aria-valuenow", 100);
  jobState("final", `${doc.runs} / ${doc.runs} runs in ${last ? last.elapsed.toFixed(1) : "?"} s: final`);
  $("watch-run").max = doc.runs - 1;
  renderAll(false);
}

function onCancelled(d) {
  jobState("cancelled", `job ${d.job} was cancelled: ${d.reason || "the server stopped it"}. Edit anything, or press “run again”.`);
}

function onFailed(d) {
  jobState("failed", `job ${d.job} failed`);
  showError("alternative", d.message);
}

// ---- the page's address ------------------------------------------------------------------------

function restore() {
  const m = /#s=([A-Za-z0-9_\-=]+)/.exec(location.hash);
  if (!m) return false;
  try {
    const state = JSON.parse(decodeURIComponent(escape(atob(m[1].replaceAll("-", "+").replaceAll("_", "/")))));
    const s = state.s;
    restoring = true;
    $("start").value = s.start;
    loadStart(s.start, false);
    if (s.events) events = s.events.map((e) => ({ enabled: e.enabled, event: e.event }));
    renderEvents();
    sliderSets = {};
    const keys = new Set(setup.sliders.map((x) => x.key));
    for (const [k, v] of Object.entries(state.sliders || {})) if (keys.has(k)) sliderSets[k] = { value: Number(v.value), mode: v.mode === "fix" ? "fix" : "shift" };
    const nSliders = Object.keys(sliderSets).length;
    $("sets").value = (s.sets || []).slice(nSliders).join("\n");
    $("name").value = s.name || "";
    if (s.runs !== undefined) $("runs").value = s.runs;
    if (s.seed !== undefined) $("seed").value = s.seed;
    renderSliders();
    restoring = false;
    return true;
  } catch (e) {
    restoring = false;
    showError("request", "the link's state cannot be read: " + e);
    return false;
  }
}

async function main() {
  setup = await (await fetch("/api/setup")).json();
  $("about").textContent = `Baseline: ${setup.baseline} — ${setup.description} Runs on ${setup.threads} worker threads; nothing is written to disk unless you export.`;
  const start = $("start");
  start.appendChild(el("option", { value: setup.baseline_arg }, setup.baseline + " (no events: add --set changes)"));
  for (const w of setup.whatifs) start.appendChild(el("option", { value: w.name }, w.name));
  for (const [sel, list] of [["map-domain", setup.domains], ["fan-domain", setup.domains], ["fan-framework", setup.frameworks]]) {
    $(sel).appendChild(el("option", { value: "" }, "largest change"));
    for (const v of list) $(sel).appendChild(el("option", { value: v }, v));
  }
  for (const d of setup.domains) $("watch-domain").appendChild(el("option", { value: d }, d));
  for (const s of setup.sliders) $("resp-key").appendChild(el("option", { value: s.key }, s.label));
  outcomeOptions();
  responseRange();
  $("runs").value = setup.runs;
  $("runs").max = setup.max_runs;
  $("seed").value = setup.seed;
  $("resp-runs").value = Math.min(200, setup.runs);
  if (!restore()) {
    start.value = setup.whatifs.length ? setup.whatifs[0].name : setup.baseline_arg;
    loadStart(start.value, false);
    renderSliders();
  }
  start.addEventListener("change", () => { loadStart(start.value, false); $("name").value = ""; changed(); });
  for (const id of ["sets", "name", "runs", "seed"]) $(id).addEventListener("input", changed);
  $("map-domain").addEventListener("change", renderMap);
  for (const id of ["fan-domain", "fan-framework"]) $(id).addEventListener("change", renderFan);
  document.querySelectorAll("#family-tabs button").forEach((b) => b.addEventListener("click", () => {
    family = b.dataset.family;
    document.querySelectorAll("#family-tabs button").forEach((x) => x.classList.toggle("on", x === b));
    renderAll(!finalDoc);
  }));
  $("export").addEventListener("click", () => { if (reply) save(reply.file, new Blob([reply.toml], { type: "application/toml" })); });
  $("copy-url").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(location.href));
  $("again").addEventListener("click", submit);
  $("pin").addEventListener("click", async () => {
    const r = await fetch("/api/pin?job=" + job, { method: "POST", headers: { "X-Blocsim-Token": setup.token } });
    const d = await r.json();
    if (!r.ok) { showError("request", d.message); return; }
    renderPins(d);
  });
  $("watch-load").addEventListener("click", loadWatch);
  $("watch-year").addEventListener("input", renderWatch);
  $("watch-domain").addEventListener("change", renderWatch);
  $("watch-play").addEventListener("click", play);
  $("resp-key").addEventListener("change", () => { responseRange(); renderResponse(); });
  $("resp-outcome").addEventListener("change", renderResponse);
  $("resp-draw").addEventListener("click", drawResponse);
  document.querySelectorAll("[data-downloads]").forEach((p) => {
    const [csv, chart] = p.dataset.downloads.split(",");
    p.appendChild(downloadButtons({ csv: csv || null, chart: chart || null }));
  });
  renderPins(await (await fetch("/api/pins")).json());
  renderMap();
  renderFan();
  renderResponse();
  listen();
  submit();
}

main();
