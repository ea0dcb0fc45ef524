// Embeds on article pages: nothing is loaded from another service until the reader asks.
//
// Each embed is rendered as a placeholder (the service's name, the title, a plain link to the
// original, and a hidden "Load the YouTube video" button). This script shows the button and, on
// a click, puts the player's frame in the placeholder's box. Without it the link still works.
(function () {
  "use strict";

  // The players a page may frame: the Content-Security-Policy's frame-src says the same.
  var ORIGINS = [
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
    "https://platform.twitter.com",
    "https://www.facebook.com"
  ];

  function player(figure) {
    var url;
    try {
      url = new URL(figure.getAttribute("data-embed-src") || "");
    } catch (e) {
      return null;
    }
    return ORIGINS.indexOf(url.origin) >= 0 ? url.href : null;
  }

  function load(figure, box, src, label) {
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = figure.getAttribute("data-embed-title") || label;
    frame.className = "embed-frame";
    frame.setAttribute("allow", "autoplay; encrypted-media; fullscreen; picture-in-picture");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    box.replaceChildren(frame);
    figure.classList.add("embed-loaded");
    frame.focus();
  }

  var figures = document.querySelectorAll("figure.embed[data-embed-src]");
  Array.prototype.forEach.call(figures, function (figure) {
    var box = figure.querySelector(".embed-box");
    var button = figure.querySelector("button.embed-load");
    var src = player(figure);
    if (!box || !button || !src) {
      return;
    }
    button.hidden = false;
    button.addEventListener(
      "click",
      function () {
        load(figure, box, src, button.textContent);
      },
      { once: true }
    );
  });
})();
