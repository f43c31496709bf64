/* wagtail-gan admin: Stimulus controllers registered with Wagtail's application.
 *
 * gan-variant-form  "Generate variant" panel: shows the interpretation of the instruction
 *                   ("Interpreted as: winterize"), lets the editor change it, shows the fields
 *                   the chosen operation needs. The bulk action's form uses it too, without an
 *                   interpret URL: there it only shows the fields the operation needs.
 * gan-job           job page: polls the JSON status view, updates the progress bar, reloads
 *                   the page when the job finishes (the server renders the review).
 * gan-compare       before/after slider.
 */
(function () {
  'use strict';

  function register() {
    const app = window.wagtail && window.wagtail.app;
    const Controller = window.StimulusModule && window.StimulusModule.Controller;
    if (!app || !Controller) {
      return false;
    }

    class VariantFormController extends Controller {
      static targets = ['interpretation', 'styles', 'painter', 'styleImage', 'fields'];
      static values = { interpretUrl: String };

      connect() {
        this.instruction = this.element.querySelector('[name="instruction"]');
        this.operation = this.element.querySelector('[name="operation"]');
        this.timer = null;
        this.lastText = null;
        this.userChoseOperation = Boolean(this.operation && this.operation.value);
        if (!this.hasInterpretUrlValue || !this.hasInterpretationTarget) {
          this.instruction = null; // nothing to interpret with (bulk form)
        }
        if (this.instruction) {
          this.onInput = () => this.schedule();
          this.instruction.addEventListener('input', this.onInput);
        }
        if (this.operation) {
          this.onChange = () => {
            this.userChoseOperation = Boolean(this.operation.value);
            this.toggle();
          };
          this.operation.addEventListener('change', this.onChange);
        }
        this.toggle();
        if (this.instruction && this.instruction.value.trim()) {
          this.interpret();
        }
      }

      disconnect() {
        if (this.instruction) this.instruction.removeEventListener('input', this.onInput);
        if (this.operation) this.operation.removeEventListener('change', this.onChange);
        clearTimeout(this.timer);
      }

      toggle() {
        const op = this.operation ? this.operation.value : '';
        if (this.hasStylesTarget) this.stylesTarget.hidden = op !== 'stylize';
        if (this.hasPainterTarget) this.painterTarget.hidden = op !== 'painter';
        if (this.hasStyleImageTarget) this.styleImageTarget.hidden = op !== 'style-image';
        // Fields of other operations (from the operation registry): data-gan-operations
        // lists the Operation choices that need them.
        this.fieldsTargets.forEach((el) => {
          el.hidden = !(el.dataset.ganOperations || '').split(' ').includes(op);
        });
      }

      schedule() {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.interpret(), 400);
      }

      async interpret() {
        const text = this.instruction.value.trim();
        if (text === this.lastText) return;
        this.lastText = text;
        const out = this.interpretationTarget;
        if (!text) {
          out.hidden = true;
          out.textContent = '';
          return;
        }
        const body = new FormData();
        body.append('instruction', text);
        const token = this.element.querySelector('[name="csrfmiddlewaretoken"]');
        let data;
        try {
          const response = await fetch(this.interpretUrlValue, {
            method: 'POST',
            body,
            headers: { 'X-CSRFToken': token ? token.value : '', Accept: 'application/json' },
            credentials: 'same-origin',
          });
          data = await response.json();
        } catch (e) {
          return; // the server interprets again on submit
        }
        if (text !== this.instruction.value.trim()) return; // stale answer
        out.hidden = false;
        out.replaceChildren();
        if (data.error) {
          out.classList.add('gan-interpretation--error');
          out.textContent = data.error;
          return;
        }
        out.classList.remove('gan-interpretation--error');
        const strong = document.createElement('strong');
        strong.textContent = data.interpretation.label;
        const note = document.createElement('span');
        note.className = 'gan-muted';
        note.textContent = ' ' + data.interpretation.explanation;
        out.append('Interpreted as: ', strong, note);
        out.dataset.spec = data.interpretation.spec;
        if (!this.userChoseOperation) this.apply(data.form_values || {});
      }

      apply(values) {
        // Pre-fill the operation fields so the editor sees, and can change, what will run.
        if (this.operation && values.operation !== undefined) {
          this.operation.value = values.operation;
        }
        if (values.style !== undefined) {
          const radio = this.element.querySelector(`[name="style"][value="${CSS.escape(String(values.style))}"]`);
          if (radio) radio.checked = true;
        }
        if (values.painter !== undefined) {
          const painter = this.element.querySelector('[name="painter"]');
          if (painter) painter.value = values.painter;
        }
        if (values.strength !== undefined) {
          const strength = this.element.querySelector('[name="strength"]');
          if (strength) strength.value = values.strength;
        }
        if (values.operation === 'style-image' && values.style_image !== undefined) {
          const input = this.element.querySelector('[name="style_image"]');
          if (input && !input.value) {
            // The chooser widget shows nothing for a value set this way: keep the instruction
            // route instead (the server resolves the image from it).
            this.operation.value = '';
          }
        }
        this.toggle();
      }
    }

    class JobController extends Controller {
      static targets = ['bar', 'fill', 'label', 'status', 'hint'];
      static values = { url: String, active: Boolean, status: String, interval: { type: Number, default: 1000 } };

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
            headers: { Accept: 'application/json' },
            credentials: 'same-origin',
          });
          if (response.ok) data = await response.json();
        } catch (e) {
          data = null;
        }
        if (data) {
          this.render(data);
          if (data.finished) {
            // Let the editor see 100 % for a moment, then show the server-rendered review.
            this.timer = setTimeout(() => window.location.reload(), 600);
            return;
          }
        }
        this.timer = setTimeout(() => this.poll(), this.intervalValue);
      }

      render(data) {
        const pct = Math.max(0, Math.min(100, data.progress | 0));
        if (this.hasBarTarget) {
          this.barTarget.hidden = false;
          this.barTarget.setAttribute('aria-valuenow', String(pct));
        }
        if (this.hasFillTarget) this.fillTarget.style.width = pct + '%';
        if (this.hasLabelTarget) this.labelTarget.textContent = pct + ' %';
        if (this.hasStatusTarget) this.statusTarget.textContent = data.status;
        this.element.dataset.ganJobStatusValue = data.status;
        if (this.hasHintTarget) this.hintTarget.textContent = this.hint(data);
      }

      hint(data) {
        // Models report progress in coarse steps (tiles, denoising steps): show the time too,
        // and say what is wrong when nothing picks the job up.
        const timings = data.timings || {};
        const since = (iso) => Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
        if (data.status === 'running' && timings.started_at) {
          const elapsed = since(timings.started_at);
          const eta = this.eta(data.progress | 0, elapsed);
          return `running for ${elapsed} s` + (eta === null ? '' : ` · about ${eta} left`);
        }
        if (data.status === 'queued' && timings.created_at) {
          const waited = since(timings.created_at);
          if (waited >= 15) {
            return `queued for ${waited} s: the worker is busy, or none is running (manage.py run_huey)`;
          }
          return 'waiting for a worker…';
        }
        return '';
      }
    }

    // Seconds left, from the rate of progress seen on this page since the first tiles were
    // done (model loading is not counted), else from the whole elapsed time; null until the
    // progress has moved past its start (1 %) or when done.
    JobController.prototype.eta = function (pct, elapsed) {
      const now = Date.now() / 1000;
      if (pct <= 1 || pct >= 100) return null;
      if (!this.firstSample || pct < this.firstSample.pct) this.firstSample = { pct, now };
      const first = this.firstSample;
      let left = null;
      if (pct > first.pct && now > first.now) {
        left = ((now - first.now) / (pct - first.pct)) * (100 - pct);
      } else if (pct >= 5 && elapsed > 0) {
        left = (elapsed / (pct - 1)) * (100 - pct);
      }
      if (left === null || !isFinite(left)) return null;
      left = Math.max(1, Math.round(left));
      return left < 90 ? `${left} s` : `${Math.round(left / 60)} min`;
    };

    class CompareController extends Controller {
      move(event) {
        this.element.style.setProperty('--gan-split', event.target.value + '%');
      }
    }

    app.register('gan-variant-form', VariantFormController);
    app.register('gan-job', JobController);
    app.register('gan-compare', CompareController);
    return true;
  }

  if (!register()) {
    document.addEventListener('DOMContentLoaded', register, { once: true });
  }
})();
