/*
 * wagtail-gan: swap ML renditions in without a page reload (optional).
 *
 * Include with {% gan_swap_script %} (or gan_swap_script() in Jinja2). The script looks for
 * <img src/srcset> and <source srcset> URLs of wagtail-gan filters (file names containing
 * ".upscale-", ".winterize" or ".stylize-"), asks the status endpoint which of them have an
 * ML version ready, and swaps those URLs in place. It polls with a growing interval and
 * stops when nothing is pending (or after 10 minutes). A URL the server does not know yet
 * (its job is still queued) is asked about up to 8 times.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var statusUrl = script && script.getAttribute("data-gan-status-url");
  var interval = parseInt((script && script.getAttribute("data-gan-interval")) || "3000", 10);
  if (!statusUrl || !window.fetch) return;
  var ML_NAME = /\.(upscale-|winterize|stylize-)/;
  var MAX_PER_REQUEST = 50;
  var deadline = Date.now() + 10 * 60 * 1000;

  function srcsetUrls(value) {
    return (value || "").split(",").map(function (part) {
      return part.trim().split(/\s+/)[0];
    }).filter(Boolean);
  }

  function collect() {
    var urls = {};
    document.querySelectorAll("img, picture source").forEach(function (el) {
      var src = el.getAttribute("src");
      if (src && ML_NAME.test(src)) urls[src] = true;
      srcsetUrls(el.getAttribute("srcset")).forEach(function (u) {
        if (ML_NAME.test(u)) urls[u] = true;
      });
    });
    return Object.keys(urls);
  }

  function replaceIn(value, oldUrl, newUrl) {
    return srcsetUrls(value).indexOf(oldUrl) === -1 ? value : value.split(oldUrl).join(newUrl);
  }

  function apply(ready) {
    document.querySelectorAll("img, picture source").forEach(function (el) {
      Object.keys(ready).forEach(function (oldUrl) {
        var newUrl = ready[oldUrl];
        if (el.getAttribute("src") === oldUrl) el.setAttribute("src", newUrl);
        var srcset = el.getAttribute("srcset");
        if (srcset) {
          var updated = replaceIn(srcset, oldUrl, newUrl);
          if (updated !== srcset) el.setAttribute("srcset", updated);
        }
      });
    });
  }

  var done = {};
  var unknown = {};
  var MAX_UNKNOWN = 8;  // ~2 minutes of polling for a URL no worker has claimed

  function poll() {
    var pending = collect().filter(function (u) { return !done[u]; });
    if (!pending.length || Date.now() > deadline) return;
    var batch = pending.slice(0, MAX_PER_REQUEST);
    var query = batch.map(function (u) { return "src=" + encodeURIComponent(u); }).join("&");
    fetch(statusUrl + "?" + query, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { renditions: {} }; })
      .then(function (data) {
        var ready = {};
        var waiting = false;
        batch.forEach(function (u) {
          var info = (data.renditions || {})[u];
          if (!info) {                                      // not claimed by a worker yet
            unknown[u] = (unknown[u] || 0) + 1;
            if (unknown[u] >= MAX_UNKNOWN) done[u] = true;  // or not an ML rendition
            else waiting = true;
            return;
          }
          if (info.status === "ready") {
            done[u] = true;
            if (info.url !== u) { ready[u] = info.url; done[info.url] = true; }
          } else if (info.status === "pending" || info.status === "running") {
            waiting = true;
          } else {
            done[u] = true;                                 // failed/skipped: keep the fallback
          }
        });
        apply(ready);
        if (waiting || pending.length > batch.length) {
          interval = Math.min(interval * 1.5, 30000);
          setTimeout(poll, interval);
        }
      })
      .catch(function () { setTimeout(poll, Math.min(interval * 2, 30000)); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setTimeout(poll, interval); });
  } else {
    setTimeout(poll, interval);
  }
})();
