// The digit view: draw (mouse, pen, touch) or upload, and see what the chosen network makes of it, live.
// Every number comes from the server, which runs mathdl's own preparation and forward pass.
"use strict";

mathdl.digit = (function () {
  const $ = (id) => document.getElementById(id);
  const pad = $("pad"), context = pad.getContext("2d");
  const LINE = 20; // stroke width on the 280-pixel pad: about MNIST's stroke once scaled into 20 × 20
  let strokes = [], current = null, uploaded = null; // uploaded: {bytes, image} of the last image file
  let network = null, networks = [], inFlight = false, again = false, lastClass = null;

  // ---- the pad ----
  function redraw() {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, pad.width, pad.height);
    if (uploaded) {
      const { image } = uploaded, s = Math.min(pad.width / image.width, pad.height / image.height);
      context.drawImage(image, (pad.width - image.width * s) / 2, (pad.height - image.height * s) / 2,
        image.width * s, image.height * s);
    }
    context.strokeStyle = "#111"; context.fillStyle = "#111";
    context.lineCap = "round"; context.lineJoin = "round"; context.lineWidth = LINE;
    for (const stroke of strokes) {
      if (stroke.length === 1) {
        context.beginPath(); context.arc(stroke[0][0], stroke[0][1], LINE / 2, 0, 2 * Math.PI); context.fill();
        continue;
      }
      context.beginPath();
      stroke.forEach(([x, y], i) => (i ? context.lineTo(x, y) : context.moveTo(x, y)));
      context.stroke();
    }
  }

  function point(event) {
    const box = pad.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * pad.width, ((event.clientY - box.top) / box.height) * pad.height];
  }

  pad.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    current = [point(event)];
    strokes.push(current);
    redraw(); changed();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!current) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events) current.push(point(e));
    redraw(); changed();
  });
  const end = () => { if (current) { current = null; changed(); } };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);

  $("pad-clear").addEventListener("click", () => { strokes = []; uploaded = null; redraw(); showEmpty(); });
  $("pad-undo").addEventListener("click", () => {
    if (strokes.length) strokes.pop(); else uploaded = null;
    redraw();
    strokes.length || uploaded ? changed() : showEmpty();
  });
  $("pad-upload").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const image = new Image();
    image.onload = () => { strokes = []; uploaded = { bytes, image, type: file.type }; redraw(); changed(); };
    image.onerror = () => { strokes = []; uploaded = { bytes, image: null, type: file.type }; changed(); };
    image.src = URL.createObjectURL(new Blob([bytes], { type: file.type }));
  });

  // ---- prediction, live: one request at a time, the newest drawing next ----
  function changed() {
    if (!network) return;
    if (inFlight) { again = true; return; }
    predict();
  }

  async function predict() {
    inFlight = true; again = false;
    try {
      let body, type;
      if (uploaded && !strokes.length) { body = uploaded.bytes; type = uploaded.type || "application/octet-stream"; }
      else { body = await new Promise((done) => pad.toBlob(done, "image/png")); type = "image/png"; }
      const result = await mathdl.api(`/api/networks/${network.id}/predict`, { method: "POST", body, type });
      if (strokes.length || uploaded) show(result);
    } catch (e) { /* the message is shown */ }
    inFlight = false;
    if (again) predict();
  }

  // a drawing much smaller than the pad is scaled up to 20 × 20 pixels like MNIST's digits: a dot becomes a blob
  const SMALL = 56; // pixels of the 280-pixel pad: a fifth of its side
  function hint() {
    const points = strokes.flat();
    let text = "";
    if (points.length && !uploaded) {
      const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
      const size = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) + LINE;
      if (size < SMALL) {
        text = "The drawing is very small: the network sees it scaled up to fill 20 × 20 of its 28 × 28 pixels, as " +
          "MNIST's digits were, so a dot becomes a blob. Draw the digit about as tall as the pad.";
      }
    }
    $("pad-hint").textContent = text;
    $("pad-hint").hidden = !text;
  }

  function showEmpty() {
    hint();
    const seen = $("seen").getContext("2d");
    seen.fillStyle = "#000"; seen.fillRect(0, 0, 28, 28);
    $("prediction").innerHTML = '<span class="muted">draw to see</span>';
    $("bars").replaceChildren();
    $("layers").replaceChildren(mathdl.el("p", { class: "muted", text: "Each square is one unit; darker is more active." }));
    $("units").replaceChildren();
  }

  function show(r) {
    hint();
    mathdl.imageCanvas($("seen"), r.seen.map((v) => v / 255), 28, 28, (t) => {
      const v = Math.round(t * 255); return [v, v, v];
    });
    const best = r.bars.indexOf(Math.max(...r.bars));
    $("prediction").replaceChildren(
      mathdl.el("span", { class: r.label.length > 3 ? "class long" : "class", text: r.label }),
      mathdl.el("span", { class: "muted", text: r.outputs.length === 1
        ? `a⁽ᴸ⁾ = ${r.outputs[0].toFixed(3)} (one output)` : `a⁽ᴸ⁾ = ${r.outputs[r.predicted].toFixed(3)}` }));
    $("bars").replaceChildren(...r.classes.flatMap((name, i) => {
      const row = i === best ? "best" : "";
      return [mathdl.el("div", { class: `name ${row}`, text: name, title: name }),
        mathdl.el("div", { class: `track ${row}` }, mathdl.el("div", { class: "fill", style: `width:${(100 * r.bars[i]).toFixed(1)}%` })),
        mathdl.el("div", { class: "value", text: r.bars[i].toFixed(3) })];
    }));
    const layers = r.layers.map((layer) => {
      const canvas = mathdl.el("canvas", { class: "strip" });
      drawStrip(canvas, layer);
      const mean = layer.a.reduce((s, v) => s + v, 0) / layer.a.length;
      return mathdl.el("div", { class: "layer" },
        mathdl.el("p", { text: `a⁽${sup(layer.l)}⁾: ${layer.size} ${layer.activation} units, white ${fmt(layer.range[0])} to dark ${fmt(layer.range[1])}; mean ${mean.toFixed(2)}` }), canvas);
    });
    $("layers").replaceChildren(...(layers.length ? layers : [mathdl.el("p", { class: "muted", text: "This network has no hidden layer." })]));
    $("units").replaceChildren(...r.units.map((u) => {
      const canvas = mathdl.imageCanvas(mathdl.el("canvas"), Array.from(mathdl.bytes(u.weights), (w) => w / 255), 28, 28,
        mathdl.diverging);
      return mathdl.el("div", { class: "unit", title: `a⁽¹⁾ = ${u.activation}` }, canvas,
        mathdl.el("div", {}, "unit ", mathdl.el("b", { text: String(u.unit) })),
        mathdl.el("div", { text: (u.contribution >= 0 ? "+" : "−") + Math.abs(u.contribution).toFixed(2) }));
    }));
  }

  function drawStrip(canvas, layer) {
    const n = layer.a.length, cols = n <= 32 ? n : n <= 200 ? 25 : 50, rows = Math.ceil(n / cols);
    const cell = n <= 200 ? 20 : 11;
    const ratio = window.devicePixelRatio || 1;
    canvas.style.width = `${cols * cell}px`; // the height follows (CSS), so a narrow screen shrinks the strip
    canvas.width = cols * cell * ratio; canvas.height = rows * cell * ratio;
    const c = canvas.getContext("2d");
    c.setTransform(ratio, 0, 0, ratio, 0, 0);
    const [lo, hi] = layer.range;
    layer.a.forEach((v, j) => {
      const [r, g, b] = mathdl.sequential((v - lo) / (hi - lo || 1));
      c.fillStyle = `rgb(${r},${g},${b})`;
      c.fillRect((j % cols) * cell, Math.floor(j / cols) * cell, cell - 1.5, cell - 1.5);
    });
  }

  const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  const sup = (l) => String(l).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[d]);

  // ---- the reverse images of a class ----
  function classButtons() {
    const box = $("reverse-classes");
    box.replaceChildren();
    if (!network) return;
    const methods = Object.entries(network.reverse).filter(([, why]) => !why).map(([m]) => m);
    if (!methods.length) {
      $("reverse-note").textContent = Object.values(network.reverse)[0];
      $("reverse-images").replaceChildren();
      return;
    }
    network.classes.forEach((name, k) => box.append(mathdl.el("button", {
      text: name, "aria-pressed": String(k === lastClass), onclick: () => reverse(k, methods),
    })));
    const refused = Object.entries(network.reverse).filter(([, why]) => why);
    $("reverse-note").textContent = refused.length ? `${refused.map(([m]) => m).join(", ")}: ${refused[0][1]}`
      : "Backquery pushes the target back through f⁻¹ and Wᵀ (the adjoint, not an inverse); the pseudo-inverse uses "
        + "W⁺; optimisation climbs the class's log-likelihood on the input; the Gaussian prior climbs it plus the log-density "
        + "of all training images. Under each image: what the network reads in it, and what an independent judge "
        + "(the 10 nearest training images, which never sees the network) reads in it.";
  }

  async function reverse(k, methods) {
    lastClass = k;
    for (const [i, b] of [...$("reverse-classes").children].entries()) b.setAttribute("aria-pressed", String(i === k));
    $("reverse-images").replaceChildren(mathdl.el("p", { class: "muted",
      text: "computing… (the first time, the mean training images as well: a few seconds)" }));
    try {
      const r = await mathdl.api(`/api/networks/${network.id}/reverse`, { method: "POST", json: { class: k, methods } });
      if (lastClass !== k) return;
      $("reverse-images").replaceChildren(...r.images.map((im) => {
        const canvas = mathdl.imageCanvas(mathdl.el("canvas"), im.pixels, 28, 28, (t) => {
          const v = Math.round(Math.max(0, Math.min(1, t)) * 255); return [v, v, v];
        });
        return mathdl.el("figure", im.method === "mean" ? { class: "reference" } : {}, canvas, mathdl.el("figcaption", {},
          mathdl.el("b", { text: im.title }),
          mathdl.el("span", { class: im.correct ? "ok" : "wrong",
            text: `read as ${im.predicted_label} · a = ${im.output.toFixed(3)}` }),
          mathdl.el("span", { class: `judge ${im.judge_correct ? "ok" : "wrong"}`,
            text: `judge: ${im.judge_label} · p̂ = ${im.judge_probability.toFixed(1)}`
              + (im.near_copy ? " · a near-copy" : "") }),
          mathdl.el("div", { text: im.method === "mean" ? "the others are compared with it"
            : im.corr_mean == null ? "" : `r with the mean ${network.classes[k]}: ${im.corr_mean.toFixed(2)}` })));
      }));
    } catch (e) { $("reverse-images").replaceChildren(); }
  }

  // ---- the equations ----
  async function equations() {
    const box = $("equations");
    box.replaceChildren();
    if (!network) return;
    const r = await mathdl.api(`/api/networks/${network.id}/equations`);
    const steps = (title, rows) => [mathdl.el("h3", { text: title }), eqTable(rows)];
    box.append(mathdl.el("p", { text: r.summary }),
      ...steps("Forward pass", r.forward), ...steps("Backward pass", r.backward),
      mathdl.el("p", { class: "small muted", text: r.note }),
      mathdl.el("h3", { text: "Parameters" }),
      mathdl.table({ columns: ["layer", "W", "b", "parameters", "f", "init σ"],
        rows: r.parameters.map((p) => [p.layer, p.W, p.b, p.parameters.toLocaleString("en"), p.f, p["init σ"]]) }));
  }

  function eqTable(rows) {
    const head = mathdl.el("tr", {}, ...["equation", "tutorial", "shape", "computed from"].map((t) => mathdl.el("th", { text: t })));
    return mathdl.el("div", { class: "table-wrap" }, mathdl.el("table", {}, mathdl.el("thead", {}, head),
      mathdl.el("tbody", {}, ...rows.map(([eq, tut, shape, detail]) => mathdl.el("tr", {},
        mathdl.el("td", { class: "eq", text: eq }), mathdl.el("td", { class: "eq", text: tut }),
        mathdl.el("td", { class: "eq", text: shape }), mathdl.el("td", { text: detail }))))));
  }

  // ---- the chooser, and the explorer's own network ----
  async function load() {
    const r = await mathdl.api("/api/networks");
    networks = r.networks;
    const select = $("network");
    select.replaceChildren(...networks.map((n) => mathdl.el("option", n.error
      ? { value: n.id, disabled: "", text: `${n.name} (${n.error})` } : { value: n.id, text: n.name })));
    const usable = networks.filter((n) => !n.error);
    if (usable.length) choose(usable[0].id);
    defaultNetwork(r.default);
  }

  function choose(id) {
    network = networks.find((n) => n.id === id) || null;
    $("network").value = id;
    $("network-label").textContent = network ? `${network.label}${network.accuracy == null ? ""
      : ` · test accuracy ${mathdl.percent(network.accuracy, 2)}`}` : "";
    lastClass = null;
    $("reverse-images").replaceChildren();
    classButtons();
    equations();
    strokes.length || uploaded ? changed() : showEmpty();
  }
  $("network").addEventListener("change", (event) => choose(event.target.value));

  function defaultNetwork(state) {
    const box = $("default-net");
    box.hidden = !state || state.state === "ready";
    if (!state) return;
    $("default-label").textContent = state.label;
    const bar = box.querySelector(".progress");
    bar.hidden = state.state !== "training";
    bar.firstElementChild.style.width = `${(100 * state.progress).toFixed(1)}%`;
    $("default-train").disabled = state.state === "training";
    $("default-status").textContent = state.state === "failed" ? `training failed: ${state.message}` : state.message;
    if (state.state === "training") setTimeout(poll, 500);
  }

  async function poll() {
    const r = await mathdl.api("/api/networks", { quiet: true }).catch(() => null);
    if (!r) return setTimeout(poll, 1500);
    if (r.default && r.default.state === "ready") return load();
    defaultNetwork(r.default);
  }

  $("default-train").addEventListener("click", async () => {
    defaultNetwork(await mathdl.api("/api/networks/default/train", { method: "POST" }));
  });

  redraw();
  showEmpty();
  return { load, get busy() { return inFlight || again; } };
})();
