// The Integration Hub page works without JavaScript; this only adds the copy button of a new SCIM
// token (served from /admin/static/, allowed by the page's Content-Security-Policy).
'use strict';
document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const input = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.copyStatus);
    if (!input) continue;
    button.hidden = false;
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        if (status) status.textContent = 'Copied to the clipboard.';
      } catch (_) {
        input.focus();
        input.select();
        if (status) status.textContent = 'Copying was not allowed: the token is selected, press Ctrl+C (⌘C).';
      }
    });
  }
});
