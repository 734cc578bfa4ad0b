// The teammate inbox: open a conversation at its latest part, and keyboard shortcuts
// (j/k move in the list, r reply, n note, e close, ? help). Everything works without it.
(function () {
  "use strict";

  const NEAR_END = 120; // px: a reader this close to the end follows new parts

  function timeline() {
    return document.getElementById("timeline");
  }

  function composer() {
    return document.getElementById("composer");
  }

  // The timeline scrolls inside its pane on a desktop and with the page on a phone.
  function showLatest() {
    const box = timeline();
    if (!box || window.location.hash === "#details") return;
    if (box.scrollHeight > box.clientHeight) {
      box.scrollTop = box.scrollHeight;
    } else {
      // A phone: the page scrolls; the composer stays stuck at the foot of the screen.
      window.scrollTo(0, document.documentElement.scrollHeight);
    }
  }

  function atEnd() {
    const box = timeline();
    if (!box) return false;
    const inBox = box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_END;
    const inPage =
      window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - NEAR_END;
    return box.scrollHeight > box.clientHeight ? inBox : inPage;
  }

  let following = true;
  let selectedId = null;

  document.addEventListener("DOMContentLoaded", showLatest);

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target === timeline()) following = atEnd();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === timeline() && following) showLatest();
    // A refreshed list keeps the row j/k had reached.
    if (event.detail.target.id === "inbox-list" && selectedId) {
      const link = document.querySelector(`.conversation-row[data-id="${selectedId}"] a`);
      if (link) link.focus({ preventScroll: true });
    }
  });

  // Bulk actions: tick rows (shift-click ticks the range from the last one ticked),
  // or all in view; the ticks survive the list's refreshes.
  const ticked = new Set();
  let lastTicked = null;

  function checks() {
    return Array.from(document.querySelectorAll("[data-row-check]"));
  }

  function showTicks() {
    checks().forEach(function (box) {
      box.checked = ticked.has(box.value);
      box.closest(".conversation-row").classList.toggle("checked", box.checked);
    });
    const count = document.querySelector("[data-bulk-count]");
    if (count) count.textContent = ticked.size ? `${ticked.size} selected` : "None selected";
    const all = document.querySelector("[data-select-all]");
    if (all) {
      const boxes = checks();
      all.checked = boxes.length > 0 && boxes.every((box) => box.checked);
    }
  }

  function showBulkFields() {
    const action = document.querySelector("#bulk-form [name=action]");
    if (!action) return;
    document.querySelectorAll("[data-bulk-field]").forEach(function (field) {
      field.classList.toggle("hidden", !field.dataset.bulkField.split(" ").includes(action.value));
    });
  }

  document.addEventListener("click", function (event) {
    const box = event.target.closest("[data-row-check]");
    if (!box) return;
    const boxes = checks();
    const index = boxes.indexOf(box);
    const from = lastTicked === null ? -1 : boxes.findIndex((b) => b.value === lastTicked);
    const range = event.shiftKey && from >= 0 ? boxes.slice(Math.min(from, index), Math.max(from, index) + 1) : [box];
    range.forEach((b) => (box.checked ? ticked.add(b.value) : ticked.delete(b.value)));
    lastTicked = box.value;
    showTicks();
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      checks().forEach((box) => (event.target.checked ? ticked.add(box.value) : ticked.delete(box.value)));
      showTicks();
    } else if (event.target.matches("#bulk-form [name=action]")) {
      showBulkFields();
    }
  });

  document.addEventListener("DOMContentLoaded", showBulkFields);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "inbox-list") return;
    // A row that left the view (closed elsewhere) is no longer ticked: only rows in view are sent.
    const inView = new Set(checks().map((box) => box.value));
    Array.from(ticked).forEach((id) => inView.has(id) || ticked.delete(id));
    showTicks();
  });

  function rows() {
    return Array.from(document.querySelectorAll(".conversation-row a"));
  }

  function move(step) {
    const links = rows();
    if (!links.length) return;
    const onConversation = Boolean(composer());
    let index = links.indexOf(document.activeElement);
    if (index < 0) index = links.findIndex((link) => link.getAttribute("aria-current"));
    const next =
      index < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, index + step));
    if (onConversation) {
      // Beside a conversation, j/k open the next or previous one.
      if (next !== index) window.location.assign(links[next].href);
      return;
    }
    links.forEach((link) => link.parentElement.classList.remove("selected"));
    links[next].parentElement.classList.add("selected");
    links[next].focus();
    selectedId = links[next].parentElement.dataset.id;
  }

  function write(kind) {
    const form = composer();
    if (!form) return;
    form.dataset.kind = kind;
    const field = form.querySelector("textarea");
    field.placeholder =
      kind === "note" ? "Internal note, seen by teammates only…" : "Reply to the customer…";
    field.focus();
  }

  function toggleHelp() {
    document.querySelectorAll("[data-shortcuts-help]").forEach((help) => help.classList.toggle("hidden"));
  }

  function typing(target) {
    return (
      target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)
    );
  }

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") target.blur();
      const form = target.form;
      if (form && form === composer() && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit(form.querySelector(`button[name="kind"][value="${form.dataset.kind}"]`));
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const actions = {
      j: () => move(1),
      k: () => move(-1),
      r: () => write("reply"),
      n: () => write("note"),
      e: () => {
        const close = document.querySelector("[data-shortcut-close]");
        if (close) close.requestSubmit();
      },
      "?": toggleHelp,
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });
})();
