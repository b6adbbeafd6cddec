// mathdl explore: what the three views share — the API, the one-line messages, colours, small charts.
"use strict";

const mathdl = {};

// ---- the API: every fault is one line from the server, shown at the top of the page ----
mathdl.showMessage = function (text) {
  const box = document.getElementById("message");
  box.querySelector("span").textContent = text;
  box.hidden = false;
  clearTimeout(mathdl._messageTimer);
  mathdl._messageTimer = setTimeout(() => { box.hidden = true; }, 9000);
};

mathdl.api = async function (path, { method = "GET", json, body, type, quiet = false } = {}) {
  const options = { method, headers: {} };
  if (json !== undefined) {
    options.body = JSON.stringify(json);
    options.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    options.body = body;
    if (type) options.headers["Content-Type"] = type;
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    if (!quiet) mathdl.showMessage("the explorer's server does not answer: is mathdl explore still running?");
    throw e;
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) {
    const error = new Error(data.error || `${response.status}`);
    error.status = response.status;
    if (!quiet) mathdl.showMessage(error.message);
    throw error;
  }
  return data;
};

// ---- colours ----
mathdl.CLASS_COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];
mathdl.rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
mathdl.mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));
const WHITE = [255, 255, 255];
// a value t in [0, 1] on the diverging map red (0) – white (½) – blue (1)
mathdl.diverging = function (t) {
  const red = mathdl.rgb("#c0392b"), blue = mathdl.rgb("#1f6fb4");
  return t < 0.5 ? mathdl.mix(red, WHITE, t * 2) : mathdl.mix(WHITE, blue, (t - 0.5) * 2);
};
// a value t in [0, 1] on a calm sequential map: paper (0) to deep blue (1)
mathdl.sequential = (t) => mathdl.mix([247, 246, 242], [23, 55, 94], Math.max(0, Math.min(1, t)));

mathdl.bytes = function (base64) {
  const text = atob(base64), out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
};

mathdl.el = function (tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
};

// a small image canvas from values in [0, 1] (rows × cols), coloured by ``colour(t) → [r, g, b]``
mathdl.imageCanvas = function (canvas, values, cols, rows, colour) {
  canvas.width = cols; canvas.height = rows;
  const context = canvas.getContext("2d"), image = context.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = colour(values[i]);
    image.data.set([r, g, b, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
  return canvas;
};

// a canvas sized for the screen's pixels: returns its 2-D context in CSS pixels
mathdl.sharp = function (canvas) {
  const ratio = window.devicePixelRatio || 1, width = canvas.clientWidth || canvas.width,
    height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { context, width, height };
};

mathdl.percent = (v, digits = 1) => (v == null ? "—" : (100 * v).toFixed(digits) + "%");

// ---- a line chart: series [{name, colour, points: [[x, y], …], dash}] on axes with ticks; the legend wraps into
// as many lines as the width needs; ``markers`` draws each measured point ----
mathdl.chart = function (canvas, series, { yMin, yMax, xLabel = "epoch", yFormat = (v) => v.toFixed(2), legend = true,
  markers = false } = {}) {
  const { context: c, width, height } = mathdl.sharp(canvas);
  c.clearRect(0, 0, width, height);
  c.font = "12px system-ui, 'DejaVu Sans', sans-serif";
  const all = series.flatMap((s) => s.points);
  const pad = { left: 52, right: 12, top: 10, bottom: 34 };
  const entries = [];  // the legend's [series, x, line]
  if (legend) {
    let x = pad.left, line = 0;
    for (const s of series) {
      const w = 23 + c.measureText(s.name).width + 14;
      if (x + w > width && x > pad.left) { x = pad.left; line += 1; }
      entries.push([s, x, line]);
      x += w;
    }
    pad.top = 26 + 16 * line;
  }
  const plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
  c.fillStyle = "#5b6472";
  if (!all.length) {
    c.fillText("no epochs yet", pad.left + 8, pad.top + plotH / 2);
    return;
  }
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  if (x1 === x0) x1 = x0 + 1;
  let y0 = yMin ?? Math.min(...all.map((p) => p[1])), y1 = yMax ?? Math.max(...all.map((p) => p[1]));
  if (y1 - y0 < 1e-9) { y0 -= 1e-3; y1 += 1e-3; }
  const yTicks = niceTicks(y0, y1, 4, true);
  if (yMin == null) y0 = Math.min(y0, yTicks[0]);
  if (yMax == null) y1 = Math.max(y1, yTicks[yTicks.length - 1]);
  const X = (x) => pad.left + ((x - x0) / (x1 - x0)) * plotW, Y = (y) => pad.top + (1 - (y - y0) / (y1 - y0)) * plotH;
  c.strokeStyle = "#e2dfd7"; c.lineWidth = 1;
  c.textAlign = "right"; c.textBaseline = "middle";
  for (const y of yTicks) {
    if (y < y0 - 1e-12 || y > y1 + 1e-12) continue;
    c.beginPath(); c.moveTo(pad.left, Y(y)); c.lineTo(pad.left + plotW, Y(y)); c.stroke();
    c.fillText(yFormat(y), pad.left - 6, Y(y));
  }
  c.textAlign = "center"; c.textBaseline = "top";
  for (const x of niceTicks(x0, x1, Math.max(2, Math.min(5, Math.floor(plotW / 70))))) {
    const label = x.toLocaleString("en"), half = c.measureText(label).width / 2;
    c.fillText(label, Math.min(Math.max(X(x), half + 1), width - half - 1), pad.top + plotH + 6);  // kept inside
  }
  c.fillText(xLabel, pad.left + plotW / 2, pad.top + plotH + 19);
  for (const s of series) {
    if (!s.points.length) continue;
    c.strokeStyle = s.colour; c.lineWidth = s.width || 2; c.setLineDash(s.dash || []);
    c.beginPath();
    s.points.forEach(([x, y], i) => (i ? c.lineTo(X(x), Y(y)) : c.moveTo(X(x), Y(y))));
    if (s.points.length === 1) { c.arc(X(s.points[0][0]), Y(s.points[0][1]), 2, 0, 7); }
    c.stroke();
    if (markers) {
      c.setLineDash([]); c.fillStyle = s.colour;
      for (const [x, y] of s.points) { c.beginPath(); c.arc(X(x), Y(y), 3.5, 0, 2 * Math.PI); c.fill(); }
    }
  }
  c.setLineDash([]);
  c.textAlign = "left"; c.textBaseline = "middle";
  for (const [s, x, line] of entries) {
    const y = 11 + 16 * line;
    c.strokeStyle = s.colour; c.lineWidth = 2.5; c.setLineDash(s.dash || []);
    c.beginPath(); c.moveTo(x, y); c.lineTo(x + 18, y); c.stroke(); c.setLineDash([]);
    c.fillStyle = "#1c2230"; c.fillText(s.name, x + 23, y);
  }
};

// a cost to three significant digits: small costs (TSE's, late in training) are not shown as 0.000
mathdl.cost = (v) => (v == null ? "—" : v === 0 ? "0" : Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toPrecision(3));

function niceTicks(lo, hi, count, cover = false) {
  const step0 = (hi - lo) / count, power = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = (cover ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10]).map((m) => m * power).find((s) => s >= step0) || step0;
  const ticks = [], first = (cover ? Math.floor(lo / step) : Math.ceil(lo / step)) * step;
  const last = cover ? Math.ceil(hi / step - 1e-9) * step : hi;
  for (let t = first; t <= last + step * 1e-6; t += step) ticks.push(Math.round(t / step) * step);
  return ticks.map((t) => Math.round(t * 1e9) / 1e9);
}

// ---- a table from {columns, rows} (cells already text) ----
mathdl.table = function ({ columns, rows }, { numeric = true, highlight } = {}) {
  const isNumber = (text) => /^[−\-+]?[\d.,]+(e[−\-+]?\d+)?%?( \[.*\])?$/.test(text);
  const head = mathdl.el("tr", {}, ...columns.map((c) => mathdl.el("th", { text: c })));
  const body = rows.map((row, i) => mathdl.el("tr", highlight && highlight(i) ? { class: "best" } : {},
    ...row.map((cell) => cell instanceof Node
      ? mathdl.el("td", { class: "num" }, cell)
      : mathdl.el("td", { class: numeric && isNumber(String(cell)) ? "num" : "", text: cell }))));
  return mathdl.el("table", {}, mathdl.el("thead", {}, head), mathdl.el("tbody", {}, ...body));
};
