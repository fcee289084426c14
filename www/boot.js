// Starts the report in the multi-file site: load the wasm next to this file, then run the app.
import init, { run } from "./runlens_web.js";

const showError = (error) => {
  const box = document.getElementById("rl-error");
  if (box) {
    box.textContent = "The report could not start: " + (error && error.message ? error.message : String(error));
    box.hidden = false;
  }
  console.error(error);
};

try {
  await init({ module_or_path: new URL("./runlens_web_bg.wasm", import.meta.url) });
  await run();
} catch (error) {
  showError(error);
}
