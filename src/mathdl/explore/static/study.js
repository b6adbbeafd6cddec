// The study view: a study directory's eight confusion matrices, rates, tests, curves and files, from its own files.
"use strict";

mathdl.study = (function () {
  const $ = (id) => document.getElementById(id);
  const PALETTE = ["#1f5f99", "#e07b39", "#2e8b57", "#c0392b", "#7b4fa0", "#8c6d46", "#d16ba5", "#6b7280"];
  let studies = [], view = null;

  async function load() {
    studies = (await mathdl.api("/api/studies")).studies;
    $("study-empty").hidden = studies.length > 0;
    $("study-choice").hidden = studies.length < 2;
    $("study-choice").replaceChildren(...studies.map((s) => mathdl.el("option", { value: s.id, text: s.name })));
    if (studies.length) await show(studies[0].id);
  }
  $("study-choice").addEventListener("change", (event) => show(event.target.value));

  async function show(id) {
    view = await mathdl.api(`/api/studies/${id}`);
    const v = view;
    $("study-body").hidden = false;
    $("study-title").textContent = v.student_id ? `Study of ID ${v.student_id}: ${v.name}` : `Study: ${v.name}`;
    $("study-sub").textContent = [
      v.positive_digits ? `positive class: the digits {${v.positive_digits.join(", ")}}` : null,
      `${v.configurations.length} configurations`,
      v.wall_seconds ? `${Math.round(v.wall_seconds)} s to run` : null,
      v.intervals ? `intervals: ${v.intervals}` : null].filter(Boolean).join(" · ");
    const report = $("study-report");
    report.hidden = !v.report;
    if (v.report) report.href = v.report.url;
    presentation(v.presentation);
    matrices(v);
    rates(v);
    $("mcnemar").replaceChildren(mathdl.table(v.mcnemar));
    $("mcnemar-others-card").hidden = !v.mcnemar_others.rows.length;
    $("mcnemar-others").replaceChildren(mathdl.table(v.mcnemar_others));
    $("mcnemar-note").textContent = v.mcnemar_test || "";
    $("extra-tables").replaceChildren(...v.tables.map((t) => mathdl.el("div", { class: "card" },
      mathdl.el("h2", { text: t.title }), mathdl.el("div", { class: "table-wrap" }, mathdl.table(t)))));
    reverse(v);
    files(v);
    redraw();
  }

  // the study's narrated video with its WebVTT subtitles (a <track>), where the study has one
  function presentation(p) {
    const card = $("presentation-card"), video = $("study-video");
    card.hidden = !p;
    video.pause();
    video.replaceChildren();
    if (!p) { video.removeAttribute("src"); video.load(); return; }
    if (p.subtitles) video.append(mathdl.el("track", { kind: "subtitles", srclang: "en", label: "English", default: "", src: p.subtitles.url }));
    video.src = p.video.url;
    $("presentation-video").href = p.video.url;
    $("presentation-script").hidden = !p.script;
    if (p.script) $("presentation-script").href = p.script.url;
  }

  // the matrix [[TP, FN], [FP, TN]] (rows true, columns predicted, positive first) in MATLAB's confusionmat/confusionchart layout
  function matrices(v) {
    const [negative, positive] = v.classes.length === 2 ? v.classes : ["negative", "positive"];
    $("matrices").replaceChildren(...v.configurations.map((c) => {
      const total = c.tp + c.fn + c.fp + c.tn, pc = (n) => `${((100 * n) / total).toFixed(1)}%`;
      const rate = (hit, miss, name, shown) => {
        const n = hit + miss, value = n ? hit / n : null;
        return mathdl.el("div", { class: "rate", title: name }, mathdl.el("span", { class: "name", text: shown }),
          mathdl.el("span", { class: "g", text: value == null ? "—" : `${(100 * value).toFixed(1)}%` }),
          mathdl.el("span", { class: "r", text: value == null ? "—" : `${(100 * (1 - value)).toFixed(1)}%` }));
      };
      const cellOf = (n, kind, tag) => mathdl.el("div", { class: kind, title: tag }, mathdl.el("b", { text: String(n) }),
        `${pc(n)} · ${tag}`);
      const grid = mathdl.el("div", { class: "confusion" },
        mathdl.el("div", {}), mathdl.el("div", { class: "head", text: `→ ${short(positive)}` }),
        mathdl.el("div", { class: "head", text: `→ ${short(negative)}` }), mathdl.el("div", { class: "head", text: "rate" }),
        mathdl.el("div", { class: "side", text: side(positive), title: positive }), cellOf(c.tp, "hit", "TP"), cellOf(c.fn, "miss", "FN"),
        rate(c.tp, c.fn, "sensitivity", "sens."),
        mathdl.el("div", { class: "side", text: side(negative), title: negative }), cellOf(c.fp, "miss", "FP"), cellOf(c.tn, "hit", "TN"),
        rate(c.tn, c.fp, "specificity", "spec."),
        mathdl.el("div", {}), rate(c.tp, c.fp, "precision", "prec."), rate(c.tn, c.fn, "negative predictive value", "NPV"),
        mathdl.el("div", { class: "all", title: "accuracy" }, mathdl.el("span", { class: "name", text: "acc." }),
          mathdl.el("span", { class: "g", text: mathdl.percent(c.accuracy.value) }),
          mathdl.el("span", { class: "r", text: mathdl.percent(1 - c.accuracy.value) })));
      return mathdl.el("div", { class: "card matrix", "data-number": String(c.number) },
        mathdl.el("h3", { text: `${c.number} · ${c.hidden_layers} hidden, ${String(c.cost).toUpperCase()}, ${c.bp}` +
          (c.number === v.best ? "  ★ best observed" : "") }),
        mathdl.el("div", { class: "label", text: c.label }), grid);
    }));
  }

  const side = (name) => String(name).split(" {")[0].replace(/^other digits$/, "other").replace(/^ID digits$/, "ID");
  const short = (name) => String(name).replace(/^other digits /, "other ").replace(/^ID digits /, "ID ");

  function rates(v) {
    const interval = (r, percent = true) => {
      if (!r) return "—";
      const f = (x, digits) => (x == null ? "—" : percent ? (100 * x).toFixed(digits) : x.toFixed(digits + 1));
      return mathdl.el("span", {}, f(r.value, 2),
        mathdl.el("span", { class: "ci", text: `[${f(r.ci95 && r.ci95[0], 1)}, ${f(r.ci95 && r.ci95[1], 1)}]` }));
    };
    const rows = v.configurations.map((c) => [String(c.number), c.layers, String(c.cost).toUpperCase(), c.bp,
      interval(c.accuracy), interval(c.sensitivity), interval(c.specificity),
      interval(c.precision), interval(c.f1), interval(c.mcc, false),
      c.train_seconds == null ? "—" : c.train_seconds.toFixed(1)]);
    $("rates").replaceChildren(mathdl.table({ columns: ["#", "layers", "cost", "bp", "accuracy %",
      "sensitivity %", "specificity %", "precision %", "F1 %", "MCC", "training s"], rows },
    { highlight: (i) => v.configurations[i].number === v.best }));
  }

  function reverse(v) {
    const box = $("study-reverse");
    box.replaceChildren(...v.reverse.flatMap((r) => [
      mathdl.el("h3", { text: `${r.name}: ${r.label}` }),
      r.figure ? mathdl.el("img", { src: r.figure.url, alt: `reverse images, ${r.name}` }) : null,
      mathdl.el("div", { class: "table-wrap" }, mathdl.table(r.table))]));
    if (!v.reverse.length) box.append(mathdl.el("p", { class: "muted", text: "This study has no reverse part." }));
  }

  function files(v) {
    const groups = new Map();
    for (const f of v.files) {
      if (!groups.has(f.folder)) groups.set(f.folder, []);
      groups.get(f.folder).push(f);
    }
    $("files").replaceChildren(...[...groups].map(([folder, list], i) => mathdl.el("details", i === 0 ? { open: "" } : {},
      mathdl.el("summary", { text: `${folder === "." ? "the study directory" : folder} (${list.length})` }),
      mathdl.el("ul", {}, ...list.map((f) => mathdl.el("li", {}, mathdl.el("a", { href: f.url, target: "_blank", text: f.name })))))));
  }

  function redraw() {
    if (!view || $("view-study").hidden) return;
    const v = view, colour = (i) => PALETTE[i % PALETTE.length];
    const series = (key) => v.curves.map((c, i) => ({ name: String(c.number), colour: colour(i), dash: i >= 4 ? [6, 4] : [],
      points: c.rows.filter((r) => r[key] != null).map((r) => [r.epoch, r[key]]) }));
    mathdl.chart($("curve-acc"), series("test_accuracy"), { yFormat: (x) => `${(100 * x).toFixed(1)}%` });
    mathdl.chart($("curve-cost"), series("cost"), { yFormat: (x) => x.toFixed(3) });
    const size = v.size_curve.map((r) => [r.train_size, r.accuracy]);
    mathdl.chart($("curve-size"), [{ name: "test accuracy", colour: "#1f5f99", points: size }],
      { xLabel: "training images", yFormat: (x) => `${(100 * x).toFixed(1)}%`, legend: false, markers: true });
  }

  window.addEventListener("resize", redraw);
  return { load, redraw };
})();
