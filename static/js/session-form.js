// Session form keyboard (no mouse needed):
// - on load, focus lands on the client select, or on the first factor when the client is preset;
// - Enter in the client select moves on to the first factor;
// - inside a factor's rating row, 1-5 picks that rating and 0 (or n) "not assessed", then the next
//   factor takes the focus (after the last one, the session note);
// - Enter on a factor opens its note and puts the cursor in it; Enter in a note moves to the next factor;
// - Ctrl+Enter (Cmd+Enter on a Mac) saves from anywhere in the form.
// The calibration forms (observation, vignette: form[data-rating-form]) use the same keys, without
// moving the focus on load (the vignette's text comes first).
(() => {
  const form = document.getElementById("session-form") || document.querySelector("form[data-rating-form]");
  if (!form) return;
  const groups = Array.from(form.querySelectorAll("[data-scale]"));
  const sessionNote = form.querySelector("#id_note");
  const client = form.querySelector("select[name='client']");

  const focusGroup = (group) => {
    if (!group) {
      (sessionNote || form.querySelector("[type='submit']")).focus();
      return;
    }
    const target = group.querySelector("input[type='radio']:checked") || group.querySelector("input[type='radio']");
    target.focus();
  };
  const next = (group) => groups[groups.indexOf(group) + 1];

  groups.forEach((group) => {
    group.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.key === "Enter") {
        const details = group.closest(".factor").querySelector("details");
        if (!details) return;
        details.open = true;
        details.querySelector("input").focus();
        event.preventDefault();
        return;
      }
      let value = null;
      if (/^[1-5]$/.test(event.key)) value = event.key;
      else if (event.key === "0" || event.key.toLowerCase() === "n") value = "";
      if (value === null) return;
      const input = group.querySelector(`input[type="radio"][value="${value}"]`);
      if (!input) return;
      input.checked = true;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      event.preventDefault();
      focusGroup(next(group));
    });
  });

  // A note's Enter moves on instead of submitting the form half-done.
  form.querySelectorAll(".factor details input").forEach((note) => {
    note.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      focusGroup(next(note.closest(".factor").querySelector("[data-scale]")));
    });
  });

  if (client) {
    client.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.ctrlKey || event.metaKey || !client.value) return;
      event.preventDefault();
      focusGroup(groups[0]);
    });
  }

  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // Where the keyboard starts: not over an error message the user has to read first.
  if (form.id === "session-form" && !form.querySelector(".alert-danger")) {
    if (client && !client.value) client.focus();
    else focusGroup(groups[0]);
  }
})();
