/* wagtail-gan on every admin page (the insert_global_admin_js hook), with no inline script so
 * a strict Content-Security-Policy (default-src 'self') lets it run. Its data comes in the
 * script tag's data-gan-config attribute (JSON), as Wagtail's own icons.js takes its URL:
 *
 *   awaiting       URL of the number of the user's results waiting for review (JSON: count,
 *                  labels by data-gan-menu name). It is fetched after the page has loaded, so
 *                  the menu adds no query to the page, and shown in the sidebar items marked
 *                  data-gan-menu (the sidebar renders sub-menus when opened: a
 *                  MutationObserver labels them as they appear).
 *   media          pattern of wagtailmedia's video edit URL (only when wagtailmedia is
 *                  installed)
 *   interpolate    "Interpolate (AI)" on a video's edit page: a button below the page's
 *                  title, in the page's flow (never inside the sticky slim header)
 * ("Make a clip with its variants" is rendered by the image edit page's panel.)
 */
(function () {
  'use strict';

  var script = document.currentScript;
  var cfg;
  try {
    cfg = JSON.parse((script && script.getAttribute('data-gan-config')) || '{}');
  } catch (e) {
    return;
  }

  function addButton(href, label) {
    var a = document.createElement('a');
    a.href = href;
    a.className = 'button button-small button-secondary gan-video-action';
    a.textContent = label;
    var p = document.createElement('p');
    p.className = 'nice-padding gan-page-actions';
    p.appendChild(a);
    // The title's header (w-header), else the slim header's end: the button goes after it,
    // in the flow of the content, so it scrolls with the page.
    var title = document.querySelector('main .w-header') ||
      document.querySelector('main header:not(.w-slim-header)');
    if (title) {
      title.after(p);
      return;
    }
    var slim = document.querySelector('main .w-slim-header');
    if (slim && slim.nextElementSibling) {
      slim.nextElementSibling.prepend(p);
    } else {
      (document.querySelector('main') || document.body).prepend(p);
    }
  }

  function editPageButtons() {
    var path = window.location.pathname;
    var m;
    if (cfg.media && cfg.interpolate && (m = path.match(new RegExp(cfg.media)))) {
      addButton(cfg.interpolate.replace('/0/', '/' + m[1] + '/'), cfg.interpolateLabel);
    }
  }

  function menuCounts() {
    if (!cfg.awaiting || !window.fetch) return;
    fetch(cfg.awaiting, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.count) return;
        var labels = data.labels || {};
        var label = function () {
          Object.keys(labels).forEach(function (name) {
            document.querySelectorAll('[data-gan-menu="' + name + '"]').forEach(function (item) {
              var span = item.querySelector('.menuitem-label') || item;
              if (span.textContent !== labels[name]) span.textContent = labels[name];
            });
          });
        };
        label();
        var sidebar = document.getElementById('wagtail-sidebar') || document.body;
        new MutationObserver(label).observe(sidebar, { childList: true, subtree: true });
      })
      .catch(function () {});
  }

  function start() {
    editPageButtons();
    menuCounts();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
