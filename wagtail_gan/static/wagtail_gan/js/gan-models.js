/* wagtail-gan: the admin's Models page (a static file: no inline script, for a strict CSP).
 *
 * gan-models   follows the install / verify / remove tasks on the worker: polls the JSON
 *              status view, updates each task's native progress bar, bytes (or steps) and
 *              ETA, and reloads the page once every task is done, so that states, sizes,
 *              dates and buttons come from the server. A failed task is not written here
 *              (the reloaded page explains it in words, the exact error collapsed).
 */
(function () {
  'use strict';

  function register() {
    const app = window.wagtail && window.wagtail.app;
    const Controller = window.StimulusModule && window.StimulusModule.Controller;
    if (!app || !Controller) {
      return false;
    }

    const megabytes = (n) => (n / 1048576).toFixed(1) + ' MB';

    class ModelsController extends Controller {
      static values = { url: String, active: Boolean, interval: { type: Number, default: 700 } };

      connect() {
        this.stopped = false;
        if (this.activeValue) this.poll();
      }

      disconnect() {
        this.stopped = true;
        clearTimeout(this.timer);
      }

      async poll() {
        if (this.stopped) return;
        let data = null;
        try {
          const response = await fetch(this.urlValue, {
            headers: { Accept: 'application/json' }, credentials: 'same-origin',
          });
          if (response.ok) data = await response.json();
        } catch (e) {
          data = null;
        }
        if (data) {
          Object.entries(data.models || {}).forEach(([id, model]) => this.render(id, model.state));
          if (!data.active) {
            this.timer = setTimeout(() => window.location.reload(), 600);
            return;
          }
        }
        this.timer = setTimeout(() => this.poll(), this.intervalValue);
      }

      render(id, state) {
        const row = this.element.querySelector(`[data-gan-model-task="${CSS.escape(id)}"]`);
        if (!row || !state) return;
        const pct = state.percent === null ? null : Math.max(0, Math.min(100, state.percent));
        const bar = row.querySelector('[data-gan-task-bar]');
        if (bar && pct !== null) bar.setAttribute('value', String(pct));
        const status = row.querySelector('[data-gan-task-status]');
        if (status) status.textContent = state.status_label + (pct !== null && state.active ? ` ${pct} %` : '');
        const bytes = row.querySelector('[data-gan-task-bytes]');
        if (bytes && state.progress_unit === 'steps' && state.total_bytes) {
          bytes.textContent = `step ${state.done_bytes} of ${state.total_bytes}`;
        } else if (bytes && state.done_bytes) {
          bytes.textContent = state.total_bytes
            ? `${megabytes(state.done_bytes)} / ${megabytes(state.total_bytes)}`
            : megabytes(state.done_bytes);
        }
        const eta = row.querySelector('[data-gan-task-eta]');
        if (eta) {
          const left = state.active ? state.eta_seconds : null;
          eta.hidden = left === null || left === undefined;
          if (!eta.hidden) {
            eta.textContent = left < 90 ? `about ${Math.max(1, left)} s left` : `about ${Math.round(left / 60)} min left`;
          }
        }
        const message = row.querySelector('[data-gan-task-message]');
        if (message && state.message && state.status !== 'failed') {
          message.hidden = false;
          message.textContent = state.message;
        }
      }
    }

    app.register('gan-models', ModelsController);
    return true;
  }

  if (!register()) {
    document.addEventListener('DOMContentLoaded', register, { once: true });
  }
})();
