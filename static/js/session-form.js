// Session form keyboard: inside a factor's rating row, 1-5 picks that rating
// and 0 (or n) picks "not assessed". Tab moves on as usual.
document.querySelectorAll("[data-scale]").forEach((group) => {
  group.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    let value = null;
    if (/^[1-5]$/.test(event.key)) value = event.key;
    else if (event.key === "0" || event.key.toLowerCase() === "n") value = "";
    if (value === null) return;
    const input = group.querySelector(`input[type="radio"][value="${value}"]`);
    if (!input) return;
    input.checked = true;
    input.focus();
    input.dispatchEvent(new Event("change", { bubbles: true }));
    event.preventDefault();
  });
});
