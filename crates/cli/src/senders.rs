//! Delivering queued messages (SPEC API-5): SMS to reporters through a
//! pluggable webhook, e-mail to staff through SMTP. The webhook gets `POST`
//! with JSON `{"id", "to", "body"}` over `http://` or `https://` (a message
//! sent again carries the same id) and answers 2xx when it has taken it; an
//! SMS gateway adapter of the
//! deployment's choosing sits behind it. A message that fails is tried again
//! after a growing pause (the outbox keeps when; see
//! `chuangkou_domain::notify::retry_delay_ms`).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use chuangkou_store::Store;
use chuangkou_store::cases::OutMessage;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// A gateway that has not connected by then is taken to be down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A gateway that has not answered by then is taken to have failed; the
/// message is tried again later (a gateway that took it late sends twice,
/// which is better than never).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// The SMS webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    url: reqwest::Url,
    client: reqwest::Client,
}

impl Webhook {
    /// An `http://` or `https://` URL; HTTPS is checked against the
    /// system's trusted roots.
    pub fn parse(url: &str) -> Result<Webhook> {
        Webhook::with_client(url, reqwest::Client::builder())
    }

    fn with_client(url: &str, builder: reqwest::ClientBuilder) -> Result<Webhook> {
        let url = reqwest::Url::parse(url).with_context(|| format!("the SMS webhook is no URL: {url}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            bail!("the SMS webhook must be an http:// or https:// URL, not {}:", url.scheme());
        }
        let client = builder
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(ANSWER_TIMEOUT)
            .user_agent(concat!("chuangkou/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("the HTTP client")?;
        Ok(Webhook { url, client })
    }

    async fn post(&self, body: String) -> Result<()> {
        let answer = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            // The URL may carry the gateway's key: keep it out of the log.
            .map_err(reqwest::Error::without_url)?;
        if !answer.status().is_success() {
            bail!("webhook answered {}", answer.status());
        }
        Ok(())
    }
}

/// Sends what is queued; returns how many were delivered.
pub async fn send_pending(store: &Store, hook: &Webhook) -> Result<usize> {
    let mut sent = 0;
    for OutMessage { id, channel, to, body } in store.claim_outbox("sms", 50).await? {
        let result = match (channel.as_str(), to) {
            ("sms", Some(to)) => {
                // The id lets a gateway drop a repeat: a sender that stops
                // between the gateway's answer and recording it sends again.
                let payload = serde_json::json!({"id": id, "to": to, "body": body}).to_string();
                hook.post(payload).await.map_err(|e| format!("{e:#}"))
            }
            (_, _) => Err("no recipient or unknown channel".to_string()),
        };
        if result.is_ok() {
            sent += 1;
        } else if let Err(e) = &result {
            // The recipient is personal data: log the message id only.
            tracing::warn!(message_id = id, error = %e, "sending failed; will retry");
        }
        store.outbox_result(id, result).await?;
    }
    Ok(sent)
}

pub fn spawn(store: Store, hook: Option<Webhook>, smtp: Option<Smtp>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Some(hook) = &hook
                && let Err(e) = send_pending(&store, hook).await
            {
                tracing::error!(error = %e, "SMS sender failed; will retry");
            }
            if let Some(smtp) = &smtp
                && let Err(e) = send_mail(&store, smtp).await
            {
                tracing::error!(error = %e, "e-mail sender failed; will retry");
            }
        }
    });
}

/// E-mail to staff through an SMTP server.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// `smtp://[user:password@]host[:port][?tls=required]` (STARTTLS when
    /// `tls=required` or `opportunistic`), `smtps://…` (TLS from the
    /// first byte, port 465), or a bare `host:port` for a plain relay on
    /// the intranet.
    pub fn parse(server: &str, from: &str) -> Result<Smtp> {
        let url = if server.contains("://") { server.to_string() } else { format!("smtp://{server}") };
        // lettre's error names no part of the URL, so the password stays out of it.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .context("the SMTP server must be smtp://, smtps:// or host:port")?
            .timeout(Some(ANSWER_TIMEOUT))
            .build();
        let from = from.parse().with_context(|| format!("the sender address {from:?}"))?;
        Ok(Smtp { transport, from })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().context("the recipient's address")?)
            .subject(subject)
            // A Message-ID lets a mail server and a reader tell one notice
            // from its retry; the builder adds the Date.
            .message_id(None)
            .header(ContentType::TEXT_PLAIN)
            .body(
                Body::new_with_encoding(body.to_string(), ContentTransferEncoding::Base64)
                    .map_err(|_| anyhow::anyhow!("the body cannot be encoded"))?,
            )?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// Sends queued staff e-mails; returns how many were delivered.
pub async fn send_mail(store: &Store, smtp: &Smtp) -> Result<usize> {
    let mut sent = 0;
    for OutMessage { id, to, body, .. } in store.claim_outbox("email", 50).await? {
        let result = match to {
            Some(to) => smtp.send(&to, "窗口服务质量管理 · 通知", &body).await.map_err(|e| format!("{e:#}")),
            None => Err("the user has no e-mail address".to_string()),
        };
        if result.is_ok() {
            sent += 1;
        } else if let Err(e) = &result {
            tracing::warn!(message_id = id, error = %e, "e-mail failed; will retry");
        }
        store.outbox_result(id, result).await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chuangkou_domain::Role;
    use chuangkou_domain::cases::{Actor, CaseKind, Channel, Command};
    use chuangkou_domain::policy::PolicySet;
    use chuangkou_store::cases::{ActInput, NewCase};
    use chuangkou_store::users::NewUser;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    /// A toll organisation with a leader, for the sender tests.
    struct World {
        store: Store,
        policies: PolicySet,
        org: chuangkou_store::org::Organisation,
        leader: chuangkou_store::users::User,
    }

    async fn world() -> World {
        let store = chuangkou_store::testing::sqlite().await;
        let org = store.create_organisation("t", "TY", "太原高速", "toll", None).await.unwrap();
        let leader = NewUser {
            username: "l",
            display_name: "l",
            password_hash: "-",
            role: Role::Leader,
            staff_id: None,
        };
        let leader = store.create_user(org.id, "t", &leader).await.unwrap();
        World { store, policies: PolicySet::builtin(), org, leader }
    }

    impl World {
        async fn user(&self, name: &str, role: Role) -> chuangkou_store::users::User {
            let u = NewUser { username: name, display_name: name, password_hash: "-", role, staff_id: None };
            self.store.create_user(self.org.id, "t", &u).await.unwrap()
        }

        /// A hotline complaint registered by `by`, with the reporter's phone.
        async fn complaint(
            &self,
            by: chuangkou_domain::UserId,
            phone: Option<&str>,
        ) -> chuangkou_store::cases::Registered {
            let nc = NewCase {
                kind: CaseKind::Complaint,
                channel: Channel::Hotline,
                category: "attitude".into(),
                track: None,
                description: "态度差".into(),
                unit_id: None,
                service_point_id: None,
                subject_staff_id: None,
                plate: None,
                reporter_name: None,
                reporter_phone: phone.map(str::to_string),
                registered_by: Some(by),
                issue_tracking_code: true,
                photos: vec![],
                origin: None,
            };
            self.store.register_case(&self.org, self.policies.rules("toll").unwrap(), &nc, "t").await.unwrap()
        }
    }

    /// Reads one HTTP request (head and body) from `s`, answers `status`
    /// and returns the request.
    async fn answer<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, status: &str) -> String {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
                    })
                    .map_or(0, |v| v.parse::<usize>().unwrap());
                if body.len() >= length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        s.write_all(
            format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
        s.shutdown().await.ok();
        String::from_utf8_lossy(&got).into_owned()
    }

    /// A one-shot HTTP server that answers `status` and returns what it got.
    async fn gateway(status: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms", l.local_addr().unwrap());
        let h = tokio::spawn(async move { answer(l.accept().await.unwrap().0, status).await });
        (url, h)
    }

    /// A one-shot HTTPS server for `localhost` with a certificate made on
    /// the spot; returns its URL, the certificate (for a client to trust)
    /// and what it got (empty when the client refused the certificate).
    async fn https_gateway() -> (String, reqwest::Certificate, tokio::task::JoinHandle<String>) {
        use tokio_rustls::rustls;
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key = rustls::pki_types::PrivatePkcs8KeyDer::from(made.signing_key.serialize_der());
        let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key.into())
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://localhost:{}/sms", l.local_addr().unwrap().port());
        let h = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.unwrap();
            match acceptor.accept(tcp).await {
                Ok(tls) => answer(tls, "200 OK").await,
                Err(_) => String::new(),
            }
        });
        (url, reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).unwrap(), h)
    }

    /// A complaint with the reporter's phone whose deadline was extended,
    /// so that one SMS to the reporter is queued.
    async fn queued_sms(w: &World, reason: &str) -> chuangkou_store::cases::Registered {
        let rules = w.policies.rules("toll").unwrap();
        let r = w.complaint(w.leader.id, Some("13812345678")).await;
        let who = Actor::User { id: w.leader.id, role: Role::Leader };
        let mut ask = ActInput::new(Command::RequestExtension);
        ask.extension = chuangkou_domain::calendar::Span::parse("24h");
        ask.reason = reason.into();
        w.store.act(w.org.id, r.id, who, "t", &ask, rules).await.unwrap();
        let approve = ActInput::new(Command::DecideExtension { approve: true });
        w.store.act(w.org.id, r.id, who, "t", &approve, rules).await.unwrap();
        assert_eq!(w.store.pending_messages(w.org.id).await.unwrap().len(), 1);
        r
    }

    #[tokio::test]
    async fn an_extension_message_reaches_the_reporter_through_the_webhook_once() {
        let w = world().await;
        let (store, org) = (&w.store, &w.org);
        queued_sms(&w, "等待路政部门调查").await;

        // A gateway that refuses: the message stays queued, and is not
        // tried again until its pause has passed.
        let (url, got) = gateway("503 Service Unavailable").await;
        assert_eq!(send_pending(store, &Webhook::parse(&url).unwrap()).await.unwrap(), 0);
        got.await.unwrap();
        assert_eq!(store.pending_messages(org.id).await.unwrap().len(), 1);
        assert!(store.claim_outbox("sms", 50).await.unwrap().is_empty(), "not retried at once");
        store.advance_clock(29_000);
        assert!(store.claim_outbox("sms", 50).await.unwrap().is_empty(), "nor within half a minute");
        store.advance_clock(1_000);

        let (url, got) = gateway("200 OK").await;
        assert_eq!(send_pending(store, &Webhook::parse(&url).unwrap()).await.unwrap(), 1);
        let request = got.await.unwrap();
        assert!(request.starts_with("POST /sms HTTP/1.1"), "{request}");
        assert!(
            request.contains("\"to\":\"13812345678\"") && request.contains("等待路政部门调查"),
            "{request}"
        );
        assert!(store.pending_messages(org.id).await.unwrap().is_empty(), "sent once, not again");
    }

    #[tokio::test]
    async fn an_https_gateway_is_spoken_to_only_with_a_certificate_the_sender_trusts() {
        let w = world().await;
        let (store, org) = (&w.store, &w.org);
        queued_sms(&w, "等待调查").await;

        // A certificate no trusted root signed: refused, and kept for later.
        let (url, _, got) = https_gateway().await;
        assert_eq!(send_pending(store, &Webhook::parse(&url).unwrap()).await.unwrap(), 0);
        assert_eq!(got.await.unwrap(), "", "nothing was sent over an unverified connection");
        assert_eq!(store.pending_messages(org.id).await.unwrap().len(), 1);

        // Trusted: delivered over TLS.
        store.advance_clock(30_000);
        let (url, cert, got) = https_gateway().await;
        let hook = Webhook::with_client(&url, reqwest::Client::builder().add_root_certificate(cert)).unwrap();
        assert_eq!(send_pending(store, &hook).await.unwrap(), 1);
        let request = got.await.unwrap();
        assert!(request.starts_with("POST /sms HTTP/1.1") && request.contains("等待调查"), "{request}");
        assert!(store.pending_messages(org.id).await.unwrap().is_empty());
    }

    /// A one-message SMTP server that records the conversation.
    async fn smtp_server() -> (String, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let h = tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap();
            let (r, mut w) = s.into_split();
            let mut r = BufReader::new(r);
            let mut log = String::new();
            w.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let mut in_data = false;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).await.unwrap() == 0 {
                    break;
                }
                log.push_str(&line);
                let reply: &[u8] = if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        b"250 queued\r\n"
                    } else {
                        continue;
                    }
                } else if line.starts_with("EHLO") {
                    b"250-test\r\n250 8BITMIME\r\n"
                } else if line.starts_with("DATA") {
                    in_data = true;
                    b"354 go\r\n"
                } else if line.starts_with("QUIT") {
                    w.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    b"250 ok\r\n"
                };
                w.write_all(reply).await.unwrap();
            }
            log
        });
        (addr, h)
    }

    #[tokio::test]
    async fn an_escalation_is_mailed_to_a_leader_who_gave_an_address() {
        use base64::Engine;
        let w = world().await;
        let (store, org, leader) = (&w.store, &w.org, &w.leader);
        let office = w.user("o", Role::Office).await;
        store.set_email(org.id, leader.id, "t", Some("leader@example.test")).await.unwrap();
        let r = w.complaint(office.id, None).await;
        store.advance_clock(72 * 3_600_000 + 1);
        store.sweep_timers(&chuangkou_domain::policy::PolicySet::builtin()).await.unwrap();
        let (addr, log) = smtp_server().await;
        let smtp = Smtp::parse(&addr, "窗口系统 <noreply@chuangkou.test>").unwrap();
        assert_eq!(send_mail(store, &smtp).await.unwrap(), 1, "only the leader has an address");
        let log = log.await.unwrap();
        assert!(log.contains("RCPT TO:<leader@example.test>"), "{log}");
        let head: String = log
            .lines()
            .skip_while(|l| !l.starts_with("DATA"))
            .take_while(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        for header in ["Date: ", "Message-ID: <", "From: ", "Subject: =?utf-8?b?"] {
            assert!(head.to_lowercase().contains(&header.to_lowercase()), "{header} in {head}");
        }
        let body_b64: String = log
            .lines()
            .skip_while(|l| !l.starts_with("DATA"))
            .skip_while(|l| !l.is_empty())
            .skip(1)
            .take_while(|l| *l != ".")
            .collect();
        let body =
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(body_b64).unwrap()).unwrap();
        assert!(body.contains(&r.number) && body.contains("领导小组"), "{body}");
        assert_eq!(send_mail(store, &smtp).await.unwrap(), 0, "sent once");
    }

    #[test]
    fn senders_take_the_addresses_an_operator_would_write() {
        assert!(Webhook::parse("http://sms.local:8081/send").is_ok());
        assert!(Webhook::parse("https://sms.example.cn/api/send?key=k").is_ok());
        for bad in ["ftp://x/y", "sms.local:8081", ""] {
            assert!(Webhook::parse(bad).is_err(), "{bad}");
        }
        for good in
            ["relay.local:25", "smtps://u:p@mail.example.cn", "smtp://u:p@mail.example.cn:587?tls=required"]
        {
            assert!(Smtp::parse(good, "noreply@example.cn").is_ok(), "{good}");
        }
        assert!(Smtp::parse("imap://mail.example.cn", "noreply@example.cn").is_err());
        assert!(Smtp::parse("relay.local:25", "not an address").is_err());
    }
}
