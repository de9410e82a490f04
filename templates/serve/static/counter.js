// The counter's little JavaScript: results as you type (with arrow keys and Enter), options that
// apply on change, and the --watch reload. Every page works without it. Text from the server is
// set with textContent, never parsed as HTML.
"use strict";

(function () {
  function searchBox() {
    var input = document.getElementById("q");
    var list = document.getElementById("results");
    if (!input || !list) return;
    var active = -1;
    var timer = null;
    var asked = 0;

    function items() { return list.querySelectorAll("li"); }

    function select(index) {
      var all = items();
      if (!all.length) { active = -1; input.removeAttribute("aria-activedescendant"); return; }
      active = (index + all.length) % all.length;
      all.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function show(results) {
      list.replaceChildren();
      var none = document.getElementById("no-results");
      if (none) none.remove();
      results.forEach(function (result, i) {
        var item = document.createElement("li");
        item.setAttribute("role", "option");
        item.id = "result-" + (i + 1);
        item.setAttribute("aria-selected", "false");
        var link = document.createElement("a");
        link.href = result.url;
        link.textContent = result.title;
        link.tabIndex = -1;
        item.appendChild(link);
        list.appendChild(item);
      });
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      var nothing = document.getElementById("no-results-text");
      if (!results.length && input.value.trim() && nothing) {
        var message = nothing.content.firstElementChild.cloneNode(true);
        message.id = "no-results";
        list.after(message);
      }
      active = -1;
      if (results.length) select(0);
    }

    function ask() {
      var text = input.value;
      var number = ++asked;
      if (!text.trim()) { show([]); return; }
      fetch("/api/search?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) { if (number === asked) show(data.results); })
        .catch(function () {});
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 60);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); select(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); select(active - 1); }
      else if (event.key === "Enter" && active >= 0 && items()[active]) {
        event.preventDefault();
        window.location.assign(items()[active].querySelector("a").href);
      } else if (event.key === "Escape") { input.value = ""; show([]); }
    });
    if (items().length) select(0);
  }

  function optionsApplyOnChange() {
    var form = document.querySelector("form.options");
    if (!form || !form.closest(".leaflet-page")) return;
    form.addEventListener("change", function (event) {
      // A new language cannot also be the second language of a bilingual copy.
      var second = form.elements.namedItem("bilingual");
      if (event.target.name === "lang" && second && second.value.toLowerCase() === event.target.value.toLowerCase()) {
        second.value = "";
      }
      form.submit();
    });
  }

  function reloadOnChange() {
    var page = document.querySelector(".leaflet-page");
    if (!document.body.dataset.watch || !page || !window.EventSource) return;
    // The page shows the entry or one of its translations, maybe with another alongside: any of them counts.
    var family = page.dataset.leafletFamily ? JSON.parse(page.dataset.leafletFamily) : [page.dataset.leafletId];
    var events = new EventSource("/events");
    events.addEventListener("changed", function (event) {
      var ids = JSON.parse(event.data);
      var ours = family.some(function (id) { return ids.indexOf(id) !== -1; });
      if (ids.indexOf("*") === -1 && !ours) return;
      var typed = Array.prototype.some.call(
        document.querySelectorAll("#patient-form input[type=text], #patient-form textarea"),
        function (field) { return field.value !== ""; });
      if (!typed) { window.location.reload(); return; }
      // Keep what was typed: only the page images are fetched again.
      document.querySelectorAll(".preview img").forEach(function (image) {
        var url = new URL(image.src);
        url.searchParams.set("v", String(Date.now()));
        image.src = url.toString();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    searchBox();
    optionsApplyOnChange();
    reloadOnChange();
  });
})();
