// A page that has not shown the app after 20 s without progress, or after 60 s at all, reloads itself once.
// Included inline by index.html.j2 (a page that hangs may not get a script file either). "Progress" is the page
// growing: Voila's heartbeat while a kernel of the page's own starts, the cell arriving, the widgets drawing; so
// a slow start on a busy laptop is not cut short at 20 s. At 60 s the page reloads all the same: by then the
// room's warm kernels have been replaced and the reload takes one, where a kernel of its own may still be stuck.
// The reload keeps the address (the participant's token= is in it); a flag in sessionStorage makes it happen
// once in a row. The line shown is in the participant's language: the address's lang=, else the language the
// app last showed on this phone, else every language the texts have (in their direction and font: tk-languages).
(function () {
  var QUIET_MS = 20000;
  var LONGEST_MS = 60000;
  var FLAG = 'toolkit.reloaded';
  var LANG = 'toolkit.lang';
  var texts = {};
  var scripts = {};  // code -> {dir, fonts}
  try {
    texts = JSON.parse(document.getElementById('tk-recovery-texts').textContent);
  } catch (e) { /* no texts: the page still reloads */ }
  try {
    scripts = JSON.parse(document.getElementById('tk-languages').textContent);
  } catch (e) { /* no directions: every line left to right */ }

  function get(storage, key) {
    try { return window[storage].getItem(key); } catch (e) { return null; }
  }
  function put(storage, key, value) {
    try {
      if (value === null) { window[storage].removeItem(key); } else { window[storage].setItem(key, value); }
      return true;
    } catch (e) { return false; }
  }
  function known(lang) {
    return Boolean(lang && texts.page_reloading && texts.page_reloading[lang]);
  }
  function languages() {
    var asked = new URLSearchParams(window.location.search).get('lang');
    if (known(asked)) { return [asked]; }
    var saved = get('localStorage', LANG);
    if (known(saved)) { return [saved]; }
    return Object.keys(texts.page_reloading || {}).filter(known);
  }
  function app() {
    var found = document.querySelector('.tk-app');
    return found && found.offsetParent !== null ? found : null;  // drawn and on screen
  }
  function say(key) {
    if (!document.body || !texts[key]) { return; }
    var box = document.getElementById('tk-recovery');
    if (!box) {
      box = document.createElement('div');
      box.id = 'tk-recovery';
      box.setAttribute('role', 'status');
      box.style.cssText = 'position:fixed;left:0;right:0;top:0;z-index:1000;padding:12px 16px;font-size:18px;'
        + 'font-family:system-ui,sans-serif;background:#fff4d6;border-bottom:2px solid #e0b84c;color:#222';
      document.body.appendChild(box);
    }
    box.textContent = '';
    languages().forEach(function (lang) {
      var line = document.createElement('p');
      line.style.margin = '4px 0';
      line.lang = lang;
      var script = scripts[lang];
      if (script) {
        line.dir = script.dir;
        if (script.fonts.length) {
          line.style.fontFamily = script.fonts.map(function (f) { return '"' + f + '"'; }).join(', ') + ', serif';
        }
      }
      line.textContent = texts[key][lang];
      box.appendChild(line);
    });
  }

  var reloaded = get('sessionStorage', FLAG) === '1';
  var size = -1;
  var opened = Date.now();
  var still = opened;
  var said = false;
  var elements = document.getElementsByTagName('*');  // live: grows as the page arrives and draws

  function note_language() {  // the language the participant reads now, for a later page that does not open
    var shown = app();
    var lang = shown && shown.className.match(/\btk-lang-(\w+)\b/);
    if (lang) { put('localStorage', LANG, lang[1]); }
    window.setTimeout(note_language, 5000);
  }

  function check() {
    if (app()) {
      var box = document.getElementById('tk-recovery');
      if (box) { box.parentNode.removeChild(box); }
      put('sessionStorage', FLAG, null);  // shown: a later page may recover once again
      note_language();
      return;
    }
    if (given_up) { return; }
    if (reloaded && !said && document.body) {
      say('page_reloading');  // this is the reload: say why the page opened again
      said = true;
    }
    if (elements.length !== size) {
      size = elements.length;
      still = Date.now();
    }
    if (Date.now() - still < QUIET_MS && Date.now() - opened < LONGEST_MS) {
      window.setTimeout(check, 500);
      return;
    }
    reload_once();
  }
  var given_up = false;
  function reload_once() {
    if (given_up || app()) { return; }
    given_up = true;  // check() stops: one reload (or one message) per page
    if (reloaded || !put('sessionStorage', FLAG, '1')) {
      say('page_still_closed');  // once only: a second reload would not do better
      return;
    }
    say('page_reloading');
    console.warn('toolkit: the app did not show; reloading the page once');
    window.setTimeout(function () { window.location.reload(); }, 1500);
  }
  // The server ends a page it could not send in time (toolkit.voila_app.LimitedPageHandler) with a call to this.
  window.toolkitReloadOnce = reload_once;
  window.setTimeout(check, 500);
})();
