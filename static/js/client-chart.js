// Trend chart on the client page: overall index bold, domain scores thin,
// rupture (triangle) and repair (circle) markers. Data from json_script.
(function () {
  const source = document.getElementById("chart-data");
  const canvas = document.getElementById("trend-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const dates = data.labels.map((iso) => new Date(iso + "T00:00:00"));
  const fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { day: "numeric", month: "short" });
  const labels = dates.map((d) => fmt.format(d));
  const marker = (list, colour, style) => ({
    type: "scatter",
    label: style === "triangle" ? "Rupture" : "Repair",
    data: list.map((m) => ({ x: labels[m.i], y: data.overall[m.i] })),
    pointStyle: style,
    rotation: style === "triangle" ? 180 : 0,
    pointRadius: 8,
    pointHoverRadius: 9,
    backgroundColor: colour,
    borderColor: "#fff",
    borderWidth: 1.5,
    showLine: false,
    order: 0, // drawn on top of the lines
  });
  const line = (label, values, colour, width) => ({
    type: "line",
    label,
    data: values,
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: width,
    pointRadius: width > 2 ? 3 : 0,
    spanGaps: true,
    tension: 0.2,
    order: 1,
  });
  new Chart(canvas, {
    data: {
      labels,
      datasets: [
        line("Overall index", data.overall, "#1f5f8b", 3.5),
        line("Therapist", data.therapist, "#7fa7c9", 1.25),
        line("Client", data.client, "#c98f3f", 1.25),
        line("Context", data.contextual, "#8a8a8a", 1.25),
        { ...line("Client's view", data.client_view, "#6f42c1", 0), showLine: false, pointRadius: 5,
          pointStyle: "rectRot" },
        marker(data.markers.rupture, "#b3261e", "triangle"),
        marker(data.markers.repair, "#1e7b4f", "circle"),
      ],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "nearest", intersect: false },
      scales: { y: { min: 0, max: 100, ticks: { stepSize: 25 } } },
      plugins: {
        legend: {
          labels: {
            boxWidth: 12,
            sort: (a, b) => a.datasetIndex - b.datasetIndex,
            filter: (item, chart) => chart.datasets[item.datasetIndex].data.some((v) => v !== null),
          },
        },
      },
    },
  });
})();
