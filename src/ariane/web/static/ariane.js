// Ariane console: the only script. Signing unlocks a key with a memory-hard KDF and takes a
// moment; disable the button once clicked so that a second click does not post twice.
document.addEventListener("submit", function (event) {
  var buttons = event.target.querySelectorAll("button[type=submit]");
  for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
});
window.addEventListener("pageshow", function () {
  var buttons = document.querySelectorAll("button[disabled]");
  for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = false; }
});
