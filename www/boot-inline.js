// Starts the single-file report. This text is appended to the inlined wasm-bindgen glue, in
// the same module, so `__wbg_init` and `run` are the glue's own declarations. The wasm is
// inlined as base64 of its gzip form and inflated by the browser (no fetch: works offline
// and from file://). plotly.js, an inline classic script before this module, has already run.
{
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
  try {
    const text = document.getElementById("rl-wasm").textContent.trim();
    const packed = Uint8Array.fromBase64
      ? Uint8Array.fromBase64(text)
      : Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    await __wbg_init({ module_or_path: bytes });
    await run();
  } catch (error) {
    showError(error);
  }
}
