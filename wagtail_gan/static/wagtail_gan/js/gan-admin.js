/* wagtail-gan admin: Stimulus controllers registered with Wagtail's application.
 *
 * gan-variant-form  "Generate variant" panel: shows the interpretation of the instruction
 *                   ("Interpreted as: winterize", every step, how sure, what was not
 *                   understood; the readings to pick from when unsure), lets the editor
 *                   change it, shows the fields
 *                   the chosen operation needs. The bulk action's form uses it too, without an
 *                   interpret URL: there it only shows the fields the operation needs.
 * gan-job           job page: polls the JSON status view, updates the progress bar, reloads
 *                   the page when the job finishes (the server renders the review).
 * gan-compare       before/after slider.
 * gan-counter       "123 / 500" under a text field with a maximum length.
 * (the Models page's controller is gan-models.js, loaded by that page only)
 */
(function () {
  'use strict';

  // Seconds left from progress samples (percent, time in s), smoothed so that the estimate
  // does not jump (36 s -> 42 s -> 2 s): the rate (percent per second) is an exponential
  // moving average of the rates between samples where the progress moved, and the value shown
  // follows a countdown from the previous one, moving towards the new estimate by at most
  // MAX_RISE (up) or MAX_FALL (down) of it per update. Also on window.ganEtaSmoother (tests).
  class EtaSmoother {
    constructor(alpha = 0.3) {
      this.alpha = alpha;
      this.rate = null;
      this.last = null; // the last sample where the progress moved
      this.shown = null; // { value, at }
    }

    update(pct, now) {
      if (pct <= 1 || pct >= 100) return null;
      if (this.last === null || pct < this.last.pct) {
        this.last = { pct, now };
        return this.shown ? this.countdown(now) : null;
      }
      if (pct > this.last.pct && now > this.last.now) {
        const rate = (pct - this.last.pct) / (now - this.last.now);
        this.rate = this.rate === null ? rate : this.alpha * rate + (1 - this.alpha) * this.rate;
        this.last = { pct, now };
      }
      if (!this.rate) return null;
      // between coarse progress steps the estimate counts down (to half of it at most)
      const stalled = now - this.last.now;
      const raw = (100 - pct) / this.rate - Math.min(stalled, (100 - pct) / this.rate / 2);
      let value = Math.max(1, raw);
      if (this.shown) {
        const countdown = Math.max(1, this.shown.value - (now - this.shown.at));
        const rise = Math.max(2, countdown * EtaSmoother.MAX_RISE);
        const fall = countdown * EtaSmoother.MAX_FALL;
        value = Math.min(countdown + rise, Math.max(countdown - fall, value));
      }
      this.shown = { value, at: now };
      return Math.max(1, Math.round(value));
    }

    countdown(now) {
      return Math.max(1, Math.round(this.shown.value - (now - this.shown.at)));
    }
  }
  EtaSmoother.MAX_RISE = 0.1;
  EtaSmoother.MAX_FALL = 0.5;
  window.ganEtaSmoother = EtaSmoother;

  function register() {
    const app = window.wagtail && window.wagtail.app;
    const Controller = window.StimulusModule && window.StimulusModule.Controller;
    if (!app || !Controller) {
      return false;
    }

    class VariantFormController extends Controller {
      static targets = ['interpretation', 'styles', 'painter', 'styleImage', 'fields', 'reading'];
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
            if (this.hasReadingTarget && this.operation.value) this.readingTarget.value = '';
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
        if (this.hasReadingTarget) this.readingTarget.value = '';
        if (data.error) {
          out.classList.add('gan-interpretation--error');
          out.textContent = data.error;
          return;
        }
        out.classList.remove('gan-interpretation--error');
        const plan = data.interpretation;
        this.renderPlan(out, plan);
        const available = plan.available !== false;
        out.classList.toggle('gan-interpretation--unavailable', !available);
        out.dataset.available = String(available);
        if (!available) {
          // Say it now, in the editor's words, instead of failing after the job is queued.
          const warn = document.createElement('p');
          warn.className = 'gan-interpretation__unavailable';
          warn.dataset.ganUnavailable = '';
          warn.textContent = plan.unavailable;
          if (plan.models_url) {
            const link = document.createElement('a');
            link.href = plan.models_url;
            link.textContent = 'Install models';
            warn.append(' ', link);
          }
          out.append(warn);
        }
        if (plan.ambiguous) {
          this.renderChoices(out, plan, data.style_image);
          if (!this.userChoseOperation && this.operation) {
            this.operation.value = ''; // nothing pre-selected until the editor picks
            this.toggle();
          }
          return;
        }
        if (!available) {
          if (!this.userChoseOperation && this.operation) {
            this.operation.value = '';
            this.toggle();
          }
          return;
        }
        if (!this.userChoseOperation) this.apply(data.form_values || {}, data.style_image);
      }

      renderPlan(out, plan) {
        // "Interpreted as: <label>", how sure, every step with its reason, what was not
        // understood. Text only (textContent): the instruction is the editor's.
        const head = document.createElement('p');
        const strong = document.createElement('strong');
        strong.textContent = plan.label;
        const sure = document.createElement('span');
        sure.className = 'gan-interpretation__confidence';
        sure.dataset.ganConfidence = String(plan.confidence);
        sure.textContent = ` (${plan.ambiguous ? 'unsure' : 'confidence'}: ${Math.round(plan.confidence * 100)} %)`;
        head.append('Interpreted as: ', strong, sure);
        out.append(head);
        out.dataset.spec = plan.spec;
        const steps = document.createElement('ol');
        steps.className = 'gan-interpretation__steps';
        plan.steps.forEach((step) => {
          const li = document.createElement('li');
          li.dataset.ganStep = step.spec;
          const label = document.createElement('strong');
          label.textContent = step.label;
          const why = document.createElement('span');
          why.className = 'gan-muted';
          why.textContent = ' ' + step.explanation;
          li.append(label, why);
          steps.append(li);
        });
        if (plan.steps.length > 1) {
          out.append(steps);
        } else {
          const why = document.createElement('p');
          why.className = 'gan-muted';
          why.textContent = plan.explanation;
          out.append(why);
        }
        if (plan.not_understood && plan.not_understood.length) {
          const missed = document.createElement('p');
          missed.className = 'gan-interpretation__not-understood';
          missed.dataset.ganNotUnderstood = '';
          missed.append('Not understood: ');
          plan.not_understood.forEach((part, i) => {
            const q = document.createElement('q');
            q.textContent = part;
            missed.append(i ? ', ' : '', q);
          });
          missed.append(' (not part of the edit; rephrase it to include it).');
          out.append(missed);
        }
      }

      renderChoices(out, plan, styleImage) {
        // Unsure: the editor picks a reading instead of the router guessing.
        const box = document.createElement('div');
        box.className = 'gan-interpretation__choices';
        box.setAttribute('role', 'group');
        const question = document.createElement('p');
        question.id = `gan-question-${Date.now()}`;
        question.textContent = 'Which did you mean?';
        box.setAttribute('aria-labelledby', question.id);
        box.append(question);
        plan.alternatives.forEach((reading) => {
          const button = document.createElement('button');
          button.type = 'button';
          button.className = 'button button-small button-secondary';
          button.dataset.ganChoice = reading.spec;
          button.setAttribute('aria-pressed', 'false');
          button.textContent = reading.label;
          if (reading.available === false) {
            button.disabled = true;
            button.textContent += ' (not installed)';
          }
          button.addEventListener('click', () => {
            box.querySelectorAll('[data-gan-choice]').forEach((b) => b.setAttribute('aria-pressed', 'false'));
            button.setAttribute('aria-pressed', 'true');
            this.choose(reading, styleImage);
          });
          box.append(button, ' ');
        });
        out.append(box);
      }

      choose(reading, styleImage) {
        // A picked reading: one step selects the Operation menu and its fields; several go in
        // the hidden "reading" field, which the server runs instead of its own best guess.
        const values = reading.form_values || {};
        if (this.hasReadingTarget) this.readingTarget.value = values.reading || '';
        this.apply(values, styleImage);
        this.userChoseOperation = Boolean(this.operation && this.operation.value) || Boolean(values.reading);
      }

      chooseImage(input, image) {
        // What Wagtail's image chooser does once an image is picked in its modal.
        input.value = String(image.id);
        const chooser = document.getElementById(input.id + '-chooser');
        if (!chooser) return false;
        chooser.classList.remove('blank');
        const title = chooser.querySelector('[data-chooser-title]');
        if (title) title.textContent = image.title;
        const preview = chooser.querySelector('[data-chooser-image]');
        if (preview && image.preview) {
          preview.src = image.preview.url;
          preview.width = image.preview.width;
          preview.height = image.preview.height;
        }
        const edit = chooser.querySelector('[data-chooser-edit-link]');
        if (edit) {
          edit.href = image.edit_url;
          edit.hidden = false;
        }
        return true;
      }

      apply(values, styleImage) {
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
          // Fill Wagtail's chooser with the image the instruction names, so the Operation
          // menu says what will run; without one, the server resolves it from the words.
          if (!input || !styleImage || !this.chooseImage(input, styleImage)) {
            this.operation.value = '';
          }
        }
        this.toggle();
      }
    }

    class JobController extends Controller {
      static targets = ['bar', 'fill', 'label', 'status', 'hint', 'queue'];
      static values = { url: String, active: Boolean, status: String, interval: { type: Number, default: 1000 } };

      connect() {
        this.stopped = false;
        // the bar's width from data-progress (no inline style: a strict CSP forbids it)
        if (this.hasFillTarget) this.fillTarget.style.width = (this.fillTarget.dataset.progress || 0) + '%';
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
        if (this.hasQueueTarget) {
          // Position in the queue and an estimate from recent job times (the server's words).
          this.queueTarget.textContent = data.queue_text || '';
          this.queueTarget.hidden = !data.queue_text;
        }
      }

      hint(data) {
        // Models report progress in coarse steps (tiles, denoising steps): show the time too,
        // and say what is wrong when nothing picks the job up.
        const timings = data.timings || {};
        const since = (iso) => Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
        if (data.status === 'running' && timings.started_at) {
          const elapsed = since(timings.started_at);
          const eta = this.eta(data.progress | 0);
          return `running for ${elapsed} s` + (eta === null ? '' : ` · about ${eta} left`);
        }
        if (data.status === 'queued' && data.queue && data.queue.ahead) {
          return ''; // the queue position says what the job waits for
        }
        if (data.status === 'queued' && timings.created_at) {
          const waited = since(timings.created_at);
          if (waited >= 15) {
            return `queued for ${waited} s: the worker is busy or not running (an administrator can check it)`;
          }
          return 'waiting for a worker…';
        }
        return '';
      }
    }

    class CounterController extends Controller {
      // "123 / 500" under a text field with a maxlength; says so when a paste was cut short
      // (the browser drops the rest silently).
      connect() {
        this.field = this.element.querySelector('textarea[maxlength], input[maxlength]');
        if (!this.field) return;
        this.limit = parseInt(this.field.getAttribute('maxlength'), 10);
        this.counter = document.createElement('p');
        this.counter.className = 'gan-counter gan-muted';
        this.counter.setAttribute('aria-live', 'polite');
        this.counter.dataset.ganCounter = '';
        this.field.insertAdjacentElement('afterend', this.counter);
        this.cut = false;
        this.onInput = () => this.update();
        this.onPaste = (event) => {
          const pasted = (event.clipboardData && event.clipboardData.getData('text')) || '';
          const selected = this.field.selectionEnd - this.field.selectionStart;
          this.cut = this.field.value.length - selected + pasted.length > this.limit;
        };
        this.field.addEventListener('input', this.onInput);
        this.field.addEventListener('paste', this.onPaste);
        this.update();
      }

      disconnect() {
        if (!this.field) return;
        this.field.removeEventListener('input', this.onInput);
        this.field.removeEventListener('paste', this.onPaste);
        if (this.counter) this.counter.remove();
      }

      update() {
        const n = this.field.value.length;
        let text = `${n} / ${this.limit}`;
        if (this.cut && n >= this.limit) {
          text += ` — the pasted text was cut at ${this.limit} characters`;
        } else {
          this.cut = false;
        }
        this.counter.textContent = text;
        this.counter.classList.toggle('gan-counter--full', n >= this.limit);
      }
    }

    // "about 40 s left": a smoothed estimate (EtaSmoother, above), fed with the job's
    // progress at each poll; null until the progress has moved past its start (1 %) or when
    // done. Model loading is not counted (the rate starts with the first progress seen).
    JobController.prototype.eta = function (pct) {
      if (!this.smoother) this.smoother = new EtaSmoother();
      const left = this.smoother.update(pct, Date.now() / 1000);
      if (left === null) return null;
      return left < 90 ? `${left} s` : `${Math.round(left / 60)} min`;
    };

    class CompareController extends Controller {
      static values = { width: Number, height: Number };

      connect() {
        // the picture's shape from data-* (no inline style: a strict CSP forbids it)
        if (this.widthValue && this.heightValue) {
          this.element.style.aspectRatio = `${this.widthValue} / ${this.heightValue}`;
        }
      }

      move(event) {
        this.element.style.setProperty('--gan-split', event.target.value + '%');
      }
    }

    app.register('gan-variant-form', VariantFormController);
    app.register('gan-job', JobController);
    app.register('gan-compare', CompareController);
    app.register('gan-counter', CounterController);
    return true;
  }

  if (!register()) {
    document.addEventListener('DOMContentLoaded', register, { once: true });
  }
})();
