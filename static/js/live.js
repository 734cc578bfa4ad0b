// Live updates (README "Live updates"). An element with data-live-stream names a
// server-sent-event stream; the page opens each stream once. When it says "ready" or
// "change", each data-live element of that stream (and only those: a conversation page
// follows the inbox and the conversation, and a change to this conversation comes on
// both) gets the htmx event "live", which makes it fetch its fragment
// (hx-trigger="live, every 20s"; a fetch asked for while one is under way follows it). While a stream is down, those
// elements refresh every few seconds instead, until it is back. The body's
// data-live-state says which: "connected" or "polling".
(function () {
  "use strict";

  const FALLBACK_MS = 3000;
  const REOPEN_MS = 5000;
  const streams = {};

  function refresh(url) {
    if (!window.htmx) return;
    document.querySelectorAll("[data-live]").forEach(function (element) {
      if (element.dataset.liveStream === url) window.htmx.trigger(element, "live");
    });
  }

  function state(value) {
    document.body.dataset.liveState = value;
  }

  function open(url) {
    if (streams[url] || !window.EventSource) return;
    const source = new EventSource(url);
    const stream = { source: source, fallback: null };
    streams[url] = stream;

    function polling(on) {
      if (on && !stream.fallback) {
        stream.fallback = setInterval(function () {
          refresh(url);
        }, FALLBACK_MS);
      }
      if (!on && stream.fallback) {
        clearInterval(stream.fallback);
        stream.fallback = null;
      }
    }

    // "ready" comes once the server listens: refreshing then misses nothing.
    source.addEventListener("ready", function () {
      polling(false);
      state("connected");
      refresh(url);
    });
    source.addEventListener("change", function () {
      refresh(url);
    });
    source.addEventListener("error", function () {
      polling(true);
      state("polling");
      // The browser retries on its own unless the server refused (e.g. logged out):
      // then try again now and then, polling meanwhile.
      if (source.readyState === EventSource.CLOSED) {
        delete streams[url];
        setTimeout(function () {
          polling(false);
          open(url);
        }, REOPEN_MS);
      }
    });
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches("[data-live-stream]")) open(root.dataset.liveStream);
    root.querySelectorAll("[data-live-stream]").forEach(function (element) {
      open(element.dataset.liveStream);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    scan(document.body);
  });
  // A swapped fragment may name its stream again (the Messenger's does): opened once.
  document.addEventListener("htmx:load", function (event) {
    scan(event.detail.elt);
  });
})();
