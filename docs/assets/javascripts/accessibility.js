/* Accessibility helpers. Loaded in <head> (overrides/main.html), before the page is drawn, so
   关怀模式 is applied from the first paint. Plain script, no library; works from file:// (the
   offline copy).

   1. 关怀模式 (care mode, for older readers): larger text, wider line spacing, stronger contrast
      (html.cb-care in docs/assets/stylesheets/casebook.css). The header button next to the colour
      switch (overrides/partials/palette.html) turns it on and off and says which with
      aria-pressed. The choice is kept in localStorage under the site's own root path, as
      Material keeps its colour scheme, so it holds on every page of the site and offline.
   2. Keyboard, on narrow screens: the menu button becomes a Tab stop (Enter or Space opens the
      navigation drawer and moves focus into it; Escape, or leaving it with Tab, closes it).
      Inside the drawer, a section's label opens its level and the level's title goes back,
      from the keyboard too; focus follows to the level shown (casebook.css keeps hidden and
      covered levels out of the Tab order).
   3. Keyboard: the colour switch focuses the scheme in use (see syncPalette).
   4. Keyboard: a wide table that scrolls sideways can be focused and scrolled with the arrow keys
      (Material does the same for code blocks). */
(function () {
  "use strict";

  var root = document.documentElement;
  var script = document.currentScript;
  // This file is <site root>/assets/javascripts/accessibility.js.
  var KEY = (script ? new URL("../../", script.src).pathname : "/") + ".__casebook_care";

  function saved() {
    try {
      return localStorage.getItem(KEY) === "1";
    } catch (e) {
      return false; // storage blocked: the mode lasts for this page only
    }
  }

  function save(on) {
    try {
      localStorage.setItem(KEY, on ? "1" : "0");
    } catch (e) { /* see saved() */ }
  }

  function each(selector, fn) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
  }

  function applyCare(on) {
    root.classList.toggle("cb-care", on);
    each("[data-cb-care]", function (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    updateScrollers();
  }

  // Before the body exists: only the class on <html>, so the first paint is already right.
  root.classList.toggle("cb-care", saved());

  function setupCare() {
    each("[data-cb-care]", function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var on = !root.classList.contains("cb-care");
        save(on);
        applyCare(on);
      });
    });
    applyCare(saved());
    // Another tab of the same site changed it.
    window.addEventListener("storage", function (e) {
      if (e.key === KEY) applyCare(e.newValue === "1");
    });
  }

  // Shown on screen: not hidden by CSS (the drawer's closed or covered levels) and laid out.
  function shown(el) {
    return el.getClientRects().length > 0 && getComputedStyle(el).visibility === "visible";
  }

  function firstShown(container, selector) {
    var all = container.querySelectorAll(selector);
    for (var i = 0; i < all.length; i++) if (shown(all[i])) return all[i];
    return null;
  }

  var FOCUSABLE = "a[href], [tabindex='0'], input:not([type=hidden]):not(.md-toggle), button";

  function pressable(label, name) {
    label.tabIndex = 0;
    label.setAttribute("role", "button");
    if (name) label.setAttribute("aria-label", name);
  }

  function setupDrawer() {
    var toggle = document.getElementById("__drawer");
    var button = document.querySelector('.md-header label[for="__drawer"]');
    var drawer = document.querySelector(".md-sidebar--primary");
    if (!toggle || !button || !drawer) return;
    pressable(button, "导航菜单");
    function sync() {
      button.setAttribute("aria-expanded", toggle.checked ? "true" : "false");
    }
    function close(refocus) {
      if (toggle.checked) toggle.click();
      if (refocus) button.focus();
    }
    toggle.addEventListener("change", sync);
    sync();
    // Inside the drawer, a section opens as a level of its own over the one above it; its title
    // ("← section") goes back. Both are labels Material leaves out of the Tab order.
    each(".md-sidebar--primary .md-nav__item > label.md-nav__link[for]", function (label) { pressable(label); });
    each(".md-sidebar--primary .md-nav > label.md-nav__title[for]:not([for='__drawer'])", function (label) {
      pressable(label, "返回上一级：" + label.textContent.trim());
    });
    each(".md-sidebar--primary .md-nav__toggle", function (level) {
      level.addEventListener("change", function () {
        if (!toggle.checked) return;
        var opened = level.checked && level.parentNode.querySelector(":scope > .md-nav");
        var target = opened ? firstShown(opened, FOCUSABLE) : drawer.querySelector('label.md-nav__link[for="' + level.id + '"]');
        if (target) target.focus();
      });
    });
    drawer.addEventListener("keydown", function (e) {
      var label = e.target;
      if ((e.key === "Enter" || e.key === " ") && label.tagName === "LABEL" && label.getAttribute("role") === "button") {
        e.preventDefault();
        e.stopPropagation(); // Material also clicks a focused label on Enter: once is enough
        label.click();
      }
    });
    button.addEventListener("keydown", function (e) {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      e.stopPropagation();
      toggle.click();
      if (toggle.checked) {
        var first = firstShown(drawer, FOCUSABLE);
        if (first) first.focus();
      }
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && toggle.checked) close(true);
    });
    // Focus that leaves the open drawer would land on the page behind its overlay.
    document.addEventListener("focusin", function (e) {
      if (toggle.checked && !drawer.contains(e.target) && e.target !== button) close(false);
    });
  }

  // Material wraps tables in .md-typeset__scrollwrap from its own script: look them up each time.
  function updateScrollers() {
    each(".md-typeset__scrollwrap", function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.tabIndex = 0;
      } else {
        wrap.removeAttribute("tabindex");
      }
    });
  }

  // Material's colour switch is a pair of radio buttons, but it never checks the one in use, so
  // Tab lands on the first, whose label may be the hidden one (no focus to see) and whose name
  // says the opposite of what Enter does. Check the current one: its label is the visible one.
  function syncPalette() {
    each(".md-header__option .md-option", function (input) {
      var label = input.nextElementSibling;
      if (label && label.tagName === "LABEL" && !label.hidden) input.checked = true;
    });
  }

  function setup() {
    syncPalette();
    window.addEventListener("load", syncPalette);
    var palette = document.querySelector(".md-header__option");
    if (palette && window.MutationObserver) {  // Material switched (the system's scheme changed)
      new MutationObserver(syncPalette).observe(palette, {subtree: true, attributeFilter: ["hidden"]});
    }
    setupCare();
    setupDrawer();
    window.addEventListener("load", updateScrollers);
    window.addEventListener("resize", updateScrollers);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
