// Wide tables that grow to the right with time (sessions across) open scrolled
// to their newest column.
document.querySelectorAll("[data-scroll-end]").forEach((el) => {
  el.scrollLeft = el.scrollWidth;
});

// A Print button (no inline handlers under the Content Security Policy).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
