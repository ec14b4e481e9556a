// "Copy link" on the page that shows a new self-report link once: copies the link,
// or, where the browser refuses, selects it so the user can copy it themselves.
document.querySelectorAll("[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copyStatus);
  button.addEventListener("click", async () => {
    field.focus();
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Link copied.";
    } catch {
      status.textContent = "Selected: copy it with your device's copy command.";
    }
  });
});
