// Item grids (album, search, tags): badges of pending and processing items follow
// their item's status without a reload, like the item page does.
(function () {
  "use strict";

  const INTERVAL_MS = 4000;
  const PER_ROUND = 8; // a page of 48 waiting items costs 8 small requests every 4 s
  const WAITING = new Set(["pending", "processing"]);
  const LABELS = { pending: "Pending", processing: "Processing", completed: "Completed", failed: "Failed" };
  let timer = null;
  let next = 0;

  function waitingCards() {
    return Array.from(document.querySelectorAll(".item-card[data-status-url]")).filter((card) => {
      const badge = card.querySelector(".badge");
      return badge && WAITING.has(badge.dataset.status);
    });
  }

  function show(card, status) {
    const badge = card.querySelector(".badge");
    if (badge.dataset.status === status) return;
    badge.classList.remove(`badge-${badge.dataset.status}`);
    badge.classList.add(`badge-${status}`);
    badge.dataset.status = status;
    badge.textContent = LABELS[status] || status;
  }

  async function refresh(card) {
    const response = await fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" } });
    if (response.ok) show(card, (await response.json()).status);
  }

  async function round() {
    timer = null;
    const cards = waitingCards();
    if (!cards.length) return;
    const batch = [];
    for (let i = 0; i < Math.min(PER_ROUND, cards.length); i += 1) batch.push(cards[(next + i) % cards.length]);
    next += batch.length;
    await Promise.allSettled(batch.map(refresh));
    schedule();
  }

  function schedule() {
    if (timer === null && waitingCards().length) timer = setTimeout(round, INTERVAL_MS);
  }

  document.addEventListener("items-added", schedule); // upload.js added cards
  schedule();
})();
