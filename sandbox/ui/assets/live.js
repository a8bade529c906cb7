// SANDBOX TOOL — never part of src/. Keeps an open page of the sandbox's web view current:
// on each server-sent `change` event it fetches the page again and swaps its <main> in place
// (no reload), keeping open <details> blocks open and the scroll position where it was.
(() => {
  const badge = document.getElementById("live");
  const setBadge = (state, text) => {
    if (!badge) return;
    badge.dataset.state = state;
    badge.textContent = text;
  };
  let busy = false;
  let again = false;

  async function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const response = await fetch(location.href, { cache: "no-store" });
      const text = await response.text();
      const next = new DOMParser().parseFromString(text, "text/html");
      const main = document.getElementById("main");
      const incoming = next.getElementById("main");
      if (main && incoming && main.innerHTML !== incoming.innerHTML) {
        const open = new Set([...main.querySelectorAll("details")].map((node, index) => (node.open ? index : -1)));
        main.innerHTML = incoming.innerHTML;
        main.querySelectorAll("details").forEach((node, index) => {
          if (open.has(index)) node.open = true;
        });
        document.title = next.title;
      }
    } catch {
      // The next event tries again.
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  }

  const events = new EventSource("/events");
  events.addEventListener("hello", () => {
    setBadge("live", "● live");
    void refresh();
  });
  events.addEventListener("change", () => void refresh());
  events.addEventListener("error", () => setBadge("offline", "○ sandbox stopped"));
})();
