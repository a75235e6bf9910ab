// The forecast chart: bars of credentials expiring per month, a line of the
// projected compliance %. Data comes from the canvas's data-forecast
// attribute; the same figures are in a table on the page (works without JS).
(function () {
  "use strict";

  var charts = new WeakMap();

  function draw(canvas) {
    if (!window.Chart || charts.has(canvas)) return;
    var data;
    try {
      data = JSON.parse(canvas.getAttribute("data-forecast"));
    } catch (e) {
      return;
    }
    var chart = new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          {
            type: "bar",
            label: "Credentials expiring",
            data: data.expiring,
            backgroundColor: "rgba(180, 83, 9, 0.75)",
            yAxisID: "count",
            order: 2
          },
          {
            type: "line",
            label: "Projected compliance %",
            data: data.compliance,
            borderColor: "#0f5c4d",
            backgroundColor: "#0f5c4d",
            tension: 0,
            yAxisID: "percent",
            order: 1
          }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          count: { type: "linear", position: "left", beginAtZero: true,
                   title: { display: true, text: "Expiring" }, ticks: { precision: 0 } },
          percent: { type: "linear", position: "right", min: 0, max: 100,
                     title: { display: true, text: "Compliance %" }, grid: { drawOnChartArea: false } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    charts.set(canvas, chart);
    canvas.setAttribute("data-drawn", "true");
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-forecast]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  // A team change swaps the results region in; draw its new chart.
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
})();
