// The page works without this file; it only adds a "copy citation" button to each result.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("button.copy")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.citation);
        button.textContent = "copied";
      } catch {
        button.textContent = "copy failed";
      }
      setTimeout(() => { button.textContent = "copy citation"; }, 1500);
    });
  }
});
