/* wagtail-gan: the video job page follows its job (status, progress in frames, error, the
 * result) by polling the page's JSON (data-url) while data-active="true". A static file, so a
 * strict Content-Security-Policy lets it run. */
(function () {
  'use strict';

  function start() {
    var box = document.querySelector('[data-gan-video-job]');
    if (!box || box.dataset.active !== 'true' || !window.fetch) return;

    function poll() {
      fetch(box.dataset.url, { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          box.querySelector('[data-gan-status]').textContent = s.status;
          box.querySelector('[data-gan-progress]').value = s.progress;
          box.querySelector('[data-gan-frames]').textContent =
            s.frames_done + ' / ' + s.frames_total + ' frames';
          if (s.error) {
            var e = box.querySelector('[data-gan-error]');
            e.textContent = s.error;
            e.hidden = false;
          }
          if (s.result_url) {
            var a = box.querySelector('[data-gan-result]');
            a.querySelector('a').href = s.result_url;
            a.hidden = false;
          }
          if (s.status !== 'queued' && s.status !== 'running') {
            var c = box.querySelector('[data-gan-cancel]');
            if (c) c.hidden = true;
          }
          if (s.status === 'queued' || s.status === 'running') setTimeout(poll, 1000);
        });
    }
    setTimeout(poll, 1000);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
