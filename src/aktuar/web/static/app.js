/* aktuar web: tiny vanilla JS (no inline scripts: CSP script-src 'self'). Nothing is stored in the browser:
   no localStorage, no sessionStorage; the CSRF token is read from the page for fetch() calls. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  // fetch() wrapper for the API with the session's CSRF header on unsafe methods
  window.aktuarFetch = function (url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = options.headers || {};
    var method = (options.method || "GET").toUpperCase();
    if (["GET", "HEAD", "OPTIONS"].indexOf(method) < 0) { options.headers["X-CSRF-Token"] = csrfToken(); }
    return fetch(url, options);
  };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select.autosubmit").forEach(function (sel) {
      sel.addEventListener("change", function () { sel.form.submit(); });
    });
    document.querySelectorAll("button[data-confirm]").forEach(function (btn) {
      btn.addEventListener("click", function (ev) {
        if (!window.confirm(btn.getAttribute("data-confirm"))) { ev.preventDefault(); }
      });
    });
  });
})();
