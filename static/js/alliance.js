// Wide tables that grow to the right with time (sessions across) open scrolled
// to their newest column.
document.querySelectorAll("[data-scroll-end]").forEach((el) => {
  el.scrollLeft = el.scrollWidth;
});

// A Print button (no inline handlers under the Content Security Policy).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});

// A page reached at one of its parts (a mark made on a flag card comes back at #focus, one
// made in a queue at #queue-rows) would leave its confirmation at the top, out of view: it
// moves to just above that part and takes the focus, so that it is seen, a screen reader
// reads it, and the keyboard carries on from there.
const messages = document.getElementById("messages");
const landing = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
if (messages && landing) {
  landing.before(messages);
  messages.tabIndex = -1;
  // The browser's own (smooth) move to the fragment may come after this script: it stops
  // short of the part by the message's height, so it shows the message too.
  landing.style.scrollMarginTop = `${messages.offsetHeight + 16}px`;
  window.addEventListener("load", () => {
    messages.focus({ preventScroll: true }); // after the load, or that move would take the focus back
    messages.scrollIntoView({ block: "start", behavior: "instant" });
  });
}
