// Wide tables that grow to the right with time (sessions across) open scrolled
// to their newest column.
document.querySelectorAll("[data-scroll-end]").forEach((el) => {
  el.scrollLeft = el.scrollWidth;
});

// A Print button (no inline handlers under the Content Security Policy).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});

// A page reached at one of its parts (a mark made in a queue or on a flag card comes back
// at #queue-title or #focus) would leave its confirmation at the top, out of view: it
// floats at the bottom of the window instead, until closed.
const messages = document.getElementById("messages");
if (messages && window.location.hash) {
  messages.classList.add("messages-floating");
  messages.querySelectorAll(".alert").forEach((alert) => {
    alert.classList.add("alert-dismissible", "shadow");
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Close this message");
    alert.append(close);
  });
}
