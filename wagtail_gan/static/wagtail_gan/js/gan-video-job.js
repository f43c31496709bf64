/* wagtail-gan: the video job page follows its job by polling the page's JSON (data-url) while
 * data-active="true": status, progress, frames (or what happens before the first frame), the
 * banner for the status and the error. When the job ends the page is reloaded once, so the
 * finished page (the player, the media library link) comes from the server. A static file, so
 * a strict Content-Security-Policy lets it run. */
(function () {
  'use strict';

  var LEVELS = ['info', 'warning', 'critical'];

  function start() {
    var box = document.querySelector('[data-gan-video-job]');
    if (!box || box.dataset.active !== 'true' || !window.fetch) return;

    function show(s) {
      box.querySelector('[data-gan-status]').textContent = s.status_label || s.status;
      box.querySelector('[data-gan-progress]').value = s.progress;
      box.querySelector('[data-gan-frames]').textContent = s.frames_text || '';
      var banner = box.querySelector('[data-gan-banner]');
      if (s.banner && banner) {
        LEVELS.forEach(function (l) { banner.classList.remove('help-' + l); });
        banner.classList.add('help-' + s.banner.level);
        banner.querySelector('[data-gan-banner-text]').textContent = s.banner.text;
      }
      if (s.error) {
        var e = box.querySelector('[data-gan-error]');
        e.querySelector('[data-gan-error-text]').textContent = s.error;
        e.hidden = false;
      }
    }

    function poll() {
      fetch(box.dataset.url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (!s) { setTimeout(poll, 5000); return; }
          show(s);
          if (s.status === 'queued' || s.status === 'running') {
            setTimeout(poll, 1000);
          } else {
            window.location.reload();
          }
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, 1000);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
