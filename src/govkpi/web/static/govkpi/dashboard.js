// govkpi dashboards: the province map, the trend chart, the indicator picker and sortable tables.
// Served from the app (no CDN) under a CSP without inline scripts: data comes from data-* attributes and
// from the panel JSON URLs (/panels/map-data/, /panels/series/). Every part works when there is no data.
// A live update can fire "govkpi:refresh-results" on <body>: the charts then fetch their data again.
(function () {
  "use strict";

  var lang = document.documentElement.lang || "vi";
  var charts = [];
  var geoPromise = null;

  function fmt(value, decimals) {
    if (value === null || value === undefined || isNaN(value)) { return "—"; }
    var d = decimals === undefined ? 2 : decimals;
    return new Intl.NumberFormat(lang, { minimumFractionDigits: 0, maximumFractionDigits: d }).format(value);
  }

  function fmtValue(value, indicator) {
    if (value === null || value === undefined) { return "—"; }
    var text = fmt(value, indicator ? indicator.decimals || 0 : 2);
    return indicator && indicator.value_type === "percentage" ? text + "%" : text;
  }

  function fmtDate(iso) {
    if (!iso) { return "—"; }
    var p = String(iso).slice(0, 10).split("-");
    return p[2] + "/" + p[1] + "/" + p[0];
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(r.status + " " + url); }
      return r.json();
    });
  }

  function chartFor(el) {
    if (!window.echarts) { return null; }
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el, null, { renderer: "canvas" });
    if (charts.indexOf(chart) < 0) {
      charts.push(chart);
      // data-drawn: the chart has finished drawing (its animation too), so a printout or a test may take it.
      chart.on("finished", function () { el.setAttribute("data-drawn", ""); });
    }
    return chart;
  }

  function emptyGraphic(text) {
    return [{ type: "text", left: "center", top: "middle", style: { text: text, fontSize: 14, fill: "#57606a" } }];
  }

  // -- the map ---------------------------------------------------------------------------------------------

  function loadGeo(url) {
    if (!geoPromise) {
      geoPromise = getJSON(url).then(function (geo) { window.echarts.registerMap("vn34", geo); return geo; });
    }
    return geoPromise;
  }

  function mapOption(el, payload) {
    var indicator = payload.indicator;
    var items = payload.items || [];
    var values = items.map(function (i) { return i.value; }).filter(function (v) { return v !== null; });
    var min = values.length ? Math.min.apply(null, values) : 0;
    var max = values.length ? Math.max.apply(null, values) : 1;
    if (min === max) { max = min + 1; }
    var colors = ["#deebf7", "#9ecae1", "#4292c6", "#08519c", "#08306b"];
    if (indicator.direction === "lower_is_better") { colors = colors.slice().reverse(); }
    var byCode = {};
    items.forEach(function (i) { byCode[i.code] = i; });
    return {
      aria: { enabled: true },
      graphic: values.length ? [] : emptyGraphic(el.dataset.labelNodata),
      tooltip: {
        trigger: "item", renderMode: "richText",
        formatter: function (p) {
          if (p.seriesType !== "map") { return p.name; }
          var i = byCode[p.name];
          if (!i) { return p.name + ": " + el.dataset.labelNodata; }
          return i.name + "\n" + fmtValue(i.value, indicator) + " (" + el.dataset.labelTarget + " " +
            fmtValue(i.target, indicator) + ")\n" + i.status_label;
        }
      },
      visualMap: {
        type: "continuous", seriesIndex: 0, min: min, max: max, orient: "horizontal", left: 8, bottom: 8,
        itemWidth: 12, itemHeight: 120, calculable: false, inRange: { color: colors },
        text: [fmtValue(max, indicator), fmtValue(min, indicator)], textStyle: { color: "#1b1f24" }
      },
      geo: {
        map: "vn34", nameProperty: "code", roam: true, scaleLimit: { min: 1, max: 8 }, top: 8, bottom: 40,
        itemStyle: { areaColor: "#e5e7ea", borderColor: "#ffffff", borderWidth: 0.6 },
        emphasis: { itemStyle: { areaColor: "#f0b400" }, label: { show: false } },
        select: { disabled: true }
      },
      series: [
        {
          type: "map", geoIndex: 0,
          data: items.map(function (i) { return { name: i.code, value: i.value === null ? NaN : i.value }; })
        },
        {
          // Viet Nam's two archipelagos, labelled so they are seen at national scale (docs/map-data.md).
          type: "scatter", coordinateSystem: "geo", silent: true, symbolSize: 5, tooltip: { show: false },
          itemStyle: { color: "#a3161a" },
          label: { show: true, position: "bottom", fontSize: 11, color: "#1b1f24", align: "center",
            formatter: function (p) { return p.name.replace(" (", "\n("); } },
          data: [
            { name: el.dataset.labelHoangsa, value: [112.1, 16.4] },
            { name: el.dataset.labelTruongsa, value: [114.0, 10.0] }
          ]
        }
      ]
    };
  }

  function fillMapTable(el, payload) {
    var body = el.closest(".panel") && el.closest(".panel").querySelector("[data-map-table]");
    if (!body) { return; }
    body.textContent = "";
    payload.items.forEach(function (i) {
      var tr = document.createElement("tr");
      var name = document.createElement("td");
      var a = document.createElement("a");
      a.href = i.url; a.textContent = i.name; name.appendChild(a);
      var value = document.createElement("td"); value.className = "num"; value.textContent = fmtValue(i.value, payload.indicator);
      var target = document.createElement("td"); target.className = "num"; target.textContent = fmtValue(i.target, payload.indicator);
      var status = document.createElement("td");
      var light = document.createElement("span"); light.className = "light light-" + i.status;
      var dot = document.createElement("span"); dot.className = "dot"; dot.setAttribute("aria-hidden", "true");
      light.appendChild(dot); light.appendChild(document.createTextNode(i.status_label)); status.appendChild(light);
      [name, value, target, status].forEach(function (td) { tr.appendChild(td); });
      body.appendChild(tr);
    });
  }

  function drawMap(el) {
    var chart = chartFor(el);
    if (!chart) { return; }
    chart.showLoading({ text: "…" });
    Promise.all([loadGeo(el.dataset.geoUrl), getJSON(el.dataset.mapUrl)]).then(function (res) {
      var payload = res[1];
      chart.hideLoading();
      chart.setOption(mapOption(el, payload), true);
      fillMapTable(el, payload);
      chart.off("click");
      chart.on("click", function (p) {
        if (p.seriesType === "map" && p.name) { window.location.href = el.dataset.unitUrl.replace("CODE", p.name); }
      });
    }).catch(function () {
      chart.hideLoading();
      chart.setOption({ graphic: emptyGraphic(el.dataset.labelNodata) }, true);
    });
  }

  // -- the trend ---------------------------------------------------------------------------------------------

  function trendOption(el, payload) {
    var d = el.dataset;
    var indicator = payload.indicator;
    var points = payload.points || [];
    var series = [
      { name: d.labelValue, type: "line", symbolSize: 6, lineStyle: { width: 3, color: "#0a4fa8" }, itemStyle: { color: "#0a4fa8" },
        data: points.map(function (p) { return [p.end, p.value]; }) },
      { name: d.labelExpected, type: "line", symbol: "none", lineStyle: { type: "dashed", color: "#57606a" }, itemStyle: { color: "#57606a" },
        data: points.filter(function (p) { return p.expected !== null; }).map(function (p) { return [p.end, p.expected]; }) }
    ];
    if (payload.target) {
      series[0].markLine = {
        symbol: "none", silent: true, lineStyle: { color: "#185c2b", type: "solid", width: 2 },
        label: { formatter: d.labelTarget + " " + fmtValue(payload.target.value, indicator) +
          (payload.target.deadline ? " (" + fmtDate(payload.target.deadline) + ")" : ""), position: "insideEndTop", color: "#185c2b" },
        data: [{ yAxis: payload.target.value }]
      };
      if (payload.target.deadline) {
        series.push({ name: d.labelTarget, type: "scatter", symbol: "diamond", symbolSize: 12, itemStyle: { color: "#185c2b" },
          data: [[payload.target.deadline, payload.target.value]] });
      }
    }
    if (payload.forecast) {
      var f = payload.forecast;
      series.push({ name: d.labelForecast, type: "line", symbolSize: 6, lineStyle: { type: "dotted", width: 2, color: "#a3161a" },
        itemStyle: { color: "#a3161a" }, data: [[f.from, f.from_value], [f.at, f.value]] });
      if (f.low !== null && f.high !== null) {
        series.push({ name: d.labelInterval, type: "line", symbol: "rect", symbolSize: [10, 2],
          lineStyle: { width: 8, opacity: 0.3, color: "#a3161a" }, itemStyle: { color: "#a3161a" },
          data: [[f.at, f.low], [f.at, f.high]] });
      }
    }
    return {
      aria: { enabled: true },
      graphic: points.length ? [] : emptyGraphic(d.labelNodata),
      grid: { left: 56, right: 24, top: 24, bottom: 64 },
      legend: { bottom: 0, textStyle: { color: "#1b1f24" } },
      tooltip: {
        trigger: "axis", renderMode: "richText",
        valueFormatter: function (v) { return fmtValue(Array.isArray(v) ? v[1] : v, indicator); }
      },
      xAxis: { type: "time", axisLabel: { formatter: function (v) { var t = new Date(v); return (t.getMonth() + 1) + "/" + t.getFullYear(); } } },
      yAxis: { type: "value", scale: true, axisLabel: { formatter: function (v) { return fmtValue(v, indicator); } } },
      series: series
    };
  }

  function drawTrend(el) {
    var chart = chartFor(el);
    if (!chart) { return; }
    getJSON(el.dataset.seriesUrl).then(function (payload) {
      chart.setOption(trendOption(el, payload), true);
    }).catch(function () {
      chart.setOption({ graphic: emptyGraphic(el.dataset.labelNodata) }, true);
    });
  }

  function drawAll() {
    document.querySelectorAll('[data-chart="map"]').forEach(drawMap);
    document.querySelectorAll('[data-chart="trend"]').forEach(drawTrend);
  }

  // -- the indicator picker: redraw in place, keep the address shareable ----------------------------------------

  function withIndicator(url, code) {
    var u = new URL(url, window.location.href);
    u.searchParams.set("indicator", code);
    return u.pathname + u.search;
  }

  function bindPicker() {
    var select = document.querySelector("[data-indicator-select]");
    if (!select) { return; }
    var form = select.form;
    form.querySelectorAll("[data-nojs]").forEach(function (b) { b.hidden = true; });
    select.addEventListener("change", function () {
      var code = select.value;
      var label = select.options[select.selectedIndex].textContent;
      document.querySelectorAll('[data-chart="map"]').forEach(function (el) { el.dataset.mapUrl = withIndicator(el.dataset.mapUrl, code); drawMap(el); });
      document.querySelectorAll('[data-chart="trend"]').forEach(function (el) { el.dataset.seriesUrl = withIndicator(el.dataset.seriesUrl, code); drawTrend(el); });
      var link = form.querySelector("[data-indicator-link]");
      if (link) { link.href = link.href.replace(/\/indicators\/[^/]+\//, "/indicators/" + encodeURIComponent(code) + "/"); }
      var title = document.querySelector("[data-trend-title]");
      if (title) { title.textContent = label; }
      window.history.replaceState(null, "", withIndicator(window.location.href, code));
    });
  }

  // -- sortable tables (keyboard: the header buttons) ------------------------------------------------------------

  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    var raw = cell ? (cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim()) : "";
    if (kind === "num") { var n = parseFloat(raw); return isNaN(n) ? null : n; }
    return raw;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("table[data-sortable] th button[data-sort]");
    if (!button) { return; }
    var th = button.closest("th");
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var kind = button.dataset.sort;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var collator = new Intl.Collator(lang);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, kind), y = cellValue(b, index, kind);
      if (x === null || x === "") { return 1; }  // empty cells last, whatever the direction
      if (y === null || y === "") { return -1; }
      var c = kind === "num" ? x - y : collator.compare(x, y);
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });

  // -- start, resize, live refresh --------------------------------------------------------------------------------

  function start() {
    bindPicker();
    drawAll();
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
    document.body.addEventListener("govkpi:refresh-results", drawAll);
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
