// Timelines (the inbox's and the Messenger's): a line a teammate expanded stays expanded,
// and keeps the keyboard focus, when a refresh swaps the timeline; "5 min ago" stays true
// on a page that is swapped only when something changes. Without this file the pages
// work the same, the lines fold on refresh and the minutes stand still.
(function () {
  "use strict";

  const ENTRY = "details[data-timeline-entry]";
  let open = [];
  let focused = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (!target || !target.querySelector) return;
    open = Array.from(target.querySelectorAll(ENTRY + "[open]"), (entry) => entry.id);
    const active = document.activeElement;
    const entry = active && target.contains(active) ? active.closest(ENTRY) : null;
    focused = entry ? entry.id : null;
  });

  document.addEventListener("htmx:afterSwap", function () {
    open.forEach(function (id) {
      const entry = document.getElementById(id);
      if (entry) entry.open = true;
    });
    if (focused) {
      const entry = document.getElementById(focused);
      const summary = entry && entry.querySelector("summary");
      if (summary) summary.focus({ preventScroll: true });
    }
    open = [];
    focused = null;
    tick();
  });

  // A recent moment carries its words: data-ago ("{n} min ago") while under the hour,
  // then data-later ("today 14:02"), both written by the server.
  function tick() {
    document.querySelectorAll("time[data-ago][data-later]").forEach(function (time) {
      const minutes = Math.floor((Date.now() - Date.parse(time.dateTime)) / 60000);
      if (!(minutes >= 1)) return;
      if (minutes >= 60) {
        time.textContent = time.dataset.later;
        delete time.dataset.ago;
      } else {
        time.textContent = time.dataset.ago.replace("{n}", String(minutes));
      }
    });
  }

  setInterval(tick, 30000);
})();
