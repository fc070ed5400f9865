// Draws every chart of the page with the vendored Apache ECharts (no inline script: the CSP forbids it).
// Each chart is a <div class="wb-chart" data-spec="ID"> whose spec is a JSON data block (Django's
// json_script) with the id ID: {"kind": "bar"|"line", "categories": [...], "series": [{"name", "data",
// "stack"}], "y_name": "..."}. The same numbers are in the table or CSV beside each chart.
(function () {
  function option(spec) {
    var horizontal = spec.kind === "hbar";
    var category = {type: "category", data: spec.categories, axisLabel: {hideOverlap: true}};
    var value = {type: "value", name: spec.y_name || ""};
    return {
      animation: false,
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      grid: {left: 56, right: 24, top: 40, bottom: 32, containLabel: true},
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: spec.series.map(function (s) {
        return {name: s.name, type: spec.kind === "line" ? "line" : "bar", stack: s.stack || undefined,
                data: s.data, smooth: spec.kind === "line"};
      })
    };
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-spec"));
    if (!source || typeof echarts === "undefined") { return; }
    var spec = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, {locale: document.documentElement.lang === "en" ? "EN" : "ZH"});
    chart.on("finished", function () { el.setAttribute("data-drawn", "1"); });
    chart.setOption(option(spec));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".wb-chart[data-spec]").forEach(draw);
  });
})();
