// The page: three views behind tabs (the address's #digit, #playground, #study picks one), each loaded once.
"use strict";

(function () {
  const tabs = document.querySelectorAll(".tabs button");
  const views = document.querySelectorAll(".view");

  function showView(name) {
    if (![...views].some((v) => v.dataset.view === name)) name = "digit";
    for (const tab of tabs) tab.setAttribute("aria-selected", String(tab.dataset.view === name));
    for (const view of views) view.hidden = view.dataset.view !== name;
    if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
    if (name === "playground") mathdl.playground.redraw();
    if (name === "study") mathdl.study.redraw();
  }

  for (const tab of tabs) tab.addEventListener("click", () => showView(tab.dataset.view));
  window.addEventListener("hashchange", () => showView(location.hash.slice(1)));
  document.querySelector("#message button").addEventListener("click", () => {
    document.getElementById("message").hidden = true;
  });

  showView(location.hash.slice(1) || "digit");
  mathdl.digit.load();
  mathdl.playground.open();
  mathdl.study.load();
})();
