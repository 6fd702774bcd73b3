// Clinic app behaviour: players that start at the doubtful moment, seek links, review shortcuts.
// Plain JavaScript, no build step; htmx does the requests.
(function () {
  "use strict";

  function playerNear(element) {
    const box = element.closest("[data-player]");
    if (box) return document.getElementById(box.dataset.player);
    const item = element.closest(".review-item, main");
    return item ? item.querySelector("audio") : null;
  }

  function playFrom(audio, seconds) {
    if (!audio) return;
    const go = function () { audio.currentTime = seconds; audio.play().catch(function () {}); };
    if (audio.readyState >= 1) { go(); } else {
      audio.preload = "auto";
      audio.addEventListener("loadedmetadata", go, { once: true });
      audio.load();
    }
  }

  function startOf(audio) { return parseFloat(audio.dataset.start || "0") || 0; }

  // A player whose track was doubted somewhere starts there, not at 0:00.
  document.addEventListener("loadedmetadata", function (event) {
    const audio = event.target;
    if (audio.tagName === "AUDIO" && !audio.dataset.positioned) {
      audio.dataset.positioned = "1";
      if (audio.currentTime === 0 && startOf(audio) > 0) audio.currentTime = startOf(audio);
    }
  }, true);

  document.addEventListener("click", function (event) {
    const seek = event.target.closest("[data-seek], .strip-voice");
    if (seek) {
      event.preventDefault();
      const at = parseFloat(seek.dataset.seek || seek.dataset.start || "0");
      playFrom(playerNear(seek), at);
      return;
    }
    const play = event.target.closest("[data-play]");
    if (play) {
      const audio = document.getElementById(play.dataset.play);
      if (audio && !audio.paused) { audio.pause(); return; }
      if (audio) playFrom(audio, audio.dataset.positioned && audio.currentTime > 0 ? audio.currentTime : startOf(audio));
      return;
    }
    const strip = event.target.closest("svg.strip");
    if (strip) {
      const box = strip.getBoundingClientRect();
      const fraction = (event.clientX - box.left) / box.width;
      playFrom(playerNear(strip), fraction * parseFloat(strip.dataset.duration || "0"));
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") return;
    const voice = event.target.closest && event.target.closest(".strip-voice");
    if (voice) { event.preventDefault(); voice.dispatchEvent(new MouseEvent("click", { bubbles: true })); }
  });

  // Review queue shortcuts.
  function items() { return Array.from(document.querySelectorAll(".review-item")); }
  function current() { return document.querySelector(".review-item.current") || items()[0]; }
  function select(item) {
    items().forEach(function (other) { other.classList.remove("current"); });
    if (!item) return;
    item.classList.add("current");
    item.scrollIntoView({ block: "nearest" });
  }
  function move(step) {
    const all = items();
    const index = all.indexOf(current());
    select(all[Math.min(all.length - 1, Math.max(0, index + step))]);
  }
  function press(selector) {
    const item = current();
    const button = item && item.querySelector(selector);
    if (button) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (document.body.dataset.page !== "review") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest("input, textarea, select");
    if (typing) { if (event.key === "Escape") event.target.blur(); return; }
    const item = current();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "p": press("[data-play]"); break;
      case "a": press("button.approve"); break;
      case "b": press("button.ban"); break;
      case "c": { const sel = item && item.querySelector("select.category"); if (sel) sel.focus(); break; }
      case "n": { const note = item && item.querySelector("input.note"); if (note) note.focus(); event.preventDefault(); break; }
      case "u": {
        // the decision made last on this page, else the newest in the list of latest decisions
        const last = lastDecided && document.getElementById(lastDecided);
        const undo = (last && last.querySelector(".undo button")) || document.querySelector(".recent .undo button");
        if (undo) undo.click();
        break;
      }
      default: return;
    }
  });

  // After a decision replaces an item, move on to the next one still waiting.
  let lastDecided = null;  // id of the queue item decided last (ids survive the swap)
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    const item = form && form.closest && form.closest(".review-item");
    if (item && form.classList.contains("decide")) lastDecided = item.id;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (document.body.dataset.page !== "review") return;
    const now = document.querySelector(".review-item.current");
    if (!now || now.classList.contains("decided")) {
      select(items().find(function (item) { return !item.classList.contains("decided"); }));
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.dataset.page === "review") select(items()[0]);
    const back = document.querySelector("[data-back]");
    if (back) back.addEventListener("click", function (event) { event.preventDefault(); history.back(); });
  });
})();
