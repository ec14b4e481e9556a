// The recovery codes page: a button that copies the codes, one a line, to the clipboard
// (for a password manager). Shown only when the script runs; no inline handlers under
// the Content Security Policy.
document.querySelectorAll("[data-copy-from]").forEach((button) => {
  const list = document.getElementById(button.dataset.copyFrom);
  const status = document.getElementById("copy-status");
  if (!list || !navigator.clipboard) {
    return; // no clipboard (a page not served over HTTPS): the codes can still be selected
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    const codes = Array.from(list.querySelectorAll("li"), (item) => item.textContent.trim());
    try {
      await navigator.clipboard.writeText(codes.join("\n") + "\n");
      status.textContent = "Copied. Paste them into your password manager.";
    } catch {
      status.textContent = "Could not copy: select the codes and copy them yourself.";
    }
  });
});
