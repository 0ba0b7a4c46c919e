/* Operations pages: live item status, the /ops/ dashboard, the AI settings and vocabulary pages.
   Plain JS, no build step; every part starts only when its markup is on the page. */
(function () {
  "use strict";
  if (window.photoAlbumOps) return; // the item snippet may load this file twice
  window.photoAlbumOps = true;

  const ACTIVE = new Set(["pending", "processing"]);
  const LABELS = { pending: "Pending", processing: "Processing", completed: "Completed", failed: "Failed" };

  function csrfToken(root) {
    const input = (root || document).querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response.json();
  }

  async function postForm(url, body, root) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken(root) },
    });
  }

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.entries(attrs || {}).forEach(([key, value]) => node.setAttribute(key, value));
    return node;
  }

  /* --- one item's live status (photos/ops/_item_live_status.html) ------------------- */

  function initLiveStatus(root) {
    const badge = root.querySelector("[data-role=badge]");
    const error = root.querySelector("[data-role=error]");
    const form = root.querySelector("[data-role=retry-form]");
    const button = root.querySelector("[data-role=retry-button]");
    let timer = null;

    function apply(data) {
      root.dataset.status = data.status;
      badge.className = `badge badge-${data.status}`;
      badge.dataset.status = data.status;
      badge.textContent = data.status_label || LABELS[data.status] || data.status;
      error.textContent = data.error || "";
      error.hidden = !(data.status === "failed" && data.error);
      form.hidden = !(data.status === "failed" || data.status === "completed");
      root.querySelectorAll("[data-role=note], [data-role=process-now-form]").forEach((node) => {
        node.hidden = data.status !== "pending";
      });
      button.disabled = false;
      button.textContent = data.status === "failed" ? "Retry" : "Reprocess";
      if (data.status === "completed") showResults(data);
    }

    function schedule() {
      clearTimeout(timer);
      if (ACTIVE.has(root.dataset.status)) timer = setTimeout(poll, 2000);
    }

    async function poll() {
      try {
        apply(await getJSON(root.dataset.statusUrl));
      } catch (err) {
        /* a blip (server restart): keep polling */
      }
      schedule();
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const response = await postForm(form.action, new FormData(form), form);
        apply(await response.json());
      } catch (err) {
        button.disabled = false;
        return;
      }
      schedule();
    });
    schedule();
  }

  /* The item page's description and tags, when it marks them with data-live. */
  function showResults(data) {
    const description = document.querySelector("[data-live=description]") || document.getElementById("ai-description");
    if (description && data.description) {
      description.querySelectorAll("p").forEach((p) => p.remove());
      description.appendChild(el("p", data.description, { "data-role": "description" }));
    }
    const tags = document.querySelector("[data-live=tags]");
    if (tags && data.tags && data.tags.length) {
      tags.querySelectorAll("p, ul").forEach((node) => node.remove());
      const list = el("ul", null, { class: "tag-list", id: "tags" });
      data.tags.forEach((tag) => {
        const item = el("li", null, { class: `tag tag-${tag.source}`, "data-tag": tag.name });
        item.appendChild(el("span", tag.name, { class: "tag-name" }));
        const score = tag.score === null || tag.score === undefined ? "" : ` ${tag.score.toFixed(2)}`;
        item.appendChild(el("span", tag.source === "ai" ? `AI${score}` : tag.source, { class: "tag-source" }));
        list.appendChild(item);
      });
      tags.appendChild(list);
    }
  }

  /* --- the /ops/ dashboard ----------------------------------------------------------- */

  function lookup(data, path) {
    return path.split(".").reduce((value, key) => (value == null ? value : value[key]), data);
  }

  function formatBound(name, value) {
    if (name === "median_upload_to_completed_s") return value === null ? "–" : `${value} s`;
    if (name === "queue_names") return Object.keys(value || {}).join(", ");
    return value === null || value === undefined ? "?" : value;
  }

  function megabytes(bytes) {
    return `${(bytes / 2 ** 20).toFixed(0)} MB`;
  }

  // "30 Nov 2026, 02:00 (in 16 h)": an ISO time as people read it.
  function human(iso) {
    if (!iso) return "";
    const moment = new Date(iso);
    const minutes = Math.round((moment - Date.now()) / 60000);
    const size = Math.abs(minutes);
    const span = size < 1 ? "now" : size < 60 ? `${size} min` : size < 2880 ? `${Math.round(size / 60)} h` : `${Math.round(size / 1440)} days`;
    const relative = span === "now" ? "just now" : minutes > 0 ? `in ${span}` : `${span} ago`;
    const text = moment.toLocaleString(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
    return `${text} (${relative})`;
  }

  function renderWorkers(root, data) {
    root.querySelector("#no-worker").hidden = data.workers_online > 0;
    const table = root.querySelector("#workers-table");
    table.hidden = data.workers_online === 0;
    const body = table.querySelector("tbody");
    body.replaceChildren(...data.workers.map((w) => {
      const row = el("tr");
      [w.name, (w.queues || []).join(", "), w.pool, w.concurrency, w.tasks_running].forEach((v) => row.appendChild(el("td", v)));
      const memory = el("td", w.pool_processes.length ? null : "–", { class: "pool-memory" });
      w.pool_processes.forEach((p) => {
        const peak = p.peak_rss_bytes ? ` (${megabytes(p.peak_rss_bytes)})` : "";
        memory.appendChild(el("span", `${megabytes(p.rss_bytes)}${peak}`, { class: "pool-process", "data-pid": p.pid }));
      });
      row.appendChild(memory);
      return row;
    }));
  }

  function renderBeat(root, data) {
    const tile = root.querySelector("#tile-beat");
    tile.dataset.alive = String(data.beat.alive);
    root.querySelector("#beat-state").textContent = data.beat.alive ? "ticking" : "stopped";
    const age = data.beat.last_tick_age_s;
    root.querySelector("#beat-age").textContent = age === null ? "never" : `${Math.round(age)} s ago`;
    root.querySelector("#beat-stopped").hidden = data.beat.alive;
  }

  function renderNightly(root, data) {
    root.querySelector("#nightly-rows").replaceChildren(...data.nightly.map((entry) => {
      const row = el("tr");
      const state = !entry.exists ? "missing" : entry.enabled ? "on" : "off";
      const schedule = el("td");
      schedule.appendChild(el("code", entry.crontab));
      row.append(el("td", entry.name), el("td", state), schedule,
        el("td", human(entry.last_run_at) || "never"), el("td", human(entry.next_run_at) || "–"));
      return row;
    }));
  }

  function renderFailures(root, data) {
    const failures = data.recent_failures;
    root.querySelector("#no-failures").hidden = failures.length > 0;
    root.querySelector("#failures-table").hidden = failures.length === 0;
    const token = csrfToken(root);
    root.querySelector("#failure-rows").replaceChildren(...failures.map((f) => {
      const row = el("tr", null, { "data-item": `${f.kind}-${f.id}` });
      const link = el("td");
      link.appendChild(el("a", `${f.kind} ${f.id}: ${f.filename}`, { href: f.url }));
      const action = el("td");
      const form = el("form", null, { method: "post", action: f.retry_url });
      form.append(
        el("input", null, { type: "hidden", name: "csrfmiddlewaretoken", value: token }),
        el("input", null, { type: "hidden", name: "next", value: window.location.pathname }),
        el("button", "Retry", { type: "submit", class: "button button-quiet" }),
      );
      action.appendChild(form);
      row.append(link, el("td", f.error, { class: "ops-error" }), el("td", human(f.when)), action);
      return row;
    }));
  }

  function renderDashboard(root, data) {
    root.querySelectorAll("[data-bind]").forEach((node) => {
      const name = node.dataset.bind;
      node.textContent = formatBound(name, lookup(data, name === "queue_names" ? "queues" : name));
    });
    renderWorkers(root, data);
    renderBeat(root, data);
    renderNightly(root, data);
    renderFailures(root, data);
    const verdict = root.querySelector("#verdict");
    verdict.dataset.attention = String(data.needs_attention);
    verdict.textContent = data.needs_attention ? `Needs attention: ${data.problems.join("; ")}` : "All checks pass.";
    root.querySelectorAll(".ops-check-row").forEach((row) => {
      const counts = data[row.dataset.check] || {};
      row.classList.toggle("ops-attention", (counts.photos || 0) + (counts.videos || 0) > 0);
    });
    const updated = root.querySelector("#ops-updated");
    updated.dataset.checkedAt = data.checked_at;
    updated.textContent = `Updated ${human(data.checked_at)}`;
    updated.classList.remove("ops-stale");
  }

  function initDashboard(root) {
    const interval = Number(root.dataset.intervalMs) || 4000;
    async function refresh() {
      try {
        renderDashboard(root, await getJSON(root.dataset.statusUrl));
      } catch (err) {
        const updated = root.querySelector("#ops-updated");
        updated.classList.add("ops-stale");
        updated.textContent = `Could not refresh (${err.message}); retrying`;
      }
      setTimeout(refresh, interval);
    }
    refresh();
  }

  /* --- the AI settings page ---------------------------------------------------------- */

  function initBackendOptions(form) {
    const radios = form.querySelectorAll("input[name=backend]");
    function show() {
      const chosen = form.querySelector("input[name=backend]:checked");
      form.querySelectorAll(".ops-backend-options").forEach((block) => {
        block.hidden = !chosen || block.dataset.backend !== chosen.value;
      });
    }
    radios.forEach((radio) => radio.addEventListener("change", show));
    show();
  }

  function initConcurrency() {
    const input = document.getElementById("concurrency-hint");
    const command = document.getElementById("concurrency-command");
    if (!input || !command) return;
    input.addEventListener("input", () => {
      const n = Math.max(1, parseInt(input.value, 10) || 1);
      command.textContent = command.textContent.replace(/CELERY_WORKER_CONCURRENCY=\d+\//, `CELERY_WORKER_CONCURRENCY=${n}/`);
    });
  }

  function showSampleResult(box, data) {
    box.replaceChildren();
    if (!data.ok) {
      box.appendChild(el("p", `Failed: ${data.error}`, { class: "form-error", id: "sample-test-error" }));
      return;
    }
    box.appendChild(el("p", data.description, { id: "sample-test-description" }));
    const list = el("ul", null, { class: "tag-list", id: "sample-test-tags" });
    data.tags.forEach((tag) => list.appendChild(el("li", `${tag.name} ${tag.score.toFixed(2)}`, { class: "tag tag-ai" })));
    box.appendChild(list);
    box.appendChild(el("p", `${data.backend} backend, ${data.seconds} s on the worker`, { class: "muted", id: "sample-test-time" }));
  }

  function initSampleTest(section, form) {
    const button = section.querySelector("#sample-test-button");
    const box = section.querySelector("#sample-test-result");
    button.addEventListener("click", async () => {
      button.disabled = true;
      box.replaceChildren(el("p", "Queued; waiting for a worker…", { class: "muted", id: "sample-test-waiting" }));
      try {
        const response = await postForm(section.dataset.testUrl, new FormData(form), form);
        const body = await response.json();
        if (response.status === 400) {
          const messages = Object.entries(body.errors).map(([field, errs]) => `${field}: ${errs.map((e) => e.message).join(" ")}`);
          box.replaceChildren(el("p", `Fix the settings first: ${messages.join("; ")}`, { class: "form-error", id: "sample-test-error" }));
          return;
        }
        if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
        await pollSample(body.result_url, box, Number(form.querySelector("[name=processing_timeout]").value) || 300);
      } catch (err) {
        box.replaceChildren(el("p", `Failed: ${err.message}`, { class: "form-error", id: "sample-test-error" }));
      } finally {
        button.disabled = false;
      }
    });
  }

  async function pollSample(url, box, timeoutS) {
    const started = Date.now();
    for (;;) {
      const data = await getJSON(url);
      if (data.done) return showSampleResult(box, data);
      const waited = (Date.now() - started) / 1000;
      if (waited > timeoutS + 60) {
        throw new Error("no answer from a worker; see the Operations page");
      }
      if (data.state === "PENDING" && waited > 10) {
        box.firstChild.textContent = "Still waiting for a worker to pick the test up… is one running? (Operations page)";
      } else if (data.state !== "PENDING") {
        box.firstChild.textContent = "Running on a worker…";
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /* --- the vocabulary page's concept preview ----------------------------------------- */

  function showPreview(box, data) {
    box.replaceChildren();
    if (!data.ok) {
      box.appendChild(el("p", `Failed: ${data.error}`, { class: "form-error", id: "concept-preview-error" }));
      return;
    }
    box.appendChild(el("p", `“${data.name}” at ${data.threshold} would tag ${data.tagged} of ${data.photos.length} recent photos (${data.seconds} s on the worker).`, { id: "concept-preview-summary" }));
    const grid = el("ul", null, { class: "preview-grid", id: "concept-preview-photos" });
    data.photos.forEach((photo) => {
      const item = el("li", null, { class: photo.tagged ? "preview-tagged" : "preview-untagged", "data-photo": photo.id, "data-tagged": String(photo.tagged) });
      const link = el("a", null, { href: photo.url });
      link.appendChild(el("img", null, { src: photo.thumbnail_url, alt: photo.filename, loading: "lazy", width: "120", height: "120" }));
      item.appendChild(link);
      item.appendChild(el("span", `${photo.tagged ? "tagged" : "not tagged"} · ${photo.score.toFixed(3)}`, { class: "muted" }));
      grid.appendChild(item);
    });
    box.appendChild(grid);
  }

  function initConceptPreview(section, form) {
    const button = document.getElementById("concept-preview-button");
    const box = section.querySelector("#concept-preview-result");
    button.addEventListener("click", async () => {
      button.disabled = true;
      box.replaceChildren(el("p", "Queued; waiting for a worker…", { class: "muted", id: "concept-preview-waiting" }));
      try {
        const response = await postForm(section.dataset.previewUrl, new FormData(form), form);
        const body = await response.json();
        if (response.status === 400) {
          const messages = Object.entries(body.errors).map(([field, errs]) => `${field}: ${errs.map((e) => e.message).join(" ")}`);
          box.replaceChildren(el("p", `Fix the concept first: ${messages.join("; ")}`, { class: "form-error", id: "concept-preview-error" }));
          return;
        }
        if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
        const started = Date.now();
        for (;;) {
          const data = await getJSON(body.result_url);
          if (data.done) return showPreview(box, data);
          if ((Date.now() - started) / 1000 > 360) throw new Error("no answer from a worker; see the Operations page");
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      } catch (err) {
        box.replaceChildren(el("p", `Failed: ${err.message}`, { class: "form-error", id: "concept-preview-error" }));
      } finally {
        button.disabled = false;
      }
    });
  }

  function initConfirmations() {
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  function init() {
    document.querySelectorAll("[data-ops-live-status]").forEach(initLiveStatus);
    const dashboard = document.getElementById("ops-dashboard");
    if (dashboard) initDashboard(dashboard);
    const settingsForm = document.getElementById("ai-settings-form");
    if (settingsForm) initBackendOptions(settingsForm);
    const sample = document.getElementById("sample-test");
    if (sample && settingsForm) initSampleTest(sample, settingsForm);
    const preview = document.getElementById("concept-preview");
    const conceptForm = document.getElementById("concept-form");
    if (preview && conceptForm) initConceptPreview(preview, conceptForm);
    initConcurrency();
    initConfirmations();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
