// The shared album's slideshow: one slide shown at a time, advancing on a timer,
// with buttons and arrow keys. At either end of the page it moves to the next
// (or previous) page of the album, as the grid pages. No inline script: CSP-clean.
(function () {
  "use strict";
  var show = document.getElementById("slideshow");
  if (!show) return;
  var slides = Array.prototype.slice.call(show.querySelectorAll(".slide"));
  var position = document.getElementById("slide-position");
  var pauseButton = document.getElementById("slide-pause");
  var interval = parseInt(show.dataset.intervalMs, 10) || 4000;
  var current = 0;
  var timer = null;
  var fromEnd = window.location.hash === "#end";

  function display(index) {
    slides[current].hidden = true;
    current = index;
    slides[current].hidden = false;
    position.textContent = (current + 1) + " / " + slides.length;
    show.dataset.current = slides[current].dataset.id;
  }

  function step(delta) {
    var next = current + delta;
    if (next >= slides.length) {
      if (show.dataset.nextPage) { window.location.assign(show.dataset.nextPage); return; }
      next = 0;
    } else if (next < 0) {
      if (show.dataset.previousPage) { window.location.assign(show.dataset.previousPage + "#end"); return; }
      next = slides.length - 1;
    }
    display(next);
  }

  function play() {
    stop();
    timer = window.setInterval(function () { step(1); }, interval);
    pauseButton.textContent = pauseButton.dataset.playingLabel;
  }

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    pauseButton.textContent = pauseButton.dataset.pausedLabel;
  }

  if (!slides.length) return;
  display(fromEnd ? slides.length - 1 : 0);
  document.getElementById("slide-next").addEventListener("click", function () { step(1); if (timer !== null) play(); });
  document.getElementById("slide-previous").addEventListener("click", function () { step(-1); if (timer !== null) play(); });
  pauseButton.addEventListener("click", function () { if (timer === null) { play(); } else { stop(); } });
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") step(1);
    else if (event.key === "ArrowLeft") step(-1);
    else if (event.key === "Escape") document.getElementById("slideshow-close").click();
  });
  show.classList.add("slideshow-ready");
  play();
})();
