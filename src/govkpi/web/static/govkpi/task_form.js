// The task and directive forms: units chosen by name (suggestions from /tasks/form/units), and the deadline
// read back and the 6 rõ check as the user types (/tasks/form/check). No inline script: the CSP forbids it.
(function () {
  "use strict";
  var WAIT_MS = 200;

  function debounce(fn) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, WAIT_MS); };
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; });
  }

  function unitField(box) {
    var input = box.querySelector("input[role=combobox]");
    var code = box.querySelector("[data-unit-code]");
    var list = box.querySelector(".unit-suggestions");
    var chips = box.querySelector("[data-unit-chips]");
    var multiple = box.getAttribute("data-multiple");
    var asked = "";

    function close() { list.hidden = true; list.innerHTML = ""; input.setAttribute("aria-expanded", "false"); }

    function choose(unit) {
      if (multiple) {
        var exists = chips.querySelector('input[value="' + CSS.escape(unit.code) + '"]');
        if (!exists) {
          var li = document.createElement("li");
          var hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = multiple; hidden.value = unit.code;
          var remove = document.createElement("button");
          remove.type = "button"; remove.className = "link"; remove.textContent = "×";
          remove.setAttribute("data-unit-remove", "");
          li.appendChild(hidden); li.appendChild(document.createTextNode(unit.name + " ")); li.appendChild(remove);
          chips.appendChild(li);
        }
        input.value = "";
      } else {
        input.value = unit.name;
        code.value = unit.code;
      }
      close();
      input.dispatchEvent(new Event("govkpi:unit-chosen", { bubbles: true }));
    }

    function show(units) {
      list.innerHTML = "";
      units.forEach(function (unit, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = input.id + "-opt-" + i;
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = unit.label + " · " + unit.code;
        button.setAttribute("data-code", unit.code);
        button.addEventListener("click", function () { choose(unit); input.focus(); });
        li.appendChild(button);
        list.appendChild(li);
      });
      list.hidden = units.length === 0;
      input.setAttribute("aria-expanded", units.length ? "true" : "false");
    }

    var suggest = debounce(function () {
      var q = input.value.trim();
      asked = q;
      if (q.length < 2) { close(); return; }
      getJSON(box.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q)).then(function (data) {
        if (data && asked === input.value.trim()) { show(data.units); }
      });
    });

    input.addEventListener("input", function () { if (code) { code.value = ""; } suggest(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { close(); }
      if (e.key === "ArrowDown" && !list.hidden) { e.preventDefault(); list.querySelector("button").focus(); }
    });
    if (chips) {
      chips.addEventListener("click", function (e) {
        if (e.target.hasAttribute("data-unit-remove")) { e.target.closest("li").remove(); }
      });
    }
    document.addEventListener("click", function (e) { if (!box.contains(e.target)) { close(); } });
  }

  function liveChecks(form) {
    var url = form.getAttribute("data-check");
    var readback = form.querySelector("[data-readback]");
    var six = form.querySelector("[data-six-clear]");
    if (!url || !readback) { return; }
    var section = readback.closest(".task-checks");
    var seen = form.querySelector("input[name=deadline_seen]");
    var names = ["directive", "title", "deadline_text", "responsible_position", "responsible_name", "lead",
                 "lead_name", "assignees", "product", "accepting_authority"];

    function value(name) {
      var el = form.elements[name];
      return el && el.value !== undefined ? el.value : "";
    }

    var check = debounce(function () {
      var params = new URLSearchParams();
      names.forEach(function (n) { params.set(n, value(n)); });
      var typed = value("deadline_text");
      getJSON(url + "?" + params.toString()).then(function (data) {
        if (!data || data.deadline.text !== value("deadline_text")) { return; }  // typed on since
        readback.textContent = data.deadline.shown;
        readback.classList.toggle("refused", !data.deadline.ok);
        if (seen) { seen.value = data.deadline.ok ? typed : ""; }
        var missing = data.six_clear.labels;
        six.textContent = missing.length ? section.getAttribute("data-label-missing") + ": " + missing.join(", ")
          : section.getAttribute("data-label-complete");
      });
    });
    form.addEventListener("input", check);
    form.addEventListener("change", check);
    form.addEventListener("govkpi:unit-chosen", check);
    check();
  }

  function start() {
    document.querySelectorAll("[data-unit-field]").forEach(unitField);
    document.querySelectorAll("[data-task-form]").forEach(liveChecks);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
