// The page's <html lang dir> follow the language the participant reads, so that screen readers, text input and
// punctuation follow it too. Included inline by index.html.j2 with the registry's languages (tk-languages:
// code -> {dir, fonts}). First from the address's lang=, then from the app's own class (tk-lang-<code>, set by
// the kernel as the participant switches language), watched as it changes.
(function () {
  var known = {};
  try {
    known = JSON.parse(document.getElementById('tk-languages').textContent);
  } catch (e) { return; }
  var root = document.documentElement;

  function follow(lang) {
    if (!known[lang]) { return; }
    if (root.lang !== lang) { root.lang = lang; }
    if (root.dir !== known[lang].dir) { root.dir = known[lang].dir; }
  }
  function fromApp(app) {
    var found = app.className.match(/\btk-lang-([a-z]+)\b/);
    if (found) { follow(found[1]); }
  }

  follow(new URLSearchParams(window.location.search).get('lang') || 'en');
  var app = null;
  var watch = new MutationObserver(function () {
    if (!app) {
      app = document.querySelector('.tk-app');
      if (!app) { return; }
      watch.disconnect();  // from now on only the app's own class is watched, not the whole page
      if (!/\btk-lang-/.test(app.className)) { return; }  // an app with one language (the coach's)
      watch.observe(app, { attributes: true, attributeFilter: ['class'] });
    }
    fromApp(app);
  });
  watch.observe(document, { childList: true, subtree: true });
})();
