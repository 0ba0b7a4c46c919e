// Album page uploads: drop zone + file input, one XMLHttpRequest per file,
// two at a time, a progress bar per file, stored items added to the grid.
// Without this script the form posts the files and the page reloads.
(function () {
  "use strict";

  const MAX_PARALLEL = 2;
  const section = document.getElementById("upload");
  if (!section) return;
  const form = document.getElementById("upload-form");
  const input = document.getElementById("upload-input");
  const dropzone = document.getElementById("dropzone");
  const list = document.getElementById("upload-list");
  const grid = document.getElementById("item-grid");
  const cardTemplate = document.getElementById("item-card-template");
  const maxBytes = Number(section.dataset.maxBytes || 0);
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const queue = [];
  let active = 0;

  function addRow(file) {
    const row = document.createElement("li");
    row.className = "upload-row";
    row.dataset.state = "queued";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const message = document.createElement("span");
    message.className = "upload-message";
    message.textContent = "Waiting…";
    row.append(name, bar, message);
    list.prepend(row);
    return { row, bar, message };
  }

  function finish(entry, state, text) {
    entry.row.dataset.state = state;
    entry.message.textContent = text;
    if (state === "done") entry.bar.value = 100;
  }

  function formatDuration(seconds) {
    return Math.round(seconds) + "s";
  }

  function addCard(item) {
    const card = cardTemplate.content.firstElementChild.cloneNode(true);
    card.dataset.kind = item.kind;
    card.dataset.id = item.id;
    card.dataset.statusUrl = item.status_url;
    card.querySelector("a").href = item.url;
    const img = card.querySelector("img");
    img.src = item.thumbnail_url;
    img.alt = item.filename;
    card.querySelector(".item-name").textContent = item.filename;
    card.querySelector(".item-name").title = item.filename;
    const badge = card.querySelector(".badge");
    badge.textContent = item.status_label || item.status;
    badge.dataset.status = item.status;
    badge.classList.add("badge-" + item.status);
    if (item.kind === "video") {
      card.querySelector(".play-icon").hidden = false;
      if (item.duration_seconds !== null && item.duration_seconds !== undefined) {
        const duration = card.querySelector(".duration");
        duration.textContent = formatDuration(item.duration_seconds);
        duration.hidden = false;
      }
    }
    grid.prepend(card);
    const empty = document.getElementById("grid-empty");
    if (empty) empty.remove();
  }

  function handleResponse(entry, xhr) {
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (err) {
      finish(entry, "error", "Upload failed (HTTP " + xhr.status + ").");
      return;
    }
    (body.uploaded || []).forEach(addCard);
    const errors = body.errors || [];
    if (errors.length) {
      finish(entry, "error", errors.map((e) => e.error).join(" "));
    } else {
      const notes = (body.uploaded || []).map((item) => item.note);
      finish(entry, "done", `Uploaded. ${notes[0] || ""}`.trim());
      document.dispatchEvent(new CustomEvent("items-added"));
    }
  }

  function send(file, entry) {
    const data = new FormData();
    data.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    entry.row.dataset.state = "uploading";
    entry.message.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) entry.bar.value = (event.loaded / event.total) * 100;
    });
    xhr.upload.addEventListener("load", () => {
      entry.message.textContent = "Checking the file…";
    });
    xhr.addEventListener("load", () => handleResponse(entry, xhr));
    xhr.addEventListener("error", () => finish(entry, "error", "Network error: the upload did not finish."));
    xhr.addEventListener("loadend", () => {
      active -= 1;
      pump();
    });
    active += 1;
    xhr.send(data);
  }

  function pump() {
    while (active < MAX_PARALLEL && queue.length) {
      const job = queue.shift();
      send(job.file, job.entry);
    }
  }

  function enqueue(files) {
    Array.from(files).forEach((file) => {
      const entry = addRow(file);
      if (file.size === 0) {
        finish(entry, "error", "The file is empty.");
      } else if (maxBytes && file.size > maxBytes) {
        // Same words as the server, without sending the bytes first.
        finish(entry, "error", "The file is " + (file.size / 1e6).toFixed(1) + " MB; the limit is " +
          (maxBytes / 1e6).toFixed(0) + " MB.");
      } else {
        queue.push({ file, entry });
      }
    });
    pump();
  }

  input.addEventListener("change", () => {
    enqueue(input.files);
    input.value = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    enqueue(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach((name) => dropzone.addEventListener(name, (event) => {
    event.preventDefault();
    dropzone.classList.add("is-dragover");
  }));
  ["dragleave", "dragend"].forEach((name) => dropzone.addEventListener(name, () => {
    dropzone.classList.remove("is-dragover");
  }));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("is-dragover");
    if (event.dataTransfer && event.dataTransfer.files.length) enqueue(event.dataTransfer.files);
  });
})();
