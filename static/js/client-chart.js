// Trend chart (client page and print summary), data from json_script (clients/chart.py).
// Honest about time: x is the day number since the first session (a linear axis, so
// gaps are proportional), labelled with the server's dates so the chart reads like the
// tables. Straight segments; the client's usual range as a band; rupture (triangle) and
// repair (circle) markers; the client's own ratings as a series of their own; below it,
// one progress chart per measure (PHQ-9, GAD-7) on the same x axis, severity bands shaded.
(function () {
  const source = document.getElementById("chart-data");
  const canvas = document.getElementById("trend-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const days = data.days;
  const dateOf = new Map(days.map((day, i) => [day, data.dates[i]]));
  const xy = (values) => values.map((y, i) => ({ x: days[i], y }));
  const last = days[days.length - 1];
  const pad = Math.max(1, Math.round(last * 0.02));

  const line = (label, values, colour, width, extra) => ({
    type: "line",
    label,
    data: xy(values),
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: width,
    pointRadius: width > 2 ? 3 : 0,
    spanGaps: true,
    tension: 0, // straight segments: no smoothing between sessions
    order: 1,
    ...extra,
  });
  const marker = (list, colour, style, label, rotation = 0) => ({
    type: "scatter",
    label,
    data: list.map((m) => ({ x: m.x, y: m.y })),
    pointStyle: style,
    rotation,
    pointRadius: 8,
    pointHoverRadius: 9,
    backgroundColor: colour,
    borderColor: "#fff",
    borderWidth: 1.5,
    showLine: false,
    order: 0, // drawn on top of the lines
  });
  const datasets = [
    line("Overall index", data.overall, "#1f5f8b", 3.5),
    line("Therapist", data.therapist, "#7fa7c9", 1.25),
    line("Client", data.client, "#c98f3f", 1.25),
    line("Context", data.contextual, "#8a8a8a", 1.25),
    line("Client's own ratings", data.client_view, "#6f42c1", 2,
      { borderDash: [6, 4], pointRadius: 4, pointStyle: "rectRot" }),
    marker(data.markers.rupture, "#b3261e", "triangle", "Alliance rupture", 180),
    marker(data.markers.factor_drop || [], "#e08a83", "triangle", "Factor drop", 180),
    marker(data.markers.context_change || [], "#5a7fa3", "rectRot", "Context change"),
    marker(data.markers.repair, "#1e7b4f", "circle", "Repair"),
  ];
  const band = data.baseline;
  if (band) {
    const edge = (label, y, extra) => ({
      type: "line",
      label,
      data: [{ x: band.from, y }, { x: last, y }],
      borderColor: "rgba(31, 95, 139, 0.25)",
      borderWidth: 1,
      pointRadius: 0,
      tension: 0,
      order: 2, // under the lines
      ...extra,
    });
    datasets.push(
      edge("Usual range low", band.low, { fill: false, band: "edge" }),
      edge("Usual range (mean ± 1 SD)", band.high, { fill: "-1", backgroundColor: "rgba(31, 95, 139, 0.12)" }),
    );
  }

  // One time axis for the alliance and the progress charts: the same days, range and ticks,
  // and y axes of one width, so a date sits at the same place in every chart.
  const yWidth = (axis) => {
    axis.width = 36;
  };
  const xAxis = () => ({
    type: "linear",
    min: -pad,
    max: last + pad,
    afterBuildTicks: (axis) => {
      axis.ticks = data.ticks.map((i) => ({ value: days[i] }));
    },
    ticks: { autoSkip: true, maxRotation: 0, callback: (value) => dateOf.get(value) || "" },
  });

  new Chart(canvas, {
    data: { datasets },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "nearest", intersect: false, axis: "x" },
      scales: {
        x: xAxis(),
        y: { min: 0, max: 100, ticks: { stepSize: 25 }, afterFit: yWidth },
      },
      plugins: {
        legend: {
          labels: {
            boxWidth: 12,
            sort: (a, b) => a.datasetIndex - b.datasetIndex,
            filter: (item, chart) => {
              const set = chart.datasets[item.datasetIndex];
              return set.band !== "edge" && set.data.some((p) => p.y !== null);
            },
          },
        },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? dateOf.get(items[0].parsed.x) || "" : ""),
            label: (item) => `${item.dataset.label}: ${Math.round(item.parsed.y)}`,
          },
          filter: (item) => item.dataset.band !== "edge" && !item.dataset.label.startsWith("Usual range"),
        },
      },
    },
  });

  // Progress beside the alliance: each measure's total on the same days, severity bands shaded
  // (lightest = minimal), the caseness cut-off dashed.
  const shades = ["rgba(30,123,79,0.10)", "rgba(232,194,122,0.18)", "rgba(224,138,131,0.20)",
    "rgba(179,38,30,0.18)", "rgba(122,0,0,0.22)"];
  const bandsPlugin = {
    id: "severityBands",
    beforeDatasetsDraw(chart, args, options) {
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      options.bands.forEach((band, i) => {
        const top = scales.y.getPixelForValue(Math.min(band.high + 1, options.max));
        const bottom = scales.y.getPixelForValue(band.low);
        ctx.fillStyle = shades[Math.min(i, shades.length - 1)];
        ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, bottom - top);
      });
      ctx.restore();
    },
  };
  (data.measures || []).forEach((measure) => {
    const target = document.getElementById(`progress-chart-${measure.key}`);
    if (!target) return;
    new Chart(target, {
      plugins: [bandsPlugin],
      data: {
        datasets: [
          {
            type: "line",
            label: `${measure.name} total`,
            data: measure.points,
            borderColor: "#5b3a8c",
            backgroundColor: "#5b3a8c",
            borderWidth: 2.5,
            pointRadius: 4,
            tension: 0,
          },
          {
            type: "line",
            label: `Caseness (${measure.caseness})`,
            data: [{ x: -pad, y: measure.caseness }, { x: last + pad, y: measure.caseness }],
            borderColor: "rgba(0,0,0,0.45)",
            borderDash: [4, 4],
            borderWidth: 1,
            pointRadius: 0,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "nearest", intersect: false, axis: "x" },
        scales: {
          x: xAxis(),
          y: {
            min: 0,
            max: measure.max + 1,
            ticks: { stepSize: 5, callback: (value) => (value % 5 === 0 ? value : "") },
            afterFit: yWidth,
          },
        },
        plugins: {
          severityBands: { bands: measure.bands, max: measure.max + 1 },
          legend: { labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? dateOf.get(items[0].parsed.x) || "" : ""),
              label: (item) => {
                const band = measure.bands.find((b) => b.low <= item.parsed.y && item.parsed.y <= b.high);
                return `${item.dataset.label}: ${item.parsed.y}${band && item.datasetIndex === 0 ? ` (${band.label})` : ""}`;
              },
            },
          },
        },
      },
    });
  });
})();
