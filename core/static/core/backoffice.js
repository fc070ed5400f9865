// The admin's small behaviours, from a static file so the Content-Security-Policy can forbid inline script.
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("language-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});

// One click, one submit: a form with class "once" disables its buttons after the first submit (the clicked
// button's name and value are kept); the server also answers a repeated Idempotency-Key with the first result.
// A button or form with data-confirm asks first (the text states the amount of money that moves).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var clicked = event.submitter;
  var question = (clicked && clicked.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) { event.preventDefault(); return; }
  if (!form.classList.contains("once")) { return; }
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  if (clicked && clicked.name) {
    var keep = document.createElement("input");
    keep.type = "hidden"; keep.name = clicked.name; keep.value = clicked.value; form.appendChild(keep);
  }
  window.setTimeout(function () {
    form.querySelectorAll("button, input[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});
