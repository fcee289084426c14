//! Builds the report's WebAssembly module: compiles `runlens-web` for
//! `wasm32-unknown-unknown` in its own target directory, runs wasm-bindgen (as a library,
//! `--target web` glue) and, when a recent `wasm-opt` is on PATH, shrinks the module.
//! The results land in `OUT_DIR` and are embedded with `include_bytes!`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const WASM_PROFILE: &str = "wasm-release";
/// Oldest binaryen whose output wasm-bindgen's externref tables survive (108 breaks them).
const MIN_WASM_OPT_VERSION: u32 = 116;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .parent()
        .and_then(Path::parent)
        .expect("crates/runlens-site lives two levels below the workspace root")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));

    for watched in [
        "crates/runlens-web/src",
        "crates/runlens-web/Cargo.toml",
        "crates/runlens-core/src",
        "crates/runlens-core/Cargo.toml",
        "Cargo.lock",
    ] {
        println!(
            "cargo::rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo::rerun-if-env-changed=RUNLENS_WASM_OPT");
    println!("cargo::rerun-if-env-changed=RUNLENS_WASM_NAMES");

    ensure_wasm_target();
    let wasm = build_web_crate(&workspace);
    bindgen(&wasm, &out_dir);
    let module = out_dir.join("runlens_web_bg.wasm");
    strip_custom_sections(&module);
    optimize(&module);
}

/// Fails with the exact command to run when the wasm target is missing.
fn ensure_wasm_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| PathBuf::from(s.trim()));
    let installed = sysroot
        .map(|root| root.join("lib/rustlib").join(WASM_TARGET).exists())
        .unwrap_or(false);
    if !installed {
        panic!(
            "\n\nerror: the Rust target {WASM_TARGET} is not installed; the report page is \
             compiled to WebAssembly.\nhint: run `rustup target add {WASM_TARGET}` and build again.\n\n"
        );
    }
}

fn build_web_crate(workspace: &Path) -> PathBuf {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target_dir = workspace.join("target").join("wasm");
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "-p",
            "runlens-web",
            "--lib",
            "--target",
            WASM_TARGET,
        ])
        .args(["--profile", WASM_PROFILE])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's settings are not the wasm build's: drop wrappers (clippy-driver),
    // host flags and per-package variables cargo sets for this build script.
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_FEATURE_")
            || key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_PKG_")
            || matches!(
                key.as_str(),
                "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "RUSTFLAGS"
                    | "CARGO_ENCODED_RUSTFLAGS"
                    | "CARGO_BUILD_TARGET"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "OUT_DIR"
                    | "TARGET"
                    | "HOST"
                    | "PROFILE"
                    | "OPT_LEVEL"
                    | "DEBUG"
                    | "NUM_JOBS"
                    | "RUSTDOC"
                    | "CARGO_PRIMARY_PACKAGE"
            )
        {
            command.env_remove(&key);
        }
    }
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("could not start cargo to build the wasm module: {e}"));
    if !status.success() {
        panic!(
            "building the wasm module failed; run `cargo build -p runlens-web --target {WASM_TARGET} \
             --profile {WASM_PROFILE}` to see why"
        );
    }
    target_dir
        .join(WASM_TARGET)
        .join(WASM_PROFILE)
        .join("runlens_web.wasm")
}

fn bindgen(wasm: &Path, out_dir: &Path) {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .out_name("runlens_web")
        .typescript(false)
        .web(true)
        .expect("the web target is always available")
        .generate(out_dir)
        .unwrap_or_else(|e| panic!("wasm-bindgen failed on {}: {e:#}", wasm.display()));
}

/// Custom sections a browser never reads: function names (a quarter of the module; panics
/// already carry their messages) and toolchain metadata.
const DROPPED_CUSTOM_SECTIONS: [&str; 3] = ["name", "producers", "target_features"];

/// Rewrites the module without [`DROPPED_CUSTOM_SECTIONS`], copying every other section as is.
/// `RUNLENS_WASM_NAMES=1` keeps the function names, for profiles of the page
/// (`docs/benchmarks.md`).
fn strip_custom_sections(wasm: &Path) {
    let keep_names = env::var("RUNLENS_WASM_NAMES").as_deref() == Ok("1");
    let bytes = std::fs::read(wasm).unwrap_or_else(|e| panic!("read {}: {e}", wasm.display()));
    let mut module = wasm_encoder::Module::new();
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        let payload =
            payload.unwrap_or_else(|e| panic!("wasm-bindgen wrote an invalid module: {e}"));
        if let wasmparser::Payload::CustomSection(custom) = &payload
            && DROPPED_CUSTOM_SECTIONS.contains(&custom.name())
            && !(keep_names && custom.name() == "name")
        {
            continue;
        }
        if let Some((id, range)) = payload.as_section() {
            module.section(&wasm_encoder::RawSection {
                id,
                data: &bytes[range],
            });
        }
    }
    std::fs::write(wasm, module.finish())
        .unwrap_or_else(|e| panic!("write {}: {e}", wasm.display()));
}

/// Runs `wasm-opt -Oz` when a new enough one is available (`RUNLENS_WASM_OPT=0` turns it off).
fn optimize(wasm: &Path) {
    if env::var("RUNLENS_WASM_OPT").as_deref() == Ok("0") {
        return;
    }
    let version = Command::new("wasm-opt")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|text| {
            text.split_whitespace().find_map(|word| {
                word.trim_matches(|c: char| !c.is_ascii_digit())
                    .parse::<u32>()
                    .ok()
            })
        });
    match version {
        Some(v) if v >= MIN_WASM_OPT_VERSION => {
            let status = Command::new("wasm-opt")
                .arg("-Oz")
                .arg("--enable-bulk-memory")
                .arg("--enable-nontrapping-float-to-int")
                .arg("--enable-sign-ext")
                .arg("--enable-mutable-globals")
                .arg("--enable-reference-types")
                .arg(wasm)
                .arg("-o")
                .arg(wasm)
                .status();
            if !matches!(status, Ok(s) if s.success()) {
                println!("cargo::warning=wasm-opt failed; the unoptimized module is used");
            }
        }
        Some(v) => println!(
            "cargo::warning=wasm-opt version {v} is older than {MIN_WASM_OPT_VERSION} and is not used"
        ),
        None => {}
    }
}
