// Live pages: subscribe to the server-sent change events (/api/v1/events) and refresh only the parts of the
// page that show what changed. A part opts in with data-live="results scores tasks" (the kinds it shows) and
// an id. A part with its own hx-get refreshes on the body event "govkpi:refresh-<kind>"; any other part is
// re-fetched from data-live-url, or else from the page's own URL and cut out by its id (htmx's `select`). Charts listen for the "govkpi:live" DOM event instead. Without the stream (or without
// JavaScript) the page still works: it is a normal page that shows the figures as they were when loaded.
(function () {
  "use strict";
  if (!window.EventSource || !document.querySelector("[data-live]")) {
    return;
  }
  // Which page parts each kind of change event makes stale. Only the event's name (its kind) and id are read;
  // its data fields are documented in govkpi/events/types.py. A "datavalues" event is not listed: the results
  // and scores it leads to come as their own events.
  var PARTS = {
    results: ["results"],
    scores: ["scores"],
    task: ["tasks", "scores"],
    targets: ["results"],
    approval: ["scores"],
  };
  var stale = {};
  var timer = null;
  var status = document.getElementById("live-status");

  function setStatus(state) {
    if (status) {
      status.dataset.state = state;
      status.textContent = status.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
    }
  }

  function refresh() {
    timer = null;
    var kinds = Object.keys(stale);
    stale = {};
    var seen = {};
    kinds.forEach(function (part) {
      // Panels that fetch themselves listen for this (hx-trigger="govkpi:refresh-<part> from:body").
      document.body.dispatchEvent(new CustomEvent("govkpi:refresh-" + part));
      document.querySelectorAll('[data-live~="' + part + '"]').forEach(function (el) {
        // Charts (data-chart) redraw themselves from their JSON on the same body event (dashboard.js).
        if (!el.id || seen[el.id] || el.hasAttribute("hx-get") || el.querySelector("[data-chart]")) {
          return;
        }
        seen[el.id] = true;
        var url = el.dataset.liveUrl || window.location.pathname + window.location.search;
        window.htmx.ajax("GET", url, {target: "#" + el.id, select: "#" + el.id, swap: "outerHTML"});
      });
    });
    document.dispatchEvent(new CustomEvent("govkpi:live", {detail: {parts: kinds}}));
  }

  function onChange(event) {
    (PARTS[event.type] || []).forEach(function (part) {
      stale[part] = true;
    });
    document.body.dataset.lastEvent = event.lastEventId || "";
    if (!timer && Object.keys(stale).length) {
      timer = window.setTimeout(refresh, 50);  // several events of one write: one refresh
    }
  }

  // From the event the page was rendered at, so nothing between rendering and connecting is missed.
  var since = document.body.dataset.eventId;
  var source = new EventSource("/api/v1/events" + (since ? "?after=" + encodeURIComponent(since) : ""));
  Object.keys(PARTS).forEach(function (kind) {
    source.addEventListener(kind, onChange);
  });
  source.addEventListener("open", function () {
    setStatus("live");
  });
  source.addEventListener("error", function () {
    setStatus("reconnecting");  // EventSource reconnects by itself and sends Last-Event-ID to catch up
  });
})();
