/*
 * mvcalc-widget-a11y: what ipywidgets 8's controls leave out for screen-reader and keyboard users,
 * added in JupyterLab. scripts/lab.py (so `make lab`) serves it as a federated extension.
 *
 * - A slider's handle (noUiSlider's div role="slider") is not linked to the widget's visible
 *   description (a <label> cannot label a div): the handle gets aria-labelledby pointing at it.
 * - A slider announces noUiSlider's aria-valuetext: the raw float ("0.2999999999999998") or, for a
 *   FloatLogSlider, the exponent (h = 1.00 read as "0"). It announces the readout's text instead,
 *   the value formatted by the widget's readout_format, as everyone else sees it.
 * - The readout beside a slider, where a value can be typed, is an unnamed editable div: it becomes
 *   a textbox named by the same description.
 * - Play's buttons are icons alone: they are named Play or Pause (as the icon shows), Stop, Repeat.
 * - A ToggleButton has no aria-pressed: it gets one from its state. A widget without a tooltip gets
 *   title="null" (a hover tip saying "null", on buttons and description labels): that title goes.
 * - A widget's plot (an Image) has no alt attribute: its tooltip, the plot's description, which the
 *   course's code keeps up to date with the plot, is written as a title (a hover tip over the plot,
 *   in the sandpit over the sand). It becomes the image's alt instead, and the title goes.
 * - A slider without a visible description is named by its tooltip.
 * - Focused controls (slider handles, buttons, selects, inputs) show a 2 px outline: the widgets'
 *   CSS removes the browser's own (`outline: none`).
 * - MathJax's copy of each formula for screen readers (mjx-assistive-mml: invisible, clipped) can be
 *   a few pixels wider than the formula drawn on screen; at the end of a line it makes the Markdown
 *   cell a scrollable region no keyboard can reach (axe: scrollable-region-focusable). It is kept
 *   within its formula's box; it stays in the accessibility tree, read as before.
 *
 * It only reads and sets attributes in the DOM the widgets render, so it works with any kernel-side
 * code. It is hand-written as a module-federation container, with no build step and no
 * dependency: `get('./extension')` gives JupyterLab a module whose default export is the plugin.
 */
(function () {
  'use strict';

  var NAME = 'mvcalc-widget-a11y';
  var CSS = [
    '.jupyter-widgets .noUi-handle:focus-visible,',
    '.jupyter-widgets button:focus-visible,',
    'button.jupyter-widgets:focus-visible,',
    '.jupyter-widgets select:focus-visible,',
    '.jupyter-widgets input:focus-visible,',
    '.jupyter-widgets textarea:focus-visible,',
    '.jupyter-widgets .widget-readout:focus-visible {',
    '  outline: 2px solid var(--jp-brand-color1, #1976d2) !important;',
    '  outline-offset: 1px !important;',
    '}',
    '.jp-RenderedHTMLCommon mjx-container > mjx-assistive-mml {',
    '  max-width: 100% !important;',
    '}'
  ].join('\n');
  var SLIDER = '.widget-slider';            // IntSlider, FloatSlider, FloatLogSlider, SelectionSlider...
  var PLAY = '.widget-play';
  var TOGGLE = '.widget-toggle-button';     // ToggleButton, and each button of ToggleButtons
  var IMAGE = 'img.widget-image';           // a widget's plot
  var ALL = [SLIDER, PLAY, TOGGLE, IMAGE].join(', ');
  // Where widgets are: everything else JupyterLab adds (editors' lines as one types) is skipped.
  var HOSTS = '.jp-OutputArea, .jupyter-widgets';
  var seen = new WeakSet();
  var ids = 0;

  function set(el, attribute, value) {      // only when it changes: observers see our own writes too
    if (el.getAttribute(attribute) !== value) {
      el.setAttribute(attribute, value);
    }
  }

  function watch(el, options, callback) {
    if (!seen.has(el)) {
      seen.add(el);
      new MutationObserver(callback).observe(el, options);
    }
  }

  function slider(el) {
    var handle = el.querySelector('.noUi-handle');
    var label = el.querySelector(':scope > .widget-label');
    var readout = el.querySelector(':scope > .widget-readout');
    if (handle === null) {
      return;
    }
    if (label !== null && !label.id) {
      label.id = NAME + '-label-' + ++ids;
    }
    var name = function (target) {                // the visible description, else the tooltip
      var tooltip = el.getAttribute('title') || (label === null ? null : label.getAttribute('title'));
      if (label !== null && label.textContent.trim() !== '') {
        set(target, 'aria-labelledby', label.id);
        target.removeAttribute('aria-label');
      } else if (tooltip && tooltip !== 'null') {
        set(target, 'aria-label', tooltip);
        target.removeAttribute('aria-labelledby');
      }
    };
    var sync = function () {
      var current = el.querySelector('.noUi-handle');
      var text = readout === null ? '' : readout.textContent.trim();
      if (current === null) {
        return;
      }
      name(current);
      if (text !== '') {
        set(current, 'aria-valuetext', text);
      }
      if (readout !== null && readout.isContentEditable) {
        set(readout, 'role', 'textbox');          // where a value can be typed: name it as the slider
        name(readout);
      } else if (readout !== null && readout.getAttribute('role') === 'textbox') {
        readout.removeAttribute('role');          // read-only now (a disabled slider)
      }
    };
    watch(el, { attributes: true, attributeFilter: ['title'] }, sync);
    if (label !== null) {
      watch(label, { childList: true, characterData: true, subtree: true, attributes: true,
                     attributeFilter: ['title'] }, sync);
    }
    watch(handle, { attributes: true, attributeFilter: ['aria-valuetext'] }, sync);
    if (readout !== null) {
      watch(readout, { childList: true, characterData: true, subtree: true, attributes: true,
                       attributeFilter: ['contenteditable'] }, sync);
    }
    sync();
  }

  function play(el) {
    var buttons = el.querySelectorAll(':scope > button');
    if (buttons.length < 2) {
      return;
    }
    var sync = function () {
      var playing = buttons[0].querySelector('.fa-pause') !== null;
      var names = [playing ? 'Pause' : 'Play', 'Stop', 'Repeat'];
      buttons.forEach(function (button, index) {
        if (index < names.length) {
          set(button, 'aria-label', names[index]);
          set(button, 'title', names[index]);
        }
      });
      if (buttons.length > 2) {
        set(buttons[2], 'aria-pressed', String(buttons[2].classList.contains('mod-active')));
      }
    };
    set(el, 'role', 'group');                     // named by the widget's tooltip (its title), if any
    buttons.forEach(function (button) {
      watch(button, { attributes: true, subtree: true, attributeFilter: ['class'] }, sync);
    });
    sync();
  }

  function toggle(el) {
    var sync = function () {
      if (el.getAttribute('title') === 'null') {  // ipywidgets writes the tooltip None as "null"
        el.removeAttribute('title');
      }
      set(el, 'aria-pressed', String(el.classList.contains('mod-active')));
    };
    watch(el, { attributes: true, attributeFilter: ['class', 'title'] }, sync);
    sync();
  }

  function image(el) {
    var sync = function () {
      var title = el.getAttribute('title');
      if (title !== null) {                       // the plot's current description
        if (title !== 'null' && title !== '') {
          set(el, 'alt', title);
        }
        el.removeAttribute('title');
      }
    };
    watch(el, { attributes: true, attributeFilter: ['title'] }, sync);
    sync();
  }

  function fix(el) {
    if (el.matches(IMAGE)) {
      image(el);
    } else if (el.matches(SLIDER)) {
      slider(el);
    } else if (el.matches(PLAY)) {
      play(el);
    } else if (el.matches(TOGGLE)) {
      toggle(el);
    }
  }

  function fixWithin(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) {
      return;
    }
    if (node.closest(HOSTS) === null && node.querySelector(HOSTS) === null) {
      return;
    }
    var host = node.closest(ALL);                 // a part re-rendered inside a widget (a new handle)
    if (host !== null) {
      fix(host);
    }
    node.querySelectorAll(ALL).forEach(fix);
    // ipywidgets writes a tooltip of None as title="null" (on labels too): a hover tip saying "null"
    node.querySelectorAll('[title="null"]').forEach(function (el) {
      if (el.closest('.jupyter-widgets') !== null) {
        el.removeAttribute('title');
      }
    });
  }

  function activate() {
    var style = document.createElement('style');
    style.id = NAME;
    style.textContent = CSS;
    document.head.appendChild(style);
    new MutationObserver(function (records) {
      records.forEach(function (record) {
        record.addedNodes.forEach(fixWithin);
      });
    }).observe(document.body, { childList: true, subtree: true });
    fixWithin(document.body);
  }

  var plugin = {
    id: NAME + ':plugin',
    description: 'Accessible names, values, states and focus outlines for ipywidgets controls.',
    autoStart: true,
    activate: activate
  };

  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB[NAME] = {
    init: function () {},
    get: function (module) {
      if (module === './extension') {
        return Promise.resolve(function () {
          return { __esModule: true, default: plugin };
        });
      }
      return Promise.reject(new Error(NAME + ' has no module ' + module));
    }
  };
})();
