// A workflow's report: runs started, completed, interrupted and skipped per day.
// The data comes from the page (Django's json_script), the drawing from Chart.js.
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("report-chart");
  const source = document.getElementById("report-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  const data = JSON.parse(source.textContent);
  const colours = {
    started: "#2f5bea",
    completed: "#027a48",
    interrupted: "#b54708",
    skipped: "#98a2b3",
  };
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.datasets.map((set) => ({
        label: set.label,
        data: set.data,
        borderColor: colours[set.key],
        backgroundColor: colours[set.key],
        tension: 0,
        pointRadius: 2,
      })),
    },
    options: {
      animation: false,  // the numbers at once: no half-drawn chart
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { beginAtZero: true, ticks: { precision: 0 } },
        x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
  canvas.dataset.drawn = "yes";
});
