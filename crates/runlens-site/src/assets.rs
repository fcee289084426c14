//! The files every report carries: the wasm module and its JS glue (built by `build.rs`),
//! plotly.js, the stylesheet (with the dark colours placed for the theme) and the small
//! bootstrap scripts from `www/`.

/// The wasm-bindgen `--target web` glue module.
pub const GLUE_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/runlens_web.js"));
/// The compiled report app.
pub const WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/runlens_web_bg.wasm"));
/// plotly.js 4.1.1, the minified "basic" distribution (npm `plotly.js-basic-dist-min`):
/// scatter, bar and pie traces only, 1.2 MB instead of 4.8 MB, and no WebGL code, so it
/// needs no `unsafe-eval` under the report's CSP.
pub const PLOTLY_JS: &str = include_str!("../../../www/vendor/plotly-basic.min.js");
/// The page's stylesheet, light colours.
pub const STYLE_CSS: &str = include_str!("../../../www/style.css");
/// The dark colours: custom-property declarations only, placed by [`style_css`].
pub const DARK_CSS: &str = include_str!("../../../www/dark.css");

/// The stylesheet for `theme`: the light one, and the dark colours under
/// `prefers-color-scheme: dark` (`auto`), on the root (`dark`), or not at all (`light`).
pub fn style_css(theme: crate::Theme) -> String {
    let tail = match theme {
        crate::Theme::Auto => {
            format!(
                "@media (prefers-color-scheme: dark) {{
:root {{
{DARK_CSS}}}
}}
"
            )
        }
        crate::Theme::Dark => format!(
            ":root {{
color-scheme: dark;
{DARK_CSS}}}
"
        ),
        crate::Theme::Light => ":root {
color-scheme: light;
}
"
        .to_string(),
    };
    format!(
        "{STYLE_CSS}
{tail}"
    )
}
/// Bootstrap of the multi-file site: imports the glue, loads the wasm by URL, starts the app.
pub const BOOT_JS: &str = include_str!("../../../www/boot.js");
/// Bootstrap of the single file: appended to the inlined glue; inflates the inlined wasm.
pub const BOOT_INLINE_JS: &str = include_str!("../../../www/boot-inline.js");

/// File name of the glue in the multi-file site (the boot script imports it by this name).
pub const GLUE_FILE: &str = "runlens_web.js";
/// File name of the wasm module in the multi-file site.
pub const WASM_FILE: &str = "runlens_web_bg.wasm";
