// Starts the report in the multi-file site. The page loads this module and plotly.js
// `async` (and preloads the wasm and the run index), so the wasm compiles and the index
// downloads while plotly.js is fetched and evaluated and the page is still being parsed;
// the app waits for plotly.js only when it draws its first chart.
import init, { run } from "./runlens_web.js";

const showError = (error) => {
  // The pre-rendered table shows every row again (style.css).
  document.documentElement.setAttribute("data-rl-failed", "1");
  const box = document.getElementById("rl-error");
  if (box) {
    box.textContent = "The report could not start: " + (error && error.message ? error.message : String(error));
    box.hidden = false;
  }
  console.error(error);
};

const parsed = new Promise((resolve) => {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => resolve(), { once: true });
  } else {
    resolve();
  }
});

// Settles once plotly.js has run: at once, when its script (`#rl-plotly`) loads, or at the
// window's load event, which waits for every async script, loaded or failed (a failure
// that came before this module ran has no event left to listen to).
const plotly = new Promise((resolve, reject) => {
  const settle = () => (window.Plotly ? resolve() : reject(new Error("plotly.js could not be loaded")));
  if (window.Plotly || document.readyState === "complete") {
    settle();
    return;
  }
  document.getElementById("rl-plotly")?.addEventListener("load", () => resolve(), { once: true });
  window.addEventListener("load", settle, { once: true });
});
// The app reports a failure when it draws; until then the rejection is not unhandled.
plotly.catch(() => {});

try {
  await Promise.all([init({ module_or_path: new URL("./runlens_web_bg.wasm", import.meta.url) }), parsed]);
  await run(plotly);
} catch (error) {
  showError(error);
}
