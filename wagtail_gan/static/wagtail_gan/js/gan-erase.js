/* wagtail-gan admin: the erase tool (a Stimulus controller registered with Wagtail's app).
 *
 * gan-erase  "Erase objects" in the Generate variant panel: a canvas over a rendition of the
 *            image. Pointer Events (mouse, touch, pen) paint brush strokes or drag rectangles;
 *            Undo removes the last shape, Clear all of them. Shapes are kept in pixels of the
 *            SOURCE image (values width/height) and serialised into the hidden erase_mask_json
 *            field as the mask of operations/erase.py:
 *            {"strokes": [{"points": [[x, y], ...], "radius": r}], "rects": [[x, y, w, h]],
 *             "size": [W, H]}  (empty field when nothing is marked).
 */
(function () {
  'use strict';

  const MAX_SHAPES = 500; // per kind (operations/erase.py MAX_SHAPES)
  const MAX_POINTS = 20000; // stroke points in all (MAX_POINTS)
  const COLOR = '#ff1f5a';

  function register() {
    const app = window.wagtail && window.wagtail.app;
    const Controller = window.StimulusModule && window.StimulusModule.Controller;
    if (!app || !Controller) {
      return false;
    }

    class EraseController extends Controller {
      static targets = ['image', 'canvas', 'stage', 'size', 'sizeLabel', 'modeButton', 'undo',
        'clear', 'status'];

      static values = { width: Number, height: Number };

      connect() {
        this.field = this.element.querySelector('input[name="erase_mask_json"]');
        this.shapes = []; // in order, for Undo: {kind: 'stroke'|'rect', ...} in source pixels
        this.mode = 'brush';
        this.active = null; // the shape being drawn
        this.restore();
        const toolbar = this.element.querySelector('[data-gan-erase-toolbar]');
        if (toolbar) toolbar.hidden = false;
        this.canvasTarget.hidden = false;
        this.element.classList.add('gan-erase--ready');
        this.onDown = (e) => this.pointerDown(e);
        this.onMove = (e) => this.pointerMove(e);
        this.onUp = (e) => this.pointerUp(e);
        this.canvasTarget.addEventListener('pointerdown', this.onDown);
        this.canvasTarget.addEventListener('pointermove', this.onMove);
        this.canvasTarget.addEventListener('pointerup', this.onUp);
        this.canvasTarget.addEventListener('pointercancel', this.onUp);
        // The panel is hidden until Erase is chosen (size 0): fit the canvas when it shows.
        this.observer = new ResizeObserver(() => this.fit());
        this.observer.observe(this.imageTarget);
        this.imageTarget.addEventListener('load', () => this.fit());
        this.sizeChanged();
        this.update();
      }

      disconnect() {
        if (this.observer) this.observer.disconnect();
        this.canvasTarget.removeEventListener('pointerdown', this.onDown);
        this.canvasTarget.removeEventListener('pointermove', this.onMove);
        this.canvasTarget.removeEventListener('pointerup', this.onUp);
        this.canvasTarget.removeEventListener('pointercancel', this.onUp);
      }

      // -- geometry: displayed (CSS) pixels <-> source pixels --------------------------------
      scale() {
        const w = this.imageTarget.clientWidth || 1;
        return this.widthValue / w; // source pixels per displayed pixel
      }

      toSource(event) {
        const box = this.canvasTarget.getBoundingClientRect();
        const sx = this.widthValue / (box.width || 1);
        const sy = this.heightValue / (box.height || 1);
        const x = Math.min(Math.max(event.clientX - box.left, 0), box.width) * sx;
        const y = Math.min(Math.max(event.clientY - box.top, 0), box.height) * sy;
        return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
      }

      fit() {
        const img = this.imageTarget;
        const w = img.clientWidth;
        const h = img.clientHeight;
        if (!w || !h) return;
        const ratio = window.devicePixelRatio || 1;
        const canvas = this.canvasTarget;
        canvas.style.width = w + 'px';
        canvas.style.height = h + 'px';
        canvas.width = Math.round(w * ratio);
        canvas.height = Math.round(h * ratio);
        this.draw();
      }

      // -- controls ----------------------------------------------------------------------------
      setMode(event) {
        this.mode = event.currentTarget.dataset.mode;
        this.modeButtonTargets.forEach((b) => {
          b.setAttribute('aria-pressed', String(b.dataset.mode === this.mode));
        });
        this.element.classList.toggle('gan-erase--rect', this.mode === 'rect');
      }

      sizeChanged() {
        if (this.hasSizeLabelTarget) this.sizeLabelTarget.textContent = this.sizeTarget.value;
        this.canvasTarget.style.setProperty('--gan-brush', this.sizeTarget.value + 'px');
      }

      undo() {
        this.shapes.pop();
        this.update();
      }

      clear() {
        this.shapes = [];
        this.update();
      }

      // -- painting ----------------------------------------------------------------------------
      counts() {
        const strokes = this.shapes.filter((s) => s.kind === 'stroke');
        return {
          strokes: strokes.length,
          rects: this.shapes.length - strokes.length,
          points: strokes.reduce((n, s) => n + s.points.length, 0),
        };
      }

      pointerDown(event) {
        if (event.pointerType === 'mouse' && event.button !== 0) return;
        if (this.active) return; // a second finger: keep the first stroke
        const c = this.counts();
        const kind = this.mode === 'rect' ? 'rect' : 'stroke';
        if ((kind === 'rect' ? c.rects : c.strokes) >= MAX_SHAPES || c.points >= MAX_POINTS) {
          this.say(`That is as much as one mask can hold (${MAX_SHAPES} shapes); Undo or Clear to mark more.`);
          return;
        }
        event.preventDefault();
        try {
          this.canvasTarget.setPointerCapture(event.pointerId); // keep painting past the edge
        } catch (e) {
          // a pointer the browser no longer tracks: painting still works inside the canvas
        }
        const p = this.toSource(event);
        this.pointerId = event.pointerId;
        if (kind === 'rect') {
          this.active = { kind, start: p, end: p };
        } else {
          // brush size is a diameter in displayed pixels; the mask's radius is in source pixels
          const radius = Math.max(0.5, (Number(this.sizeTarget.value) / 2) * this.scale());
          this.active = { kind, points: [p], radius: Math.round(radius * 10) / 10 };
        }
        this.shapes.push(this.active);
        this.draw();
      }

      pointerMove(event) {
        if (!this.active || event.pointerId !== this.pointerId) return;
        event.preventDefault();
        const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
        for (const e of events.length ? events : [event]) {
          const p = this.toSource(e);
          if (this.active.kind === 'rect') {
            this.active.end = p;
          } else {
            const last = this.active.points[this.active.points.length - 1];
            // skip points closer than a quarter of the radius: the round brush covers them
            const step = Math.max(1, this.active.radius / 4);
            if (Math.hypot(p[0] - last[0], p[1] - last[1]) >= step
                && this.counts().points < MAX_POINTS) {
              this.active.points.push(p);
            }
          }
        }
        this.draw();
      }

      pointerUp(event) {
        if (!this.active || event.pointerId !== this.pointerId) return;
        const shape = this.active;
        this.active = null;
        if (shape.kind === 'rect') {
          if (event.type === 'pointerup') shape.end = this.toSource(event);
          const [x0, y0] = shape.start;
          const [x1, y1] = shape.end;
          shape.rect = [Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0)]
            .map((v) => Math.round(v));
          // a click, not a box: nothing to erase
          if (shape.rect[2] < 1 || shape.rect[3] < 1) this.shapes.pop();
        }
        this.update();
      }

      // -- output ------------------------------------------------------------------------------
      mask() {
        const strokes = [];
        const rects = [];
        this.shapes.forEach((s) => {
          if (s.kind === 'stroke') strokes.push({ points: s.points, radius: s.radius });
          else if (s.rect) rects.push(s.rect);
        });
        if (!strokes.length && !rects.length) return null;
        const mask = { size: [this.widthValue, this.heightValue] };
        if (strokes.length) mask.strokes = strokes;
        if (rects.length) mask.rects = rects;
        return mask;
      }

      restore() {
        // after an invalid submission the server renders the field with the mask again
        if (!this.field || !this.field.value) return;
        try {
          const mask = JSON.parse(this.field.value);
          (mask.strokes || []).forEach((s) => {
            this.shapes.push({ kind: 'stroke', points: s.points, radius: s.radius });
          });
          (mask.rects || []).forEach((r) => this.shapes.push({ kind: 'rect', rect: r }));
        } catch (e) {
          this.shapes = [];
        }
      }

      update() {
        const mask = this.mask();
        if (this.field) this.field.value = mask ? JSON.stringify(mask) : '';
        if (this.hasUndoTarget) this.undoTarget.disabled = !this.shapes.length;
        if (this.hasClearTarget) this.clearTarget.disabled = !this.shapes.length;
        const c = this.counts();
        const parts = [];
        if (c.strokes) parts.push(`${c.strokes} stroke${c.strokes > 1 ? 's' : ''}`);
        if (c.rects) parts.push(`${c.rects} rectangle${c.rects > 1 ? 's' : ''}`);
        this.say(parts.length ? `Marked: ${parts.join(', ')}.` : 'Nothing marked yet.');
        this.draw();
      }

      say(text) {
        if (this.hasStatusTarget) this.statusTarget.textContent = text;
      }

      draw() {
        const canvas = this.canvasTarget;
        const ctx = canvas.getContext('2d');
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        if (!canvas.width) return;
        // source pixels -> canvas pixels; the canvas is drawn opaque and shown at 50% (CSS)
        // so that overlapping strokes do not darken
        ctx.setTransform(canvas.width / this.widthValue, 0, 0,
          canvas.height / this.heightValue, 0, 0);
        ctx.fillStyle = COLOR;
        ctx.strokeStyle = COLOR;
        ctx.lineCap = 'round';
        ctx.lineJoin = 'round';
        this.shapes.forEach((s) => {
          if (s.kind === 'stroke') {
            ctx.lineWidth = s.radius * 2;
            ctx.beginPath();
            const [first, ...rest] = s.points;
            ctx.moveTo(first[0], first[1]);
            if (!rest.length) ctx.lineTo(first[0] + 0.01, first[1]); // a dot
            rest.forEach((p) => ctx.lineTo(p[0], p[1]));
            ctx.stroke();
          } else {
            const [x0, y0] = s.rect ? s.rect : s.start;
            const [w, h] = s.rect ? s.rect.slice(2) : [s.end[0] - x0, s.end[1] - y0];
            ctx.fillRect(x0, y0, w, h);
          }
        });
      }
    }

    app.register('gan-erase', EraseController);
    return true;
  }

  if (!register()) {
    document.addEventListener('DOMContentLoaded', register, { once: true });
  }
})();
