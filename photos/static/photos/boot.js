// In <head>, before the first paint: styles for "script is on" apply at once.
// A file, not an inline script: the Content-Security-Policy allows no inline code.
document.documentElement.classList.replace("no-js", "js");
