// The admin's small behaviours, from a static file so the Content-Security-Policy can forbid inline script.
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("language-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
