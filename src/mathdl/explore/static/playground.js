// The playground: red and blue dots, a network trained live on the server by mathdl's own loop. This page only
// draws what the server streams (server-sent events): the rows of every epoch and frames of the boundary.
"use strict";

mathdl.playground = (function () {
  const $ = (id) => document.getElementById(id);
  const DATASETS = ["moons", "circles", "xor", "spirals", "blobs", "linear"];
  const CHOICES = {
    activation: ["tanh", "sigmoid", "relu", "leaky_relu", "swish", "linear"],
    optimizer: [["sgd", "SGD"], ["momentum", "momentum"], ["adam", "Adam"]],
    eta: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3],
    batch_size: [1, 4, 8, 16, 32, 64, 128],
    rate: [[1, "1 epoch/s"], [5, "5 epochs/s"], [20, "20 epochs/s"], [60, "60 epochs/s"], [200, "200 epochs/s"],
      [1000, "as fast as it goes"]],
  };
  let sid = null, state = null, rows = [], frame = null, stream = null, dirty = false;
  // the session's status ("ready", "compiling", "running", "paused", …), what the loop was asked to do next, and
  // when the compilation of the training loops began (by this page's clock), while it goes on
  let status = "ready", want = "pause", compilingSince = null, ticking = null;
  let neuronCanvases = [];

  // ---- the session and its stream ----
  async function open() {
    const st = await mathdl.api("/api/playground", { method: "POST", json: {} });
    sid = st.id;
    apply(st);
    listen();
  }

  function listen() {
    if (stream) stream.close();
    stream = new EventSource(`/api/playground/${sid}/stream`);
    stream.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.state) return apply(message.state);
      rows.push(...message.rows);
      if (message.frame) frame = message.frame;
      setStatus(message);
      if (message.message && (status === "diverged" || status === "failed")) mathdl.showMessage(message.message);
      redraw();
    };
    stream.addEventListener("closed", () => stream.close());
    stream.onerror = async () => {
      try { await mathdl.api(`/api/playground/${sid}`, { quiet: true }); }
      catch (e) { if (e.status === 404) { stream.close(); open(); } }
    };
  }

  window.addEventListener("pagehide", () => { if (sid) navigator.sendBeacon(`/api/playground/${sid}/close`); });

  async function send(path, json) {
    try {
      const st = await mathdl.api(`/api/playground/${sid}/${path}`, { method: "POST", json });
      apply(st);
    } catch (e) {
      if (e.status === 404) open();
      else if (state) controls(state.params); // put the controls back as the server has them
    }
  }
  const config = (changes) => send("config", changes);

  function setStatus(st) {
    status = st.status; want = st.want;
    compilingSince = st.compiling == null ? null : performance.now() - 1000 * st.compiling;
    clearInterval(ticking);
    if (compilingSince != null) ticking = setInterval(redraw, 1000);  // the seconds count up
  }

  function apply(st) {
    state = st; rows = st.rows.slice(); frame = st.frame;
    setStatus(st);
    controls(st.params);
    if (st.params.dataset === "csv") {  // the slider stands for the uploaded points
      const n = st.points.train.length + st.points.test.length;
      $("points").value = n; $("points-out").textContent = String(n);
    }
    buildNeurons();
    legend();
    const p = st.params, n = st.network;
    $("pg-network").textContent = `${n.sizes.join("-")} · ${n.label.startsWith("perceptron") ? "perceptron" : p.activation} · ` +
      `${n.parameters} parameters · ${p.cost.toUpperCase()}, ${p.bp} backpropagation, ${p.optimizer} η = ${p.eta}` +
      (p.bp === "matrix" ? `, batches of ${p.batch_size}` : "") +
      ` · ${st.points.train.length} training and ${st.points.test.length} test points`;
    redraw();
  }

  // ---- controls ----
  function controls(p) {
    $("datasets").replaceChildren(...DATASETS.map((name) => mathdl.el("button", {
      text: name, "aria-pressed": String(p.dataset === name), onclick: () => config({ dataset: name, noise: null }),
    })), ...(p.dataset === "csv" ? [mathdl.el("button", { text: "your CSV", "aria-pressed": "true" })] : []));
    for (const [id, value, shown] of [["noise", p.noise, p.noise.toFixed(2)], ["points", p.points, String(p.points)],
      ["test_fraction", p.test_fraction, `${Math.round(p.test_fraction * 100)}%`]]) {
      $(id).value = value;
      $(id).disabled = p.dataset === "csv" && id !== "test_fraction";
      $(id === "test_fraction" ? "test-out" : `${id}-out`).textContent = shown;
    }
    $("layer-count").textContent = String(p.hidden.length);
    $("layers-stepper").querySelector("span").textContent = p.hidden.length ? "Hidden layers" : "Hidden layers: a perceptron";
    $("neuron-steppers").replaceChildren(...p.hidden.map((n, l) => mathdl.el("div", { class: "stepper" },
      mathdl.el("span", { text: `layer ${l + 1}` }),
      mathdl.el("button", { text: "−", "aria-label": `fewer neurons in layer ${l + 1}`, onclick: () => neurons(l, -1) }),
      mathdl.el("b", { text: String(n) }),
      mathdl.el("button", { text: "+", "aria-label": `more neurons in layer ${l + 1}`, onclick: () => neurons(l, 1) }))));
    select("activation", CHOICES.activation, p.activation);
    select("optimizer", CHOICES.optimizer, p.optimizer);
    select("eta", CHOICES.eta, p.eta);
    select("batch_size", CHOICES.batch_size, p.batch_size);
    select("rate", CHOICES.rate, p.rate);
    $("activation").disabled = !p.hidden.length;
    $("batch_size").disabled = p.bp === "online";
    for (const id of ["cost", "bp"]) {
      for (const b of $(id).children) b.setAttribute("aria-pressed", String(b.dataset.value === p[id]));
    }
  }

  function select(id, choices, value) {
    const box = $(id), options = choices.map((c) => (Array.isArray(c) ? c : [c, String(c)]));
    if (!options.some(([v]) => v === value)) options.push([value, String(value)]);
    box.replaceChildren(...options.map(([v, text]) => mathdl.el("option", { value: String(v), text })));
    box.value = String(value);
  }

  function neurons(l, delta) {
    const hidden = state.params.hidden.slice();
    hidden[l] = Math.max(1, Math.min(32, hidden[l] + delta));
    config({ hidden });
  }

  $("layers-stepper").addEventListener("click", (event) => {
    const delta = Number(event.target.dataset.delta);
    if (!delta || !state) return;
    const hidden = state.params.hidden.slice();
    if (delta > 0 && hidden.length < 6) hidden.push(hidden.length ? hidden[hidden.length - 1] : 8);
    if (delta < 0) hidden.pop();
    config({ hidden });
  });
  for (const id of ["noise", "points", "test_fraction"]) {
    $(id).addEventListener("input", (event) => {
      const v = Number(event.target.value);
      $(id === "test_fraction" ? "test-out" : `${id}-out`).textContent =
        id === "noise" ? v.toFixed(2) : id === "points" ? String(v) : `${Math.round(v * 100)}%`;
    });
    $(id).addEventListener("change", (event) => config({ [id]: Number(event.target.value) }));
  }
  for (const id of ["activation", "optimizer"]) $(id).addEventListener("change", (e) => config({ [id]: e.target.value }));
  for (const id of ["eta", "batch_size", "rate"]) $(id).addEventListener("change", (e) => config({ [id]: Number(e.target.value) }));
  for (const id of ["cost", "bp"]) {
    $(id).addEventListener("click", (event) => { if (event.target.dataset.value) config({ [id]: event.target.dataset.value }); });
  }
  $("csv-upload").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    try {
      apply(await mathdl.api(`/api/playground/${sid}/points`, { method: "POST", body: file, type: "text/csv" }));
    } catch (e) { /* shown */ }
  });
  $("pg-run").addEventListener("click", () => send(busy() ? "pause" : "start"));
  const busy = () => (status === "running" || status === "compiling") && want !== "pause";
  $("pg-step").addEventListener("click", () => send("step"));
  $("pg-reset").addEventListener("click", () => send("reset"));

  // ---- drawing ----
  function redraw() {
    if (dirty) return;
    dirty = true;
    requestAnimationFrame(() => { dirty = false; draw(); });
  }

  function draw() {
    if (!state || $("view-playground").hidden) return;
    const last = rows[rows.length - 1];
    $("pg-epoch").textContent = String(last ? last.epoch : 0);
    $("pg-test").textContent = last ? mathdl.percent(last.test_accuracy) : "—";
    $("pg-train").textContent = last ? mathdl.percent(last.train_accuracy) : "—";
    $("pg-loss").textContent = last ? mathdl.cost(last.test_cost) : "—";
    const run = $("pg-run"), pausing = status === "running" && want === "pause";
    run.textContent = pausing ? "Pausing…" : busy() ? "❚❚ Pause" : "▶ Start";
    run.dataset.status = status;
    const over = status === "finished" || status === "diverged" || status === "failed";
    run.disabled = over || pausing; $("pg-step").disabled = over;
    notice(pausing);
    plane();
    curves();
    neuronMaps();
    const line = frame && frame.line;
    $("pg-line").textContent = line ? `boundary: ${line.equation}   (class ${line.positive} where > 0)` :
      state.network.sizes.length === 2 ? "a perceptron with several classes draws one line per pair of classes" : "";
  }

  // what the page waits for, said in words: the first use's compilation, a pause at the end of a long epoch
  function notice(pausing) {
    const box = $("pg-notice");
    let text = "";
    if (compilingSince != null) {
      const seconds = Math.round((performance.now() - compilingSince) / 1000);
      text = status === "paused"
        ? `Paused while the training loops compile — first use only, ${seconds} s so far.`
        : `Compiling the training loops — first use only, ${seconds} s so far (about half a minute on a fresh ` +
          "install); training starts as soon as they are ready.";
    } else if (pausing) {
      text = "Pausing at the end of this epoch…";
    }
    box.textContent = text;
    box.hidden = !text;
  }

  function plane() {
    const canvas = $("plane"), { context: c, width, height } = mathdl.sharp(canvas);
    const [x0, x1, y0, y1] = state.extent, R = 100;
    const X = (x) => ((x - x0) / (x1 - x0)) * width, Y = (y) => (1 - (y - y0) / (y1 - y0)) * height;
    c.clearRect(0, 0, width, height);
    if (frame) {
      const cls = mathdl.bytes(frame.boundary.class), conf = mathdl.bytes(frame.boundary.confidence);
      const colours = mathdl.CLASS_COLOURS.map(mathdl.rgb), image = new ImageData(R, R);
      for (let r = 0; r < R; r++) {
        for (let col = 0; col < R; col++) {
          const i = r * R + col, t = 0.08 + 0.5 * (conf[i] / 255);
          const [red, green, blue] = mathdl.mix([255, 255, 255], colours[cls[i]], t);
          image.data.set([red, green, blue, 255], ((R - 1 - r) * R + col) * 4);
        }
      }
      const off = document.createElement("canvas");
      off.width = R; off.height = R;
      off.getContext("2d").putImageData(image, 0, 0);
      c.imageSmoothingEnabled = true;
      c.drawImage(off, 0, 0, width, height);
    }
    // axes through the origin, and the coordinates at the edges
    c.strokeStyle = "rgba(28,34,48,.18)"; c.lineWidth = 1;
    if (x0 < 0 && x1 > 0) { c.beginPath(); c.moveTo(X(0), 0); c.lineTo(X(0), height); c.stroke(); }
    if (y0 < 0 && y1 > 0) { c.beginPath(); c.moveTo(0, Y(0)); c.lineTo(width, Y(0)); c.stroke(); }
    c.fillStyle = "rgba(28,34,48,.55)"; c.font = "12px system-ui, 'DejaVu Sans', sans-serif";
    c.textAlign = "left"; c.textBaseline = "bottom";
    c.fillText(`x₁ ${x0.toFixed(1)} … ${x1.toFixed(1)}`, 8, height - 6);
    c.save(); c.translate(14, height - 90); c.rotate(-Math.PI / 2);
    c.fillText(`x₂ ${y0.toFixed(1)} … ${y1.toFixed(1)}`, 0, 0); c.restore();
    // the perceptron's line
    const line = frame && frame.line;
    if (line) {
      const [w0, w1] = line.w, k = line.c;
      c.strokeStyle = "#1c2230"; c.lineWidth = 2.5; c.setLineDash([8, 5]);
      c.beginPath();
      if (Math.abs(w1) > Math.abs(w0)) { c.moveTo(X(x0), Y(-(k + w0 * x0) / w1)); c.lineTo(X(x1), Y(-(k + w0 * x1) / w1)); }
      else { c.moveTo(X(-(k + w1 * y0) / w0), Y(y0)); c.lineTo(X(-(k + w1 * y1) / w0), Y(y1)); }
      c.stroke(); c.setLineDash([]);
    }
    // the points: circles train, triangles test
    for (const [x, y, k] of state.points.train) {
      c.beginPath(); c.arc(X(x), Y(y), 4.6, 0, 2 * Math.PI);
      c.fillStyle = mathdl.CLASS_COLOURS[k]; c.fill();
      c.strokeStyle = "#fff"; c.lineWidth = 1.3; c.stroke();
    }
    for (const [x, y, k] of state.points.test) {
      const px = X(x), py = Y(y);
      c.beginPath(); c.moveTo(px, py - 6); c.lineTo(px + 5.4, py + 3.8); c.lineTo(px - 5.4, py + 3.8); c.closePath();
      c.fillStyle = mathdl.CLASS_COLOURS[k]; c.fill();
      c.strokeStyle = "#1c2230"; c.lineWidth = 1.1; c.stroke();
    }
  }

  function curves() {
    const series = (key, name, colour, dash) => ({ name, colour, dash, points: rows.filter((r) => r[key] != null).map((r) => [r.epoch, r[key]]) });
    mathdl.chart($("loss-chart"), [series("train_cost", "train", "#1f5f99"), series("test_cost", "test", "#e07b39", [6, 4])],
      { yFormat: (v) => v.toFixed(2) });
    mathdl.chart($("acc-chart"), [series("train_accuracy", "train", "#1f5f99"), series("test_accuracy", "test", "#e07b39", [6, 4])],
      { yMin: 0.4, yMax: 1, yFormat: (v) => `${Math.round(v * 100)}%` });
  }

  function legend() {
    const classes = state.classes.map((name, k) => mathdl.el("span", {},
      mathdl.el("i", { style: `background:${mathdl.CLASS_COLOURS[k]}` }), `class ${name}`));
    $("pg-legend").replaceChildren(...classes,
      mathdl.el("span", {}, mathdl.el("i", { style: "background:#8a93a3" }), "training point"),
      mathdl.el("span", {}, mathdl.el("i", { class: "tri", style: "background:#8a93a3" }), "test point"),
      mathdl.el("span", { text: "shade: the predicted class, paler where the network is unsure" }));
  }

  function buildNeurons() {
    const box = $("neurons"), sizes = state.network.sizes.slice(1, -1), acts = state.network.activations;
    const total = sizes.reduce((a, b) => a + b, 0);
    box.classList.toggle("many", total > 24);
    neuronCanvases = sizes.map(() => []);
    if (!sizes.length) {
      box.replaceChildren(mathdl.el("p", { class: "muted small", text: "A perceptron has no hidden neurons: its output a = σ(w·x + b) is the shading itself, and its boundary is the line w·x + b = 0." }));
      return;
    }
    box.replaceChildren(...sizes.map((n, l) => {
      const maps = [];
      for (let j = 0; j < n; j++) {
        const canvas = mathdl.el("canvas", { width: "25", height: "25", title: `a⁽${l + 1}⁾ neuron ${j + 1}` });
        neuronCanvases[l].push(canvas); maps.push(canvas);
      }
      return mathdl.el("div", { class: "nlayer" }, mathdl.el("p", { text: `layer ${l + 1}: ${n} ${acts[l]} neurons` }),
        mathdl.el("div", { class: "maps" }, ...maps));
    }));
  }

  function neuronMaps() {
    if (!frame) return;
    const R = 25;
    frame.neurons.forEach((layer, l) => layer.forEach((encoded, j) => {
      const canvas = neuronCanvases[l] && neuronCanvases[l][j];
      if (!canvas) return;
      const values = mathdl.bytes(encoded), flipped = new Array(R * R);
      for (let r = 0; r < R; r++) for (let col = 0; col < R; col++) flipped[(R - 1 - r) * R + col] = values[r * R + col] / 255;
      mathdl.imageCanvas(canvas, flipped, R, R, mathdl.diverging);
    }));
  }

  window.addEventListener("resize", redraw);
  return { open, redraw, get sid() { return sid; } };
})();
