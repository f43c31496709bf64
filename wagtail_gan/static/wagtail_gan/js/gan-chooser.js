/* wagtail-gan: the gan-chooser Stimulus controller initialises a Wagtail chooser widget
 * (wagtail_gan.widgets.ImageChooser) from data-* attributes instead of the inline script
 * Wagtail renders, so the panel works under a strict Content-Security-Policy.
 *
 *   data-gan-chooser-widget-value       the global constructor Wagtail names (ImageChooser)
 *   data-gan-chooser-id-value           the hidden input's id
 *   data-gan-chooser-options-value      its options (JSON: modalUrl ...)
 */
(function () {
  'use strict';

  function register() {
    const app = window.wagtail && window.wagtail.app;
    const Controller = window.StimulusModule && window.StimulusModule.Controller;
    if (!app || !Controller) {
      return false;
    }

    class ChooserController extends Controller {
      static values = { widget: String, id: String, options: Object };

      connect() {
        const Chooser = window[this.widgetValue];
        if (typeof Chooser === 'function' && !this.element.ganChooser) {
          this.element.ganChooser = new Chooser(this.idValue, this.optionsValue);
        }
      }
    }

    app.register('gan-chooser', ChooserController);
    return true;
  }

  if (!register()) {
    document.addEventListener('DOMContentLoaded', register);
  }
})();
