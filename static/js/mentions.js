// `@name` suggestions in the note composer (a form with data-mentions="<suggestions URL>").
// Typing @ and a letter or more lists matching active teammates under the text box;
// ArrowDown/ArrowUp choose, Enter or Tab inserts "@username ", Escape closes; a click
// inserts too. The text box keeps focus throughout (aria-activedescendant names the
// chosen option) and a polite status line says how many were found.
(function () {
  "use strict";

  const MENTION_BEFORE_CARET = /(^|[^\w@.+-])@([\w.+-]{1,150})$/;
  const DELAY_MS = 120;

  function setUp(form) {
    const input = form.querySelector("textarea");
    if (!input || input.dataset.mentionsReady) return;
    input.dataset.mentionsReady = "true";
    const url = form.dataset.mentions;
    const listId = "mention-list";
    const box = document.createElement("div");
    box.className = "mention-box";
    const list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Teammates to mention");
    list.hidden = true;
    const status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    box.appendChild(list);
    box.appendChild(status);
    input.insertAdjacentElement("afterend", box);
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);

    let options = [];
    let active = -1;
    let match = null;
    let timer = null;
    let pending = null;

    function close() {
      options = [];
      active = -1;
      list.hidden = true;
      list.replaceChildren();
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.from(list.children).forEach(function (item, position) {
        item.setAttribute("aria-selected", position === index ? "true" : "false");
      });
      if (index >= 0) input.setAttribute("aria-activedescendant", listId + "-" + index);
    }

    function insert(index) {
      const teammate = options[index];
      if (!teammate || !match) return;
      const caret = input.selectionStart;
      const start = caret - match.length;
      const text = "@" + teammate.username + " ";
      input.value = input.value.slice(0, start) + text + input.value.slice(caret);
      input.selectionStart = input.selectionEnd = start + text.length;
      close();
      status.textContent = "Mentioned " + teammate.name + ".";
      input.focus();
    }

    function show(teammates) {
      close();
      options = teammates;
      teammates.forEach(function (teammate, index) {
        const item = document.createElement("li");
        item.id = listId + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.username = teammate.username;
        item.textContent = "@" + teammate.username;
        const name = document.createElement("span");
        name.className = "muted";
        name.textContent = teammate.name;
        item.appendChild(name);
        // mousedown, not click: the text box must not lose focus (and its caret) first.
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          insert(index);
        });
        list.appendChild(item);
      });
      list.hidden = teammates.length === 0;
      status.textContent = teammates.length
        ? teammates.length + " teammates found: arrow keys to choose, Enter to insert."
        : "No teammate found.";
      if (teammates.length) highlight(0);
    }

    function lookUp() {
      const before = input.value.slice(0, input.selectionStart);
      const found = before.match(MENTION_BEFORE_CARET);
      if (!found) {
        match = null;
        close();
        return;
      }
      match = "@" + found[2];
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(found[2]), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending.signal,
      })
        .then(function (response) {
          return response.ok ? response.json() : { teammates: [] };
        })
        .then(function (data) {
          show(data.teammates || []);
        })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUp, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden || !options.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + options.length) % options.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        event.stopPropagation();
        insert(active < 0 ? 0 : active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("form[data-mentions]").forEach(setUp);
  }

  document.addEventListener("DOMContentLoaded", function () {
    scan(document.body);
  });
  document.addEventListener("htmx:load", function (event) {
    scan(event.detail.elt);
  });
})();
