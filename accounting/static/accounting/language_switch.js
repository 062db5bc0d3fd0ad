// Submits the admin header's language switcher on change (a file, not an inline handler, so the
// Content-Security-Policy can forbid inline scripts).
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("language-switch");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
