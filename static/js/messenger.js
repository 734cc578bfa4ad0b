// The Messenger: keep the latest message in view, send with Enter (Shift+Enter for a new
// line), and keep typing after a message is sent. Everything works without this file.
(function () {
  "use strict";

  function composer() {
    return document.querySelector(".messenger-composer");
  }

  function nearEnd() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  function showEnd() {
    const form = composer();
    if (form) form.scrollIntoView({ block: "end" });
  }

  let follow = true;

  document.addEventListener("DOMContentLoaded", showEnd);

  document.addEventListener("htmx:beforeSwap", function () {
    follow = nearEnd();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (follow) showEnd();
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (source && source.classList && source.classList.contains("messenger-composer")) {
      const box = document.querySelector(".messenger-composer textarea");
      if (box) box.focus({ preventScroll: true });
    }
  });

  document.addEventListener("keydown", function (event) {
    const box = event.target;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (!box.matches || !box.matches(".messenger-composer textarea")) return;
    event.preventDefault();
    box.form.requestSubmit();
  });
})();
