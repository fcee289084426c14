//! Headless Chromium through chromedriver (Debian's `chromium` and `chromium-driver`), one
//! browser at a time: the machines have two cores and each browser wants them both.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// Each test has its own runtime; tokio's mutex is runtime-agnostic and may be held across
/// awaits.
static ONE_BROWSER_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session; call [`Browser::close`] at the end of the test.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Whether the page may run scripts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scripts {
    /// Normal browsing.
    Enabled,
    /// JavaScript off, as in a locked-down mail client.
    Disabled,
}

impl Browser {
    /// Builds the single file of `input` as `report.html` in `dir` (the build must succeed)
    /// and opens it in a new browser, ready.
    pub async fn open_single_file(input: &std::path::Path, dir: &std::path::Path) -> Browser {
        let report = dir.join("report.html");
        let outcome = super::runlens([
            "build",
            input.to_str().unwrap(),
            "--single-file",
            report.to_str().unwrap(),
        ]);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let browser = Browser::start(Scripts::Enabled).await;
        browser
            .client
            .goto(&super::file_url(&report))
            .await
            .unwrap();
        browser.wait_ready().await.expect("the report starts");
        browser
    }

    /// Scrolls the runs table sideways, half a view at a time from the left edge, until a
    /// header whose text contains `text` is in the page (the table renders only the
    /// columns in view); false when none is, at the right edge.
    pub async fn bring_header(&self, text: &str) -> bool {
        self.client
            .execute_async(
                "const [text, done] = arguments;
                 const table = document.getElementById('rl-runs');
                 const wrap = table.closest('.rl-table-wrap');
                 const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
                 const found = () => [...table.querySelectorAll('thead th[data-sort]')]
                   .some((th) => th.textContent.includes(text));
                 (async () => {
                   for (let x = 0; ; x += Math.max(100, wrap.clientWidth / 2)) {
                     wrap.scrollLeft = x;
                     await frame();
                     await frame();
                     if (found()) return done(true);
                     if (x >= wrap.scrollWidth) return done(false);
                   }
                 })();",
                vec![json!(text)],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot scroll the table: {e}"))
            == json!(true)
    }

    /// Starts chromedriver and a headless Chromium with a fresh profile.
    pub async fn start(scripts: Scripts) -> Browser {
        let turn = ONE_BROWSER_AT_A_TIME.lock().await;
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "browser tests need {CHROMEDRIVER} and {CHROMIUM}: apt-get install -y chromium chromium-driver"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut prefs = json!({});
        if scripts == Scripts::Disabled {
            prefs = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--enable-unsafe-swiftshader", "--window-size=1400,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": prefs,
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("connect to chromedriver");
        Browser {
            client,
            driver,
            _profile: profile,
            _turn: turn,
        }
    }

    /// Runs `script` (a function body; `return` gives the result) in the page.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until the app reports ready (or an error), and returns the error text if any.
    pub async fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let state = self
                .js("const e = document.getElementById('rl-error');
                     if (e && !e.hidden) return 'error:' + e.textContent;
                     return document.documentElement.getAttribute('data-rl-ready') === '1' ? 'ready' : 'wait';")
                .await;
            match state.as_str() {
                Some("ready") => return Ok(()),
                Some(s) if s.starts_with("error:") => return Err(s.to_string()),
                _ if Instant::now() > deadline => {
                    // What the page was doing, to tell a hang from a slow start.
                    let seen = self
                        .js("const marks = performance.getEntriesByType('mark').map(m => m.name);
                             const loads = performance.getEntriesByType('resource')
                                 .map(r => r.name.split('/').pop() + (r.responseEnd ? '' : ' (pending)'));
                             return { readyState: document.readyState, plotly: !!window.Plotly,
                                      marks, loads,
                                      busy: [...document.querySelectorAll('[aria-busy=true]')].map(e => e.id || e.className) };")
                        .await;
                    return Err(format!("timed out waiting for the app: {seen}"));
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// The element with id `id` (a test failure when there is none).
    pub async fn by_id(&self, id: &str) -> fantoccini::elements::Element {
        self.client
            .find(fantoccini::Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("no element #{id}: {e}"))
    }

    /// Clicks the element with id `id` as a user would (through WebDriver).
    pub async fn click_id(&self, id: &str) {
        self.by_id(id)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click #{id}: {e}"));
    }

    /// Chooses `value` in the `<select id=id>` as a user would (the value may hold any
    /// text, so it is set from a script argument rather than through a CSS selector) and
    /// fires `change`.
    pub async fn choose(&self, id: &str, value: &str) {
        let chosen = self
            .client
            .execute(
                "const select = document.getElementById(arguments[0]);
                 const option = [...select.options].find(o => o.value === arguments[1]);
                 if (!option) return false;
                 select.value = arguments[1];
                 select.dispatchEvent(new Event('change', { bubbles: true }));
                 return true;",
                vec![json!(id), json!(value)],
            )
            .await
            .unwrap();
        assert_eq!(chosen, json!(true), "#{id} offers {value:?}");
    }

    /// Polls `condition` (a JS expression) until it is true or 30 s pass.
    pub async fn wait_for(&self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.js(&format!("return Boolean({condition});")).await == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for: {condition}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The browser console entries at level SEVERE since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let entries = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("read browser log");
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Runs the Chrome DevTools command `cmd` with `params` (through chromedriver's
    /// `goog/cdp/execute`) and returns its result.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp {
                cmd: cmd.to_string(),
                params,
            })
            .await
            .unwrap_or_else(|e| panic!("DevTools command {cmd} failed: {e}"))
    }

    /// Lays the page out `width` CSS pixels wide (and `height` high), as a phone or a
    /// desktop window would, and with the system's dark theme when `dark`
    /// (`prefers-color-scheme`). An open page follows a change of theme (its charts are
    /// drawn again).
    pub async fn emulate(&self, width: u32, height: u32, dark: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        let scheme = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )
        .await;
    }

    /// Saves a PNG of the viewport as `<dir>/<name>.png` when `RUNLENS_SCREENSHOTS` names a
    /// folder (for looking at the page; nothing is asserted on the picture).
    pub async fn screenshot_if_asked(&self, name: &str) {
        let Some(dir) = std::env::var_os("RUNLENS_SCREENSHOTS").filter(|d| !d.is_empty()) else {
            return;
        };
        let png = self.client.screenshot().await.expect("take a screenshot");
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("make the screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write the screenshot");
    }

    /// The address's fragment, without `#`, once the page wrote the last view into it
    /// (the page writes it when idle: an idle callback asked for now runs after its own).
    pub async fn fragment(&self) -> String {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestIdleCallback(() => done(0), { timeout: 2000 });",
                vec![],
            )
            .await
            .unwrap();
        let url = self.client.current_url().await.unwrap();
        url.fragment().unwrap_or_default().to_string()
    }

    /// Clicks `#button_id` and returns the text of the file it downloads (a blob handed to
    /// `URL.createObjectURL`).
    pub async fn download_text(&self, button_id: &str) -> String {
        let text = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const original = URL.createObjectURL;
                 URL.createObjectURL = blob => { blob.text().then(done); return original(blob); };
                 document.getElementById(arguments[0]).click();",
                vec![json!(button_id)],
            )
            .await
            .unwrap_or_else(|e| panic!("no download from #{button_id}: {e}"));
        text.as_str().unwrap_or_default().to_string()
    }

    /// Clicks `#button_id` and returns the link it downloads through: `{name, href}` (the
    /// `download` name and the first 30 characters of the address).
    pub async fn download_link(&self, button_id: &str) -> Value {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 HTMLAnchorElement.prototype.click = function () {
                     done({ name: this.getAttribute('download'), href: this.href.slice(0, 30) });
                 };
                 document.getElementById(arguments[0]).click();",
                vec![json!(button_id)],
            )
            .await
            .unwrap_or_else(|e| panic!("no download from #{button_id}: {e}"))
    }

    /// Checks the console stayed clean and ends the session.
    pub async fn finish(self) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        self.close().await;
    }

    /// Runs `script` in every document this session loads from now on, before the page's
    /// own scripts (Chrome DevTools `Page.addScriptToEvaluateOnNewDocument`; the page's CSP
    /// does not apply to it).
    pub async fn on_new_document(&self, script: &str) {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": script }),
        )
        .await;
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// chromedriver's (non-W3C) log endpoint: `POST /session/{id}/se/log {"type":"browser"}`.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

/// chromedriver's DevTools endpoint: `POST /session/{id}/goog/cdp/execute
/// {"cmd": ..., "params": ...}`.
#[derive(Debug)]
struct Cdp {
    cmd: String,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Page script defining `coloured(url)`: a promise of the number of coloured pixels
/// (not grey: the largest and smallest channel over 40 apart) in the image at `url`, for
/// checking that a downloaded chart image holds its marks (axes and text are grey).
pub const COLOURED_PIXELS: &str = "const coloured = url => new Promise(resolve => {
        const img = new Image();
        img.onload = () => {
            const c = document.createElement('canvas');
            c.width = img.width; c.height = img.height;
            const ctx = c.getContext('2d');
            ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) {
                if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40) n++;
            }
            resolve(n);
        };
        img.src = url;
    });";
