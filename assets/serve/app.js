// blocsim serve: the page. Edits build an alternative (start scenario, events, --set lines, runs,
// seed); each edit, debounced, is posted to /api/run, which replaces the running job. Progress
// arrives as server-sent events from /api/events; the final event is comparison.json itself.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const DEBOUNCE_MS = 400;

let setup = null;          // GET /api/setup
let events = [];           // [{enabled, event}] of the current start scenario
let original = [];         // the start scenario's events as it ships
let sliderSets = {};       // key -> value for moved sliders
let job = null;            // the job whose news we show
let reply = null;          // the POST /api/run answer of that job
let last = null;           // last progress event of that job
let finalDoc = null;       // parsed final comparison.json of that job
let family = "final_share";
let timer = null;
let restoring = false;
const seen = new Map();     // job -> {progress, final}: news that came before the job's reply

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

function renderSliders() {
  const box = $("sliders");
  box.textContent = "";
  setup.sliders.forEach((s, i) => {
    const row = el("div", { class: "slider", id: "slider-" + s.key.replaceAll(".", "-") });
    const label = el("label", { for: "range-" + i }, s.label);
    const range = el("input", { type: "range", id: "range-" + i, min: s.low, max: s.high, step: s.step, "data-key": s.key });
    const val = el("output", { id: "value-" + i });
    const reset = el("button", { type: "button", class: "link", title: "back to the scenario's value" }, "reset");
    const show = () => {
      const moved = s.key in sliderSets;
      range.value = moved ? sliderSets[s.key] : s.value;
      val.textContent = moved ? String(sliderSets[s.key]) : (s.drawn ? "drawn: " + s.drawn : String(s.value));
      row.classList.toggle("moved", moved);
      reset.hidden = !moved;
    };
    range.addEventListener("input", () => { sliderSets[s.key] = Number(range.value); show(); changed(); });
    reset.addEventListener("click", () => { delete sliderSets[s.key]; show(); changed(); });
    show();
    row.append(label, range, val, reset);
    box.appendChild(row);
  });
}

function setLines() {
  return $("sets").value.split("\n").map((s) => s.trim()).filter((s) => s);
}

function spec() {
  const sets = Object.entries(sliderSets).map(([k, v]) => k + "=" + v).concat(setLines());
  const s = { start: $("start").value, events: events.map((e) => ({ enabled: e.enabled, event: e.event })), sets };
  const name = $("name").value.trim();
  if (name) s.name = name;
  if ($("runs").value !== "") s.runs = Number($("runs").value);
  if ($("seed").value !== "") s.seed = Number($("seed").value);
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

function showError(field, message) {
  let target = null;
  let m = /^sets\[(\d+)\]$/.exec(field);
  if (m) {
    const nSliders = Object.keys(sliderSets).length;
    const i = Number(m[1]);
    if (i < nSliders) {
      const key = Object.keys(sliderSets)[i];
      const row = $("slider-" + key.replaceAll(".", "-"));
      if (row) { row.classList.add("invalid"); target = el("p", { class: "field-error" }); row.after(target); }
    } else {
      $("sets").classList.add("invalid");
      target = $("err-sets");
      message = "line " + (i - nSliders + 1) + ": " + message;
    }
  }
  m = /^events\[(\d+)\]$/.exec(field);
  if (m) { target = $("err-events-" + m[1]); const c = $("event-" + m[1]); if (c) c.classList.add("invalid"); }
  if (!target) target = $("err-" + field) || $("err-alternative");
  const input = $(field);
  if (input && input.tagName === "INPUT") input.classList.add("invalid");
  target.textContent = message;
}

function changed() {
  if (restoring) return;
  document.body.dataset.pending = "1";
  clearTimeout(timer);
  timer = setTimeout(submit, DEBOUNCE_MS);
}

async function submit() {
  delete document.body.dataset.pending;
  const s = spec();
  history.replaceState(null, "", "#s=" + btoa(unescape(encodeURIComponent(JSON.stringify(s)))).replaceAll("+", "-").replaceAll("/", "_"));
  let r;
  try {
    r = await fetch("/api/run", { method: "POST", headers: { "Content-Type": "application/json", "X-Blocsim-Token": setup.token }, body: JSON.stringify(s) });
  } catch (e) {
    clearErrors();
    showError("request", "the server does not answer: " + e);
    return;
  }
  const body = await r.json();
  document.querySelectorAll("#controls .field-error:not([id])").forEach((e) => e.remove());
  clearErrors();
  if (r.status !== 202) {
    showError(body.field, body.message);
    $("export").disabled = true;
    setStatus("invalid", "fix the input marked in red (" + body.field + "); the last valid result stays below");
    return;
  }
  job = body.job;
  reply = body;
  document.body.dataset.job = job;
  last = null;
  finalDoc = null;
  $("command").value = body.command;
  $("export").disabled = false;
  $("pin").disabled = true;
  const cached = body.cached_baseline_runs >= body.runs ? " (baseline cached)" : "";
  setStatus("running", "job " + job + ": " + body.name + " vs " + setup.baseline + ", " + body.runs + " runs, seed " + body.seed + cached);
  const early = seen.get(job);
  if (early && early.progress) onProgress(early.progress);
  if (early && early.final) onFinal(early.final);
}

// ---- results ---------------------------------------------------------------------------------

function setStatus(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = { running: "running", provisional: "provisional", final: "final", invalid: "input error", cancelled: "replaced", failed: "failed", waiting: "waiting" }[state] || state;
  $("status").className = "badge " + state;
  if (text !== undefined) $("progress-text").textContent = text;
}

function rows(doc, which) {
  return doc.outcomes.filter((o) => which(o.family));
}

function renderTable(doc, provisional) {
  const tb = $("table").querySelector("tbody");
  tb.textContent = "";
  for (const o of rows(doc, (m) => m === family)) {
    const k = doc.frameworks ? 0 : setup.frameworks.indexOf(o.framework);
    const tr = el("tr", { "data-outcome": o.outcome, "data-family": o.family, "data-domain": o.domain, "data-framework": o.framework,
      "data-diff-mean": String(o.diff_mean), "data-ci-low": String(o.ci_low), "data-ci-high": String(o.ci_high),
      "data-p-higher": String(o.p_higher) });
    const sw = el("td");
    sw.append(el("span", { class: "swatch", style: "background:" + color(setup.frameworks.indexOf(o.framework)) }), document.createTextNode(o.framework));
    const sig = o.ci_low > 0 || o.ci_high < 0;
    tr.append(el("td", {}, o.domain), sw, el("td", {}, pct(o.baseline_mean)), el("td", {}, pct(o.alternative_mean)),
      el("td", { class: sig ? "strong" : "" }, pp(o.diff_mean)), el("td", {}, "[" + pp(o.ci_low) + ", " + pp(o.ci_high) + "]"),
      el("td", {}, o.p_higher.toFixed(2)));
    void k;
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

function niceTicks(lo, hi, n) {
  const span = hi - lo || 1;
  const raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p, step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.round(t / step) * step);
  return out.map((t) => Number(t.toPrecision(6)));
}

function renderMap() {
  const box = $("map");
  box.textContent = "";
  const m = setup.map;
  const svg = sv("svg", { viewBox: `${-m.width / 2} ${-m.height / 2} ${m.width} ${m.height}`, width: "100%", role: "img", "aria-label": "world map of shifts" });
  const row = last ? last.map[mapDomain()] : null;
  let max = 0;
  if (row) for (const r of row) if (r && r[0] > max) max = r[0];
  const title = (i) => {
    const [id, name] = setup.states[i];
    return row && row[i] ? `${name} (${id}): shift ${row[i][0].toFixed(2)}, ${setup.frameworks[row[i][1]]} gains most` : `${name} (${id})`;
  };
  const fill = (i) => (row && row[i] && row[i][0] > 0 ? color(row[i][1]) : "#e8e8e8");
  const opacity = (i) => (row && row[i] && row[i][0] > 0 ? 0.15 + 0.85 * row[i][0] / Math.max(max, 1e-9) : 1);
  setup.states.forEach(([id], i) => {
    if (m.paths[id]) {
      const p = sv("path", { d: m.paths[id], fill: fill(i), "fill-opacity": opacity(i), stroke: "#ffffff", "stroke-width": 0.4 });
      p.append(sv("title", {}, title(i)));
      svg.append(p);
    } else if (m.dots[id]) {
      const c = sv("circle", { cx: m.dots[id][0], cy: m.dots[id][1], r: 2.2, fill: fill(i), "fill-opacity": opacity(i), stroke: "#999", "stroke-width": 0.3 });
      c.append(sv("title", {}, title(i)));
      svg.append(c);
    }
  });
  box.appendChild(svg);
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
  svg.append(sv("text", { x: 12, y: (T + H - B) / 2, class: "axis", "text-anchor": "middle", transform: `rotate(-90 12 ${(T + H - B) / 2})` }, "share of states (%)"));
  if (last) {
    const band = (b, q) => years.map((_, t) => b[(t * D + d) * K + k][q]);
    const area = (b, c, op) => {
      const lo = band(b, 0), hi = band(b, 2);
      let p = hi.map((v, t) => (t ? "L" : "M") + x(t).toFixed(1) + "," + y(v).toFixed(1)).join("");
      p += lo.map((v, t) => "L" + x(years.length - 1 - t).toFixed(1) + "," + y(lo[years.length - 1 - t]).toFixed(1)).join("") + "Z";
      svg.append(sv("path", { d: p, fill: c, "fill-opacity": op }));
    };
    const line = (b, c, dash) => {
      const p = band(b, 1).map((v, t) => (t ? "L" : "M") + x(t).toFixed(1) + "," + y(v).toFixed(1)).join("");
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

function renderPins(p) {
  const box = $("pins");
  box.textContent = "";
  if (!p.pins.length) { box.appendChild(el("p", { class: "muted small" }, "Nothing pinned yet: pin a finished result to compare alternatives with each other.")); }
  p.pins.forEach((pin) => {
    const row = el("div", { class: "pin" });
    const cb = el("input", { type: "checkbox", value: pin.job, class: "pick" });
    cb.addEventListener("change", pairPicked);
    const c = pin.comparison;
    const best = c.outcomes.filter((o) => o.family === "final_share").sort((a, b) => Math.abs(b.diff_mean) - Math.abs(a.diff_mean))[0];
    row.append(cb, el("strong", {}, " " + pin.name + " "), el("span", { class: "small muted" },
      `job ${pin.job}, ${c.runs} runs, seed ${c.seed}; largest: ${best.domain} ${best.framework} ${pp(best.diff_mean)} pp `));
    const un = el("button", { type: "button", class: "link" }, "unpin");
    un.addEventListener("click", async () => renderPins(await (await fetch("/api/pin?job=" + pin.job, { method: "DELETE", headers: { "X-Blocsim-Token": setup.token } })).json()));
    row.appendChild(un);
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
  if (!r.ok) { box.appendChild(el("p", { class: "field-error" }, d.message)); return; }
  box.appendChild(el("p", { class: "small" }, `${d.alternative} − ${d.baseline} (paired, ${d.runs} runs), share of states, pp:`));
  const t = el("table", { class: "numbers" });
  t.appendChild(el("tr")).append(el("th", {}, "domain"), el("th", {}, "framework"), el("th", {}, "difference"), el("th", {}, "95% CI"), el("th", {}, "P(higher)"));
  for (const o of d.outcomes.filter((o) => o.family === "final_share")) {
    t.appendChild(el("tr")).append(el("td", {}, o.domain), el("td", {}, o.framework), el("td", {}, pp(o.diff_mean)),
      el("td", {}, "[" + pp(o.ci_low) + ", " + pp(o.ci_high) + "]"), el("td", {}, o.p_higher.toFixed(2)));
  }
  box.appendChild(t);
}

// ---- wiring ----------------------------------------------------------------------------------

function listen() {
  const es = new EventSource("/api/events");
  const mine = (d) => d.job === job;
  const keep = (id, what, v) => {
    if (!seen.has(id)) seen.set(id, {});
    seen.get(id)[what] = v;
    while (seen.size > 8) seen.delete(seen.keys().next().value);
  };
  es.addEventListener("progress", (m) => {
    const d = JSON.parse(m.data);
    keep(d.job, "progress", d);
    if (mine(d)) onProgress(d);
  });
  es.addEventListener("final", (m) => {
    // The data is comparison.json itself; the job is the event's id.
    const id = Number(m.lastEventId), doc = JSON.parse(m.data);
    keep(id, "final", doc);
    if (id === job && last && last.job === job) onFinal(doc);
  });
  es.addEventListener("cancelled", () => {});
  es.addEventListener("failed", (m) => {
    const d = JSON.parse(m.data);
    if (mine(d)) { setStatus("failed"); showError("alternative", d.message); }
  });
  es.onerror = () => { $("progress-text").textContent = "connection to the server lost; retrying…"; };
}

function onProgress(d) {
    last = d;
    const fill = 100 * d.done / d.total;
    $("bar-fill").style.width = fill + "%";
    $("bar").setAttribute("aria-valuenow", Math.round(fill));
    const eta = d.done < d.total ? `, about ${Math.ceil(d.eta)} s left` : "";
    setStatus(d.done < d.total ? "provisional" : "running", `${d.done} / ${d.total} runs in ${d.elapsed.toFixed(1)} s${eta}`);
    renderAll(d.done < d.total);
}

function onFinal(doc) {
  finalDoc = doc;
  document.body.dataset.finalJob = job;
  setStatus("final", `${doc.runs} / ${doc.runs} runs in ${last.elapsed.toFixed(1)} s: final`);
  $("pin").disabled = false;
  renderAll(false);
}

function restore() {
  const m = /#s=([A-Za-z0-9_\-=]+)/.exec(location.hash);
  if (!m) return false;
  try {
    const s = JSON.parse(decodeURIComponent(escape(atob(m[1].replaceAll("-", "+").replaceAll("_", "/")))));
    restoring = true;
    $("start").value = s.start;
    loadStart(s.start, false);
    if (s.events) events = s.events.map((e) => ({ enabled: e.enabled, event: e.event }));
    renderEvents();
    const keys = new Set(setup.sliders.map((x) => x.key));
    const rest = [];
    sliderSets = {};
    for (const line of s.sets || []) {
      const [k, v] = [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)];
      if (keys.has(k) && v !== "" && !isNaN(Number(v))) sliderSets[k] = Number(v); else rest.push(line);
    }
    $("sets").value = rest.join("\n");
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
  $("runs").value = setup.runs;
  $("runs").max = setup.max_runs;
  $("seed").value = setup.seed;
  if (!restore()) {
    start.value = setup.whatifs.length ? setup.whatifs[0].name : setup.baseline_arg;
    loadStart(start.value, false);
    renderSliders();
  }
  start.addEventListener("change", () => { loadStart(start.value, false); $("name").value = ""; changed(); });
  for (const id of ["sets", "name", "runs", "seed"]) $(id).addEventListener("input", changed);
  for (const id of ["map-domain"]) $(id).addEventListener("change", renderMap);
  for (const id of ["fan-domain", "fan-framework"]) $(id).addEventListener("change", renderFan);
  document.querySelectorAll("#family-tabs button").forEach((b) => b.addEventListener("click", () => {
    family = b.dataset.family;
    document.querySelectorAll("#family-tabs button").forEach((x) => x.classList.toggle("on", x === b));
    renderAll(!finalDoc);
  }));
  $("export").addEventListener("click", () => {
    if (!reply) return;
    const a = el("a", { href: URL.createObjectURL(new Blob([reply.toml], { type: "application/toml" })), download: reply.file });
    document.body.appendChild(a); a.click(); a.remove();
  });
  $("copy-url").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(location.href));
  $("pin").addEventListener("click", async () => {
    const r = await fetch("/api/pin?job=" + job, { method: "POST", headers: { "X-Blocsim-Token": setup.token } });
    const d = await r.json();
    if (!r.ok) { showError("request", d.message); return; }
    renderPins(d);
  });
  renderPins(await (await fetch("/api/pins")).json());
  renderMap();
  renderFan();
  listen();
  submit();
}

main();
