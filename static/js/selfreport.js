// The progress line on the client's self-report: how many questions have an answer.
(function () {
  const form = document.querySelector("[data-selfreport]");
  const bar = document.querySelector("[data-progress-bar]");
  const holder = document.querySelector("[data-progress]");
  if (!form || !bar || !holder) return;
  const total = Number(holder.getAttribute("aria-valuemax")) || 1;
  const update = () => {
    const answered = new Set([...form.querySelectorAll("input[type=radio]:checked")].map((i) => i.name)).size;
    bar.style.width = `${(100 * answered) / total}%`;
    holder.setAttribute("aria-valuenow", String(answered));
  };
  form.addEventListener("change", update);
  update();
})();
