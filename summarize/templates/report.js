// The HTML report's one script (summarize/html.py inlines it and allows it by its hash):
// activating a citation link shows its source's text with exactly data-start..data-end marked.
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const texts = new Map(data.sources.map((source) => [source.id, source.text]));
  const codePoints = new Map(); // Python indexes code points; JS strings count UTF-16 units
  const panels = new Map();
  for (const panel of document.querySelectorAll("[data-source-panel]")) {
    panels.set(panel.dataset.sourcePanel, panel);
  }
  let shown = null;

  function charsOf(id) {
    if (!codePoints.has(id)) codePoints.set(id, Array.from(texts.get(id)));
    return codePoints.get(id);
  }

  function clear() {
    if (!shown) return;
    shown.panel.querySelector(".text").textContent = texts.get(shown.id);
    shown.panel.classList.remove("active");
    shown.link.removeAttribute("aria-current");
    shown = null;
  }

  function show(link) {
    const id = link.dataset.sourceId;
    const start = Number(link.dataset.start);
    const end = Number(link.dataset.end);
    const panel = panels.get(id);
    if (!panel || !texts.has(id)) return false;
    const chars = charsOf(id);
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= chars.length)) {
      return false;
    }
    clear();
    const mark = document.createElement("mark");
    mark.tabIndex = -1;
    mark.textContent = chars.slice(start, end).join("");
    panel.querySelector(".text").replaceChildren(
      chars.slice(0, start).join(""), mark, chars.slice(end).join(""));
    const line = panel.querySelector(".back-line");
    line.querySelector(".shown").textContent =
      `Footnote ${link.textContent}: characters ${start}–${end}`;
    line.querySelector(".back").href = "#" + link.id;
    line.hidden = false;
    panel.classList.add("active");
    link.setAttribute("aria-current", "true");
    shown = { id, panel, link };
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const link = target && target.closest("a[data-source-id]");
    if (link && show(link)) {
      event.preventDefault();
      return;
    }
    const back = target && target.closest("a.back");
    const origin = back && document.getElementById(back.hash.slice(1));
    if (origin) {
      event.preventDefault();
      origin.scrollIntoView({ block: "center" });
      origin.focus({ preventScroll: true });
    }
  });
})();
