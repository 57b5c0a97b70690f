/* Progressive enhancement only: every page works without this file.
   1. Fields that depend on an answer on the same page are hidden until that answer is given.
   2. The language switch on a form page sends what has been typed, so nothing is lost.
   3. The error summary takes focus, so screen readers announce it; its links move focus to the fields.
   4. The send button cannot be pressed twice by mistake (the server also files only once).
   5. Signed-in staff are warned two minutes before they would be signed out for inactivity, and can stay
      signed in with one button (WCAG 2.2.1). */
(function () {
  "use strict";

  function answersFor(form, name) {
    var values = [];
    form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      if (input.value) { values.push(input.value); }
    });
    return values;
  }

  function updateConditions(form) {
    form.querySelectorAll("[data-show-when-field]").forEach(function (group) {
      var wanted = JSON.parse(group.getAttribute("data-show-when-values"));
      var given = answersFor(form, group.getAttribute("data-show-when-field"));
      var show = given.some(function (value) { return wanted.indexOf(value) !== -1; });
      group.hidden = !show;
      var note = group.querySelector(".condition-note");
      if (note) { note.hidden = true; }
    });
  }

  var WARN_BEFORE_SECONDS = 120;

  function sessionWarning(dialog) {
    var idle = parseInt(dialog.getAttribute("data-idle-seconds"), 10);
    var warnTimer, endTimer;

    function show(state) {
      dialog.querySelectorAll("[data-when]").forEach(function (part) {
        part.hidden = part.getAttribute("data-when") !== state;
      });
      dialog.setAttribute("aria-labelledby", state === "ended" ? "session-warning-ended" : "session-warning-title");
      if (state === "ended") {
        // Signed out: the page must stay usable, so that what was typed can be copied before signing in.
        if (dialog.open) { dialog.close(); }
        dialog.show();
      } else if (!dialog.open) {
        dialog.showModal();
      }
      var action = dialog.querySelector("[data-when='" + state + "'][data-extend-session], a[data-when='" + state + "']");
      if (action) { action.focus(); }
    }

    function start() {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      warnTimer = setTimeout(function () { show("warning"); }, Math.max(idle - WARN_BEFORE_SECONDS, 0) * 1000);
      endTimer = setTimeout(function () { show("ended"); }, idle * 1000);
    }

    var stay = dialog.querySelector("[data-extend-session]");
    stay.addEventListener("click", function () {
      // Any signed-in request counts as activity on the server; the extend URL is one every such user may see.
      fetch(dialog.getAttribute("data-extend-url"), { method: "HEAD", credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.ok && !response.redirected) { dialog.close(); start(); } else { show("ended"); }
        })
        .catch(function () { show("ended"); });
    });
    // Escape closes a modal dialog: take it as "stay signed in" rather than leaving the timer to run out.
    dialog.addEventListener("cancel", function (event) {
      event.preventDefault();
      stay.click();
    });
    start();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.getElementById("session-warning");
    if (dialog && typeof dialog.showModal === "function") { sessionWarning(dialog); }

    var form = document.getElementById("page-form");
    if (form) {
      updateConditions(form);
      form.addEventListener("change", function () { updateConditions(form); });

      document.querySelectorAll(".language-switch a[data-language]").forEach(function (link) {
        link.addEventListener("click", function (event) {
          event.preventDefault();
          var action = document.createElement("input");
          action.type = "hidden";
          action.name = "action";
          action.value = "lang:" + link.getAttribute("data-language");
          form.appendChild(action);
          form.submit();
        });
      });

      form.addEventListener("submit", function (event) {
        var button = form.querySelector("[data-prevent-double-click]");
        if (!button) { return; }
        if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
        if (event.submitter === button) { form.setAttribute("data-sent", "1"); }
      });
    }

    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
      // A page opened at a #fragment (a form sent to "#reply") scrolls to it after loading, and Chromium
      // moves focus away while doing so: take it back once the page has loaded.
      window.addEventListener("load", function () {
        if (document.activeElement !== summary) { summary.focus(); }
      });
    }

    // A link in an error summary moves focus to its field (not only the view), with the field's label in
    // sight, so a keyboard or screen reader user can correct it at once.
    document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var field = document.getElementById(link.getAttribute("href").slice(1));
        if (!field) { return; }
        event.preventDefault();
        var group = field.closest(".form-group") || field;
        group.scrollIntoView();
        field.focus({ preventScroll: true });
      });
    });
  });
})();
