// The article editor, improved: autosave while typing, a live preview rendered by the server,
// and a Read More picker that inserts the block at the cursor. Everything here also works
// without this script, through plain forms.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) { return; }
  var status = form.querySelector(".autosave-status");
  var body = document.getElementById("body");

  function fields() { return new URLSearchParams(new FormData(form)); }
  function say(text) { if (status) { status.textContent = text; } }
  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  // Autosave: after two seconds without typing, store a revision.
  var autosaveUrl = form.getAttribute("data-autosave");
  var lastSaved = fields().toString();
  var stopped = false;
  function autosave() {
    if (!autosaveUrl || stopped) { return; }
    var data = fields();
    var text = data.toString();
    if (text === lastSaved) { return; }
    say("Saving…");
    fetch(autosaveUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.text().then(function (t) { return [r.status, t]; }); })
      .then(function (res) {
        var words = res[1].split(" ");
        if (res[0] === 200 && words[0] === "saved") {
          form.querySelector("input[name=base]").value = words[1];
          // The publish and schedule forms name the revision this page shows: now this one.
          document.querySelectorAll("input[name=revision]").forEach(function (input) { input.value = words[1]; });
          lastSaved = fields().toString();
          say("Autosaved as revision " + words[1] + " at " + new Date().toLocaleTimeString());
        } else if (res[0] === 422 && words[0] === "invalid") {
          say(res[1].slice("invalid ".length) + " Your text is still here.");
        } else if (res[0] === 409) {
          stopped = true;
          say("Someone else saved this article. Your text is kept in the revision history; Save to compare the two versions.");
        } else {
          say("Autosave failed; your text is still here. Save to see why.");
        }
      })
      .catch(function () { say("Offline? Autosave will retry when you type again."); });
  }
  form.addEventListener("input", debounce(autosave, 2000));

  // A new article has nothing to save into until its first Save: keep the typing in this
  // browser meanwhile, and offer it back if the page is closed or reloaded.
  var NEW_KEY = "dateline-unsaved-new-article";
  if (!autosaveUrl && window.localStorage) {
    var names = ["headline", "standfirst", "body", "section", "tags", "authors", "source_agency", "language"];
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(NEW_KEY) || "null"); } catch (e) { stored = null; }
    var untouched = !form.elements.headline.value && !form.elements.body.value;
    if (stored && untouched) {
      names.forEach(function (n) { if (typeof stored[n] === "string" && form.elements[n]) { form.elements[n].value = stored[n]; } });
      say("Restored the text you had not saved yet.");
    }
    form.addEventListener("input", debounce(function () {
      var copy = {};
      names.forEach(function (n) { if (form.elements[n]) { copy[n] = form.elements[n].value; } });
      try { localStorage.setItem(NEW_KEY, JSON.stringify(copy)); say("Kept in this browser until you save."); } catch (e) {}
    }, 500));
    // Saving hands the text to the server (a refused save shows it again in the form).
    form.addEventListener("submit", function (event) {
      if (!event.submitter || !event.submitter.hasAttribute("formaction")) {
        try { localStorage.removeItem(NEW_KEY); } catch (e) {}
      }
    });
  }

  // Live preview, rendered by the same code as the public page.
  var panel = document.querySelector(".preview-panel");
  var preview = panel && panel.querySelector(".preview");
  function refreshPreview() {
    if (!preview) { return; }
    fetch("/admin/preview", { method: "POST", body: fields(), credentials: "same-origin" })
      .then(function (r) { return r.text().then(function (t) { return [r.ok, t]; }); })
      .then(function (res) {
        var doc = new DOMParser().parseFromString(res[1], "text/html");
        var story = doc.querySelector(res[0] ? "article.story" : "[role=alert]");
        preview.replaceChildren();
        if (story) { preview.appendChild(document.importNode(story, true)); }
      })
      .catch(function () {});
  }
  if (panel) {
    panel.hidden = false;
    refreshPreview();
    form.addEventListener("input", debounce(refreshPreview, 800));
  }

  // Read More picker: search by headline, insert the block at the cursor.
  var picker = document.querySelector("form[data-picker]");
  var picks = document.querySelector("#read-more-picker .picks");
  function insertReadMore(id) {
    var start = body.selectionStart, end = body.selectionEnd, text = body.value;
    var before = text.slice(0, start), after = text.slice(end);
    var block = "::: read-more " + id;
    if (before && !before.endsWith("\n")) { block = "\n" + block; }
    if (before && !/\n\n$/.test(before + (block[0] === "\n" ? "\n" : ""))) { block = "\n" + block; }
    block += after.startsWith("\n") ? "\n" : "\n\n";
    body.value = before + block + after;
    var caret = (before + block).length;
    body.focus();
    body.setSelectionRange(caret, caret);
    form.dispatchEvent(new Event("input"));
  }
  if (picker && picks) {
    picker.addEventListener("submit", function (event) {
      event.preventDefault();
      var q = picker.querySelector("input[name=q]").value;
      fetch("/admin/read-more?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          picks.replaceChildren();
          var found = doc.querySelectorAll("li[data-id]");
          if (!found.length) {
            var none = document.createElement("li");
            none.textContent = "No article has that in its headline.";
            picks.appendChild(none);
          }
          found.forEach(function (li) {
            var item = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button";
            button.className = "pick";
            button.textContent = "Insert: " + li.getAttribute("data-headline");
            button.setAttribute("data-id", li.getAttribute("data-id"));
            button.addEventListener("click", function () { insertReadMore(li.getAttribute("data-id")); });
            item.appendChild(button);
            picks.appendChild(item);
          });
        });
    });
  }
})();
