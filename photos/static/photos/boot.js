// In <head>, before the first paint: styles for "script is on" apply at once.
// A file, not an inline script: the Content-Security-Policy allows no inline code.
document.documentElement.classList.replace("no-js", "js");

// A picture whose file is gone (the media view answers 404) shows a placeholder,
// not a broken-image icon. Capturing: error events do not bubble.
document.addEventListener("error", (event) => {
  const img = event.target;
  const placeholder = document.documentElement.dataset.missingImage;
  if (!(img instanceof HTMLImageElement) || !placeholder || img.dataset.missing) return;
  img.dataset.missing = "true";
  img.alt = `${img.alt} (file missing)`.trim();
  img.src = placeholder;
}, true);
