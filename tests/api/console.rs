//! The web console end to end, in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver: sign-in by mailed link and by token, a ticket
//! created and escalated by Tier 1, taken and resolved by Tier 2, read by the auditor, hidden
//! from another PD, and a form without its CSRF token refused. Set `SPBE_SCREENSHOTS` to a
//! directory to keep the pages' screenshots (docs/screenshots/ holds the committed ones).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, t0, TestApp};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or says why the browser tests cannot run here. CI installs the
/// browser (.ci/run), so there a missing one fails the test instead of skipping it.
fn driver() -> Option<Driver> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: no {CHROMIUM} / {CHROMEDRIVER} on this machine");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    Some(Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

/// A fresh browser: its own profile, so its own cookies.
async fn browser(d: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=id"],
        }),
    );
    let mut last = None;
    // chromedriver takes a moment to listen.
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&d.url)
            .await
        {
            Ok(c) => return c,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no WebDriver session: {last:?}");
}

/// Waits for an element; a missing one fails with the page it was missing from.
async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let source = c.source().await.unwrap_or_default();
            panic!("no {css} on {url}: {e}\n{source}");
        }
    }
}

async fn text(c: &Client, css: &str) -> String {
    element(c, css).await.text().await.expect("text")
}

async fn click(c: &Client, css: &str) {
    element(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Clicks something that loads a new page (a submit button, a link) and waits until the
/// old page is gone, so the next look is at the new one.
async fn navigate(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.expect("the page");
    click(c, css).await;
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("clicking {css} loaded no new page");
}

async fn fill(c: &Client, css: &str, value: &str) {
    element(c, css)
        .await
        .send_keys(value)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    if let Some(dir) = std::env::var_os("SPBE_SCREENSHOTS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

async fn sign_in_with_token(c: &Client, app: &TestApp, who: &str) {
    c.goto(&format!("{}/console/sign-in", app.base))
        .await
        .expect("goto");
    fill(c, "#token", app.token(who)).await;
    navigate(c, "#token-sign-in").await;
    // Signed in: the header offers to sign out.
    text(c, "#sign-out").await;
}

/// The bodies of the sign-in mails the outbox holds for `email`, oldest first.
async fn sign_in_mails(app: &TestApp, email: &str) -> Vec<String> {
    use spbe_desk::db::queries::outbox::{list, OutboxFilter};
    let db = app.state.app.db.clone();
    let email = email.to_ascii_lowercase();
    tokio::task::spawn_blocking(move || {
        let mut c = db.conn().expect("conn");
        let filter = OutboxFilter {
            recipient: Some(email),
            limit: 1_000,
            ..Default::default()
        };
        let mut rows = list(&mut c, &filter).expect("sign-in mails");
        rows.retain(|r| r.event == "sign_in");
        // `list` is newest first.
        rows.reverse();
        rows.into_iter().map(|r| r.body_text).collect()
    })
    .await
    .expect("join")
}

/// The link of the first sign-in mail to `email`.
async fn mailed_link(app: &TestApp, email: &str) -> String {
    let mails = sign_in_mails(app, email).await;
    let body = mails.first().expect("a sign-in mail in the outbox");
    body.lines()
        .find(|l| l.contains("/console/sign-in/link?code="))
        .expect("a link in the mail")
        .trim()
        .to_string()
}

#[actix_web::test]
async fn the_console_carries_a_ticket_from_tier_1_to_resolution() {
    let Some(d) = driver() else { return };
    let app = spawn_app().await;
    let me = app
        .send("GET", "/api/v1/me", Some("TECH_DUKCAPIL"), None)
        .await
        .expect(200);
    let tech_email = me["email"].as_str().expect("email").to_string();

    // Tier 1 signs in with a mailed link.
    let tech = browser(&d).await;
    tech.goto(&format!("{}/console/queue", app.base))
        .await
        .expect("goto");
    // Not signed in: the queue sends the browser to the sign-in page.
    assert!(tech
        .current_url()
        .await
        .expect("url")
        .path()
        .ends_with("/console/sign-in"));
    fill(&tech, "#email", &tech_email).await;
    navigate(&tech, "#send-link").await;
    assert!(!text(&tech, "#notice").await.is_empty());
    let link = mailed_link(&app, &tech_email).await;
    assert!(link.starts_with(&app.state.app.settings.mail.desk_url));
    let path = &link[link.find("/console/").expect("path")..];
    tech.goto(&format!("{}{path}", app.base))
        .await
        .expect("goto link");
    navigate(&tech, "#use-link").await;
    text(&tech, "#sign-out").await;
    // The link lands where the user was going.
    assert_eq!(
        tech.current_url().await.expect("url").path(),
        "/console/queue"
    );

    // ...creates a critical incident (the matrix shows the priority)...
    tech.goto(&format!("{}/console/tickets/new", app.base))
        .await
        .expect("goto");
    fill(&tech, "#title", "Server cetak KTP mati").await;
    fill(
        &tech,
        "#description",
        "Loket 3 tidak bisa mencetak sejak pagi",
    )
    .await;
    click(&tech, "#impact-high").await;
    click(&tech, "#urgency-high").await;
    fill(&tech, "#reporter_name", "Budi").await;
    navigate(&tech, "#create").await;
    let number = text(&tech, "#ticket-number").await;
    assert!(number.starts_with("SD-"), "{number}");
    let ticket_url = tech.current_url().await.expect("url");
    let ticket_path = ticket_url.path().to_string();
    // ...and escalates it with a reason.
    click(&tech, "details.action:has(#escalate-text) summary").await;
    fill(&tech, "#escalate-text", "Perlu akses ke server pusat Dinas").await;
    navigate(&tech, "#do-escalate").await;
    assert!(text(&tech, "#ticket-tier").await.contains('2'));

    // A newer Tier 2 ticket with a later deadline: the queue sorts by deadline, not age,
    // so the critical one stays on top.
    app.clock.set(t0() + chrono::TimeDelta::minutes(5));
    let other = app
        .send("POST", "/api/v1/tickets", Some("TECH_DINKES"), Some(json!({
            "title": "Printer di loket lambat", "kind": "request", "impact": "low", "urgency": "low",
            "reporter": {"name": "Siti"}})))
        .await
        .expect(201);
    let other_id = other["id"].as_str().expect("id");
    app.send(
        "POST",
        &format!("/api/v1/tickets/{other_id}/escalate"),
        Some("TECH_DINKES"),
        Some(json!({"reason": "Perlu suku cadang dari Dinas"})),
    )
    .await
    .expect(200);

    // Tier 2: the critical ticket is at the top of the queue.
    let op = browser(&d).await;
    sign_in_with_token(&op, &app, "OPERATOR").await;
    op.goto(&format!("{}/console/queue", app.base))
        .await
        .expect("goto");
    let first = text(&op, "#queue-rows tr:first-child td:first-child").await;
    assert_eq!(first, number);
    let rows = op
        .find_all(Locator::Css("#queue-rows tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2, "both escalated tickets, nothing else");
    screenshot(&op, "console-queue").await;
    navigate(&op, "#queue-rows tr:first-child td:first-child a").await;
    navigate(&op, "#do-assign").await;
    let op_name = app
        .send("GET", "/api/v1/me", Some("OPERATOR"), None)
        .await
        .expect(200)["name"]
        .as_str()
        .expect("name")
        .to_string();
    assert_eq!(text(&op, "#ticket-assignee").await, op_name);
    navigate(&op, "#do-acknowledge").await;
    // The resolve form is folded away; open it and resolve.
    click(&op, "details.action:has(#resolve-text) summary").await;
    fill(
        &op,
        "#resolve-text",
        "Layanan cetak dipulihkan, driver printer diganti",
    )
    .await;
    navigate(&op, "#do-resolve").await;
    assert_eq!(text(&op, "#ticket-status").await, "Selesai ditangani");
    screenshot(&op, "console-ticket").await;

    // The auditor sees the whole timeline, opening the ticket by its number as the mail
    // notices link it.
    let auditor = browser(&d).await;
    sign_in_with_token(&auditor, &app, "AUDITOR").await;
    auditor
        .goto(&format!("{}/console/tickets/{number}", app.base))
        .await
        .expect("goto");
    let timeline = text(&auditor, "#timeline").await;
    for step in [
        "Dibuat",
        "Dieskalasi",
        "Ditugaskan",
        "Diterima",
        "Diselesaikan",
    ] {
        assert!(
            timeline.contains(step),
            "{step} missing from the timeline: {timeline}"
        );
    }
    assert!(timeline.contains("Perlu akses ke server pusat Dinas"));

    // A technician of another PD does not learn the ticket exists.
    let other_tech = browser(&d).await;
    sign_in_with_token(&other_tech, &app, "TECH_DINKES").await;
    other_tech
        .goto(&format!("{}{ticket_path}", app.base))
        .await
        .expect("goto");
    let h1 = text(&other_tech, "h1").await;
    assert!(h1.contains("404"), "{h1}");

    // The supervisor's dashboard.
    let sup = browser(&d).await;
    sign_in_with_token(&sup, &app, "SUPERVISOR").await;
    sup.goto(&format!("{}/console/dashboard", app.base))
        .await
        .expect("goto");
    assert_eq!(
        text(&sup, "#tier2-open").await,
        "1",
        "the Dinkes ticket is still open at Tier 2"
    );
    screenshot(&sup, "console-dashboard").await;

    // A form post without the CSRF token is refused and changes nothing, even with the
    // session's own cookie.
    let cookie = tech
        .get_named_cookie(spbe_desk::routes::console::SESSION_COOKIE)
        .await
        .expect("session cookie");
    let trail = format!(
        "/api/v1/tickets/{}/events",
        &ticket_path["/console/tickets/".len()..]
    );
    let before = app.get(&trail, "AUDITOR").await.expect(200);
    let mut res = app
        .client
        .post(format!("{}{ticket_path}/comment", app.base))
        .insert_header(("Cookie", format!("{}={}", cookie.name(), cookie.value())))
        .send_form(&[("body", "tanpa token")])
        .await
        .expect("post");
    assert_eq!(res.status().as_u16(), 403);
    let page = String::from_utf8(res.body().await.expect("body").to_vec()).expect("utf-8");
    assert!(page.contains("security token"), "{page}");
    let after = app.get(&trail, "AUDITOR").await.expect(200);
    assert_eq!(before["items"], after["items"]);

    for c in [tech, op, auditor, other_tech, sup] {
        c.close().await.expect("close browser");
    }
}

// ---- the console over plain HTTP: sessions, links, refusals ----

/// One answer of the console: status, the cookies it set, its headers and its page.
struct Answer {
    status: u16,
    cookies: Vec<String>,
    location: String,
    csp: String,
    body: String,
}

impl Answer {
    /// The value this answer set for a cookie.
    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or_default().to_string())
        })
    }

    /// The whole Set-Cookie line of a cookie (for its attributes).
    fn cookie_line(&self, name: &str) -> String {
        self.cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .cloned()
            .unwrap_or_default()
    }

    /// The value of a hidden form field.
    fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .map(|i| i + marker.len())
            .unwrap_or_else(|| panic!("no hidden {name} in {}", self.body));
        self.body[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

async fn console(
    app: &TestApp,
    method: &str,
    path: &str,
    cookies: &[(&str, &str)],
    form: Option<&[(&str, &str)]>,
    headers: &[(&str, &str)],
) -> Answer {
    let m = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
    // Redirects are what is being tested: not followed.
    let client = awc::Client::builder()
        .disable_redirects()
        .timeout(Duration::from_secs(30))
        .finish();
    let mut req = client.request(m, format!("{}{path}", app.base));
    if !cookies.is_empty() {
        let line: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        req = req.insert_header(("Cookie", line.join("; ")));
    }
    for h in headers {
        req = req.insert_header(*h);
    }
    let mut res = match form {
        Some(f) => req.send_form(&f),
        None => req.send(),
    }
    .await
    .expect("sent");
    let header = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (location, csp) = (header("location"), header("content-security-policy"));
    let cookies = res
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let body = String::from_utf8_lossy(&res.body().limit(1 << 22).await.expect("body")).to_string();
    Answer {
        status: res.status().as_u16(),
        cookies,
        location,
        csp,
        body,
    }
}

/// The sign-in page's double-submit token and its cookie.
async fn pre(app: &TestApp) -> String {
    let page = console(app, "GET", "/console/sign-in", &[], None, &[]).await;
    assert_eq!(page.status, 200);
    let cookie = page.cookie("spbe_console_pre").expect("pre cookie");
    assert_eq!(page.hidden("csrf"), cookie);
    cookie
}

/// Signs in with a demo user's API token; returns the session cookie's value.
async fn session(app: &TestApp, who: &str) -> String {
    let p = pre(app).await;
    let a = console(
        app,
        "POST",
        "/console/sign-in/token",
        &[("spbe_console_pre", &p)],
        Some(&[("token", app.token(who)), ("csrf", &p)]),
        &[],
    )
    .await;
    assert_eq!(a.status, 303, "{}", a.body);
    a.cookie(spbe_desk::routes::console::SESSION_COOKIE)
        .expect("session cookie")
}

async fn queue_status(app: &TestApp, s: &str) -> (u16, String) {
    let a = console(
        app,
        "GET",
        "/console/queue",
        &[("spbe_console", s)],
        None,
        &[],
    )
    .await;
    (a.status, a.location)
}

#[actix_web::test]
async fn console_sessions_live_on_the_server_and_end() {
    let app = spawn_app_with(&[("console.max_hours", "2"), ("console.idle_minutes", "60")]).await;
    // The cookie: HttpOnly, SameSite=Strict, for /console; Secure only behind TLS.
    let p = pre(&app).await;
    let form = [("token", app.token("OPERATOR")), ("csrf", p.as_str())];
    let plain = console(
        &app,
        "POST",
        "/console/sign-in/token",
        &[("spbe_console_pre", &p)],
        Some(&form),
        &[],
    )
    .await;
    let line = plain.cookie_line("spbe_console");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(line.contains(attr), "{attr} missing: {line}");
    }
    assert!(
        !line.contains("Secure"),
        "plain HTTP cannot keep a Secure cookie: {line}"
    );
    let proxied = console(
        &app,
        "POST",
        "/console/sign-in/token",
        &[("spbe_console_pre", &p)],
        Some(&form),
        &[("X-Forwarded-Proto", "https")],
    )
    .await;
    assert!(
        proxied.cookie_line("spbe_console").contains("Secure"),
        "behind a TLS proxy the cookie is Secure"
    );
    let s = plain.cookie("spbe_console").expect("session");
    assert_eq!(queue_status(&app, &s).await.0, 200);

    // A wrong token signs nobody in and says so.
    let bad = console(
        &app,
        "POST",
        "/console/sign-in/token",
        &[("spbe_console_pre", &p)],
        Some(&[("token", "sdk_nope"), ("csrf", &p)]),
        &[],
    )
    .await;
    assert_eq!(bad.status, 403);
    assert!(bad.cookie("spbe_console").is_none());
    assert!(bad.body.contains("the token is unknown"), "{}", bad.body);

    // Idle for longer than idle_minutes: gone. Active, but past max_hours: gone too.
    for minutes in [50, 50] {
        app.clock.advance(chrono::TimeDelta::minutes(minutes));
        assert_eq!(
            queue_status(&app, &s).await.0,
            200,
            "50 minutes idle is within the hour"
        );
    }
    app.clock.advance(chrono::TimeDelta::minutes(25));
    let (status, location) = queue_status(&app, &s).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/console/sign-in?next=%2Fconsole%2Fqueue"),
        "past max_hours, though used 25 minutes ago"
    );
    let fresh = session(&app, "OPERATOR").await;
    app.clock.advance(chrono::TimeDelta::minutes(61));
    assert_eq!(
        queue_status(&app, &fresh).await.0,
        303,
        "idle past idle_minutes"
    );

    // Signing out ends the session on the server: the old cookie no longer works.
    let s = session(&app, "OPERATOR").await;
    let page = console(
        &app,
        "GET",
        "/console/queue",
        &[("spbe_console", &s)],
        None,
        &[],
    )
    .await;
    let csrf = page.hidden("csrf");
    let out = console(
        &app,
        "POST",
        "/console/sign-out",
        &[("spbe_console", &s)],
        Some(&[("csrf", &csrf)]),
        &[],
    )
    .await;
    assert_eq!(out.status, 303);
    assert!(out.cookie_line("spbe_console").contains("Max-Age=0"));
    assert_eq!(queue_status(&app, &s).await.0, 303);

    // A deactivated user's session ends with the account.
    let s = session(&app, "TECH_BKPSDM").await;
    assert_eq!(queue_status(&app, &s).await.0, 200);
    let uid = app.user_id("TECH_BKPSDM").await;
    app.patch(
        &format!("/api/v1/users/{uid}"),
        "ADMIN",
        json!({"active": false}),
    )
    .await
    .expect(200);
    assert_eq!(queue_status(&app, &s).await.0, 303);

    // Sign-ins and sign-outs are on the user's audit trail.
    let me = app.get("/api/v1/me", "OPERATOR").await.expect(200);
    let events = app
        .get(
            &format!("/api/v1/users/{}/events", me["id"].as_str().expect("id")),
            "OPERATOR",
        )
        .await
        .expect(200);
    let actions: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "console_signed_in")
            .count(),
        4,
        "{actions:?}"
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "console_signed_out")
            .count(),
        1,
        "{actions:?}"
    );
}

#[actix_web::test]
async fn sign_in_links_work_once_and_expire() {
    let app = spawn_app().await;
    let me = app.get("/api/v1/me", "TECH_DINKES").await.expect(200);
    let email = me["email"].as_str().expect("email").to_string();
    let p = pre(&app).await;
    let ask = |address: String| {
        let (app, p) = (&app, p.clone());
        async move {
            console(
                app,
                "POST",
                "/console/sign-in/link-request",
                &[("spbe_console_pre", &p)],
                Some(&[("email", &address), ("csrf", &p)]),
                &[],
            )
            .await
        }
    };
    // An unknown address gets the same answer and no mail.
    let unknown = ask("nobody@makassarkota.go.id".into()).await;
    let known = ask(email.to_uppercase()).await;
    assert_eq!((unknown.status, known.status), (200, 200));
    assert!(unknown.body.contains("id=\"notice\"") && known.body.contains("id=\"notice\""));
    assert_eq!(
        sign_in_mails(&app, "nobody@makassarkota.go.id").await.len(),
        0
    );
    assert_eq!(sign_in_mails(&app, &email).await.len(), 1);

    // Without the form's token the request is refused and nothing is mailed.
    let forged = console(
        &app,
        "POST",
        "/console/sign-in/link-request",
        &[],
        Some(&[("email", email.as_str()), ("csrf", "x")]),
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(sign_in_mails(&app, &email).await.len(), 1);

    // Opening the link (a GET, as a mail scanner would) spends nothing; the button does,
    // once.
    let link = mailed_link(&app, &email).await;
    let path = link[link.find("/console/").expect("path")..].to_string();
    let code = path
        .split("code=")
        .nth(1)
        .and_then(|c| c.split('&').next())
        .expect("code")
        .to_string();
    for _ in 0..2 {
        let page = console(&app, "GET", &path, &[("spbe_console_pre", &p)], None, &[]).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.hidden("code"), code);
    }
    let redeem = |code: String| {
        let (app, p) = (&app, p.clone());
        async move {
            console(
                app,
                "POST",
                "/console/sign-in/link",
                &[("spbe_console_pre", &p)],
                Some(&[("code", &code), ("csrf", &p)]),
                &[],
            )
            .await
        }
    };
    let first = redeem(code.clone()).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let s = first.cookie("spbe_console").expect("session");
    assert_eq!(queue_status(&app, &s).await.0, 200);
    let again = redeem(code.clone()).await;
    assert_eq!(again.status, 403);
    assert!(again.cookie("spbe_console").is_none());
    assert!(
        again.body.contains("already used or expired"),
        "{}",
        again.body
    );

    // A link outlives its minutes by nothing.
    app.clock.advance(chrono::TimeDelta::minutes(1));
    ask(email.clone()).await;
    app.clock.advance(chrono::TimeDelta::minutes(
        app.state.app.settings.console.link_minutes,
    ));
    let latest = sign_in_mails(&app, &email)
        .await
        .pop()
        .expect("the latest mail");
    let late = latest
        .split("code=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("code");
    assert_ne!(late, code);
    assert_eq!(redeem(late.to_string()).await.status, 403);

    // Five links per window; the sixth request is answered alike and mails nothing.
    let before = sign_in_mails(&app, &email).await.len();
    for _ in 0..6 {
        assert_eq!(ask(email.clone()).await.status, 200);
    }
    assert_eq!(sign_in_mails(&app, &email).await.len(), before + 5);
}

#[actix_web::test]
async fn console_pages_refuse_bad_input_with_a_page_and_change_nothing() {
    let app = spawn_app().await;
    let s = session(&app, "TECH_DUKCAPIL").await;
    let c = [("spbe_console", s.as_str())];
    let queue = console(&app, "GET", "/console/queue", &c, None, &[]).await;
    assert!(
        queue.csp.contains("default-src 'none'") && queue.csp.contains("frame-ancestors 'none'"),
        "{}",
        queue.csp
    );
    let csrf = queue.hidden("csrf");
    for (path, status) in [
        ("/console/nowhere", 404),
        ("/console/queue?status=bogus", 422),
        ("/console/tickets/..%2F..%2Fetc", 404),
        ("/console/tickets/00000000-0000-0000-0000-000000000000", 404),
        ("/console/reports", 403),
        ("/console/dashboard", 403),
    ] {
        let a = console(&app, "GET", path, &c, None, &[]).await;
        assert_eq!(a.status, status, "{path}: {}", a.body);
        assert!(
            a.body.contains("id=\"error\""),
            "{path} has no error page: {}",
            a.body
        );
    }
    // A ticket form with bad fields: the form again, every problem named, nothing created.
    let before = app
        .get("/api/v1/tickets", "TECH_DUKCAPIL")
        .await
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .len();
    let bad = console(
        &app,
        "POST",
        "/console/tickets",
        &c,
        Some(&[
            ("csrf", &csrf),
            ("title", ""),
            ("kind", "incident"),
            ("impact", "high"),
            ("urgency", "high"),
            ("reporter_name", ""),
        ]),
        &[],
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("title") && bad.body.contains("reporter.name"),
        "{}",
        bad.body
    );
    let wrong = console(
        &app,
        "POST",
        "/console/tickets",
        &c,
        Some(&[
            ("csrf", &csrf),
            ("title", "Judul"),
            ("kind", "bogus"),
            ("impact", "high"),
            ("urgency", "high"),
            ("reporter_name", "Budi"),
        ]),
        &[],
    )
    .await;
    assert_eq!(wrong.status, 422);
    let after = app
        .get("/api/v1/tickets", "TECH_DUKCAPIL")
        .await
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .len();
    assert_eq!(before, after);
    // An action on a ticket the state machine refuses: the ticket page with the API's 409.
    let t = app
        .post(
            "/api/v1/tickets",
            "TECH_DUKCAPIL",
            json!({"title": "Gangguan jaringan", "kind": "incident", "reporter": {"name": "Ani"}}),
        )
        .await
        .expect(201);
    let id = t["id"].as_str().expect("id");
    let api = app
        .post(
            &format!("/api/v1/tickets/{id}/resolve"),
            "TECH_DUKCAPIL",
            json!({"resolution": "sudah"}),
        )
        .await
        .problem(409);
    let page = console(
        &app,
        "POST",
        &format!("/console/tickets/{id}/resolve"),
        &c,
        Some(&[("csrf", &csrf), ("resolution", "sudah")]),
        &[],
    )
    .await;
    assert_eq!(page.status, 409);
    let detail = api["detail"].as_str().expect("detail");
    assert!(
        page.body.contains(detail),
        "the page should say {detail:?}: {}",
        page.body
    );
    let unknown_action = console(
        &app,
        "POST",
        &format!("/console/tickets/{id}/explode"),
        &c,
        Some(&[("csrf", &csrf)]),
        &[],
    )
    .await;
    assert_eq!(unknown_action.status, 404);
}

#[actix_web::test]
async fn the_report_pages_show_the_report_and_download_the_apis_bytes() {
    let app = spawn_app().await;
    let t = app
        .post(
            "/api/v1/tickets",
            "TECH_DUKCAPIL",
            json!({"title": "Gangguan jaringan", "kind": "incident", "reporter": {"name": "Ani"}}),
        )
        .await
        .expect(201);
    assert!(t["id"].is_string());
    let s = session(&app, "COORDINATOR").await;
    let c = [("spbe_console", s.as_str())];
    // The month that is running: provisional figures, with the ticket just opened.
    let page = console(
        &app,
        "GET",
        "/console/reports?period=2026-11",
        &c,
        None,
        &[],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let api = app
        .get("/api/v1/reports/monthly/2026-11?format=json", "COORDINATOR")
        .await
        .expect(200);
    let opened = api["totals"]["opened"].as_i64().expect("opened");
    assert!(opened >= 1);
    assert!(
        page.body
            .contains(&format!("<span class=\"big\">{opened}</span>")),
        "{}",
        page.body
    );
    for link in [
        "format=xlsx",
        "format=json",
        "format=csv&amp;sheet=pds",
        "format=csv&amp;sheet=tickets",
    ] {
        assert!(page.body.contains(link), "no {link} download");
    }
    assert!(page.body.contains("id=\"sanctions\""));
    // The default is the month that ended last.
    let default = console(&app, "GET", "/console/reports", &c, None, &[]).await;
    assert!(default.body.contains("2026-10"), "{}", default.body);
    // A download is the API's own bytes.
    let csv = console(
        &app,
        "GET",
        "/console/reports/2026-10/download?format=csv&sheet=pds",
        &c,
        None,
        &[],
    )
    .await;
    assert_eq!(csv.status, 200);
    let mut api_csv = app
        .client
        .get(format!(
            "{}/api/v1/reports/monthly/2026-10?format=csv&sheet=pds",
            app.base
        ))
        .insert_header((
            "Authorization",
            format!("Bearer {}", app.token("COORDINATOR")),
        ))
        .send()
        .await
        .expect("api csv");
    let api_bytes = api_csv.body().await.expect("body");
    assert_eq!(csv.body.as_bytes(), &api_bytes[..]);
    let bad = console(
        &app,
        "GET",
        "/console/reports/2026-10/download?format=pdf",
        &c,
        None,
        &[],
    )
    .await;
    assert_eq!(bad.status, 422);
    let future = console(
        &app,
        "GET",
        "/console/reports?period=2030-01",
        &c,
        None,
        &[],
    )
    .await;
    assert_eq!(future.status, 404);
}

#[actix_web::test]
async fn the_console_speaks_english_by_config_and_a_stale_refresh_goes_to_sign_in() {
    let app = spawn_app_with(&[("console.language", "en")]).await;
    let page = console(&app, "GET", "/console/sign-in", &[], None, &[]).await;
    assert!(
        page.body.contains("<html lang=\"en\">") && page.body.contains("With an API token"),
        "{}",
        page.body
    );
    let s = session(&app, "OPERATOR").await;
    let c = [("spbe_console", s.as_str())];
    let queue = console(&app, "GET", "/console/queue", &c, None, &[]).await;
    assert!(
        queue.body.contains("Tier 2 queue (Dinas)"),
        "{}",
        queue.body
    );
    // The queue refreshes itself; once the session is gone the refresh sends the whole
    // page to sign-in instead of swapping a sign-in form into the table.
    let rows = console(
        &app,
        "GET",
        "/console/queue/rows",
        &c,
        None,
        &[("HX-Request", "true")],
    )
    .await;
    assert_eq!(rows.status, 200);
    assert!(
        rows.body.starts_with("<tbody id=\"queue-rows\""),
        "{}",
        rows.body
    );
    app.clock.advance(chrono::TimeDelta::hours(13));
    let mut res = awc::Client::builder()
        .disable_redirects()
        .finish()
        .get(format!("{}/console/queue/rows", app.base))
        .insert_header(("Cookie", format!("spbe_console={s}")))
        .insert_header(("HX-Request", "true"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status().as_u16(), 200);
    let to = res
        .headers()
        .get("HX-Redirect")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(to, "/console/sign-in?next=%2Fconsole%2Fqueue");
    assert!(res.body().await.expect("body").is_empty());
}
