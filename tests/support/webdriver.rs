//! A minimal W3C `WebDriver` client for the browser tests: `chromedriver` as a child process, and
//! the few commands a test needs, as JSON over plain HTTP/1.1 on loopback. No TLS, no async, no
//! extra dependencies: a test that fails should fail on the page, not in its driver.
#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module"
)]

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `chromium` package puts the browser; without it, chromedriver looks for Chrome
/// in its usual places.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The variable that turns a missing browser into a failure instead of a skip (CI sets it).
pub(crate) const REQUIRE: &str = "JOBS_TEST_REQUIRE_BROWSER";

/// A port on loopback that nothing listened on a moment ago.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("binding a free loopback port")
        .port()
}

/// What a `WebDriver` command answered instead of a value: the error code (`no such element`,
/// `stale element reference`, …) and its message.
#[derive(Debug, Clone)]
pub(crate) struct WebDriverError {
    pub(crate) error: String,
    pub(crate) message: String,
}

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

impl WebDriverError {
    /// Whether waiting may cure it: the element is not there yet, or the page replaced it.
    fn transient(&self) -> bool {
        matches!(
            self.error.as_str(),
            "no such element" | "stale element reference" | "element not interactable"
        )
    }
}

pub(crate) type Result<T> = std::result::Result<T, WebDriverError>;

/// A headless Chromium driven through its own `chromedriver`; both end when this is dropped.
pub(crate) struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

/// An element of the page, as the browser names it.
#[derive(Debug, Clone)]
pub(crate) struct Element(String);

/// The key `WebDriver` uses for element references in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    /// Starts `chromedriver` and a headless Chromium session with a 1400×1000 window.
    ///
    /// `None` when `chromedriver` is not installed: the test is skipped with a message saying
    /// so, unless [`REQUIRE`] is set, and then it panics. Any other failure panics.
    pub(crate) fn start(test: &str) -> Option<Self> {
        let port = free_port();
        let driver = match Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(driver) => driver,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    std::env::var_os(REQUIRE).is_none(),
                    "{test}: `chromedriver` is not installed (Debian: `apt-get install chromium \
                     chromium-driver`), and {REQUIRE} is set"
                );
                eprintln!(
                    "SKIPPED {test}: `chromedriver` is not installed (Debian: `apt-get install \
                     chromium chromium-driver`); set {REQUIRE} to make this a failure"
                );
                return None;
            }
            Err(error) => panic!("{test}: cannot start chromedriver: {error}"),
        };
        let mut browser = Self {
            driver,
            port,
            session: String::new(),
        };
        browser.wait_for_driver();
        let mut options = json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1400,1000",
                "--hide-scrollbars",
            ],
        });
        if Path::new(CHROMIUM).exists() {
            options["binary"] = json!(CHROMIUM);
        }
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": options,
                },
            },
        });
        let session = browser
            .command("POST", "/session", &capabilities)
            .unwrap_or_else(|error| panic!("{test}: chromedriver started no browser: {error}"));
        let Some(id) = session["sessionId"].as_str() else {
            panic!("{test}: no session id in {session}");
        };
        browser.session = String::from(id);
        Some(browser)
    }

    /// Waits until chromedriver answers that it is ready, or its process has died.
    fn wait_for_driver(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(status) = self.command("GET", "/status", &Value::Null) {
                if status["ready"] == json!(true) {
                    return;
                }
            }
            if let Ok(Some(exit)) = self.driver.try_wait() {
                panic!("chromedriver exited at start with {exit}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver was not ready on port {} within 20 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One `WebDriver` command; `body` is sent unless it is `null`. Answers the response's `value`.
    fn command(&self, method: &str, path: &str, body: &Value) -> Result<Value> {
        let transport = |message: String| WebDriverError {
            error: "transport".to_owned(),
            message,
        };
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .map_err(|error| transport(format!("connecting to chromedriver: {error}")))?;
        // Generous: a new session starts a browser, and a loaded machine is slow to.
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|error| transport(error.to_string()))?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
             Content-Type: application/json; charset=utf-8\r\nContent-Length: {length}\r\n\r\n{body}",
            port = self.port,
            length = body.len(),
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|error| transport(format!("{method} {path}: {error}")))?;
        let (status, body) = read_response(&mut stream)
            .map_err(|error| transport(format!("{method} {path}: {error}")))?;
        let value: Value = serde_json::from_slice(&body).map_err(|error| {
            transport(format!(
                "{method} {path}: answered {status} with no JSON ({error}): {}",
                String::from_utf8_lossy(&body)
            ))
        })?;
        let value = value.get("value").cloned().unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(value)
        } else {
            Err(WebDriverError {
                error: value["error"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_owned(),
                message: value["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            })
        }
    }

    fn session_command(&self, method: &str, path: &str, body: &Value) -> Result<Value> {
        self.command(method, &format!("/session/{}{path}", self.session), body)
    }

    /// Opens `url` and waits until it has loaded.
    pub(crate) fn goto(&self, url: &str) -> Result<()> {
        self.session_command("POST", "/url", &json!({ "url": url }))
            .map(drop)
    }

    /// The first element matching the CSS selector.
    pub(crate) fn find(&self, css: &str) -> Result<Element> {
        let value = self.session_command(
            "POST",
            "/element",
            &json!({ "using": "css selector", "value": css }),
        )?;
        Ok(element(&value))
    }

    /// Every element matching the CSS selector, in document order.
    pub(crate) fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let value = self.session_command(
            "POST",
            "/elements",
            &json!({ "using": "css selector", "value": css }),
        )?;
        Ok(value
            .as_array()
            .map(|elements| elements.iter().map(element).collect())
            .unwrap_or_default())
    }

    /// Clicks the element as a user would (scrolled into view, at its centre).
    pub(crate) fn click(&self, element: &Element) -> Result<()> {
        self.session_command("POST", &format!("/element/{}/click", element.0), &json!({}))
            .map(drop)
    }

    /// Types `text` into the element.
    pub(crate) fn send_keys(&self, element: &Element, text: &str) -> Result<()> {
        self.session_command(
            "POST",
            &format!("/element/{}/value", element.0),
            &json!({ "text": text }),
        )
        .map(drop)
    }

    /// The element's rendered text.
    pub(crate) fn text(&self, element: &Element) -> Result<String> {
        let value =
            self.session_command("GET", &format!("/element/{}/text", element.0), &Value::Null)?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// The element's attribute, `None` when it has none.
    pub(crate) fn attribute(&self, element: &Element, name: &str) -> Result<Option<String>> {
        let value = self.session_command(
            "GET",
            &format!("/element/{}/attribute/{name}", element.0),
            &Value::Null,
        )?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Runs `script` as a function body in the page, with `args` as `arguments`; answers what it
    /// returns.
    pub(crate) fn execute(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.session_command(
            "POST",
            "/execute/sync",
            &json!({ "script": script, "args": args }),
        )
    }

    /// Resizes the window.
    pub(crate) fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.session_command(
            "POST",
            "/window/rect",
            &json!({ "width": width, "height": height }),
        )
        .map(drop)
    }

    /// Saves what the window shows as a PNG file.
    pub(crate) fn screenshot(&self, path: &Path) -> Result<PathBuf> {
        let value = self.session_command("GET", "/screenshot", &Value::Null)?;
        let png =
            base64_decode(value.as_str().unwrap_or_default()).ok_or_else(|| WebDriverError {
                error: "transport".to_owned(),
                message: "the screenshot is not base64".to_owned(),
            })?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("creating the screenshot's directory");
        }
        std::fs::write(path, png).expect("writing the screenshot");
        Ok(path.to_owned())
    }

    /// Polls `check` until it answers `Some`, for at most `limit`; then panics, saying what was
    /// awaited and what `check` last saw. An element that is not there yet, or that the page has
    /// just replaced, counts as not yet.
    pub(crate) fn wait_for<T>(
        &self,
        what: &str,
        limit: Duration,
        mut check: impl FnMut(&Self) -> Result<Option<T>>,
    ) -> T {
        let started = Instant::now();
        let mut last;
        loop {
            match check(self) {
                Ok(Some(value)) => return value,
                Ok(None) => last = "not yet".to_owned(),
                Err(error) if error.transient() => last = error.to_string(),
                Err(error) => panic!("waiting for {what}: {error}"),
            }
            assert!(
                started.elapsed() < limit,
                "waited {limit:?} for {what}; last seen: {last}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Clicks the first element matching `css`, waiting up to `limit` for it to be there (a
    /// refresh of the page may replace it between finding and clicking).
    pub(crate) fn click_css(&self, css: &str, limit: Duration) {
        self.wait_for(&format!("`{css}` to click"), limit, |browser| {
            let element = browser.find(css)?;
            browser.click(&element)?;
            Ok(Some(()))
        });
    }

    /// The text of the first element matching `css`, once it satisfies `accept`.
    pub(crate) fn text_of(
        &self,
        css: &str,
        limit: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> String {
        let mut seen = String::new();
        self.wait_for(&format!("the text of `{css}`"), limit, |browser| {
            seen = browser.text(&browser.find(css)?)?;
            Ok(accept(&seen).then(|| seen.clone()))
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.command(
                "DELETE",
                &format!("/session/{}", self.session),
                &Value::Null,
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn element(value: &Value) -> Element {
    Element(
        value[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element reference in {value}"))
            .to_owned(),
    )
}

/// Reads one HTTP response: its status and body. chromedriver answers `Connection: close` but
/// keeps the connection open, so the body is read by its `Content-Length`, not to the end.
fn read_response(stream: &mut TcpStream) -> std::io::Result<(u16, Vec<u8>)> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end;
        }
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Err(invalid("the connection closed before the response's head"));
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let mut body = buffer.split_off(end + 4);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    if let Some(length) = header("content-length") {
        let length: usize = length.parse().map_err(|_| invalid("bad Content-Length"))?;
        while body.len() < length {
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                return Err(invalid("the connection closed in the middle of the body"));
            }
            body.extend_from_slice(&chunk[..read]);
        }
        body.truncate(length);
    } else {
        // No length: the body ends with the connection (or a chunked body's last chunk).
        let chunked = header("transfer-encoding").is_some_and(|value| value.contains("chunked"));
        while !(chunked && body.ends_with(b"0\r\n\r\n")) {
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..read]);
        }
        if chunked {
            body = dechunk(&body);
        }
    }
    Ok((status, body))
}

/// The body of a `Transfer-Encoding: chunked` response.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|window| window == b"\r\n") {
        let size = String::from_utf8_lossy(&body[..end]);
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        body = &body[end + 2..];
        if size == 0 || size > body.len() {
            break;
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or_default();
    }
    out
}

/// Standard base64 with padding, as `WebDriver` sends screenshots.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn sextet(byte: u8) -> Option<u32> {
        Some(u32::from(match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|byte| !byte.is_ascii_whitespace() && *byte != b'=')
        .collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut bits = 0u32;
        for (i, &byte) in chunk.iter().enumerate() {
            bits |= sextet(byte)? << (18 - 6 * i);
        }
        let [_, a, b, c] = bits.to_be_bytes();
        out.extend_from_slice(&[a, b, c][..chunk.len().saturating_sub(1)]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert_eq!(base64_decode("").unwrap(), b"");
        assert!(base64_decode("a?==").is_none());
    }
}
