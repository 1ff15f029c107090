// Safeguard moderator UI: keyboard shortcuts and re-blurring media on leaving a page.
// Everything works without this script; it only saves moderators steps.
(function () {
  "use strict";
  var outcomes = { c: "confirmed", f: "false_positive", e: "escalated", g: "granted", d: "denied" };

  function typing(target) {
    var name = target && target.tagName;
    if (name === "INPUT") { return target.type !== "checkbox" && target.type !== "radio"; }
    return name === "TEXTAREA" || name === "SELECT" || (target && target.isContentEditable);
  }

  function reblur() {
    var reveal = document.getElementById("reveal");
    if (reveal) { reveal.checked = false; }
  }

  document.addEventListener("keydown", function (event) {
    var form = document.querySelector("form.decide[data-decide]");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form && form.contains(event.target)) {
      event.preventDefault();
      if (form.reportValidity()) { form.requestSubmit(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key.toLowerCase();
    if (key === "v") {
      var reveal = document.getElementById("reveal");
      if (reveal) { event.preventDefault(); reveal.click(); }
      return;
    }
    var choice = outcomes[key] && document.getElementById("outcome-" + outcomes[key]);
    if (choice) {
      event.preventDefault();
      choice.checked = true;
      var reason = document.getElementById("reason");
      if (reason) { reason.focus(); }
    }
  });

  // Leaving the page or its tab blurs the media again.
  window.addEventListener("pagehide", reblur);
  window.addEventListener("pageshow", reblur);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { reblur(); }
  });
})();
