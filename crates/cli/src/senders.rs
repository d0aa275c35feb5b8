//! Delivering queued messages (SPEC API-5): SMS to reporters through a
//! pluggable webhook. The webhook gets `POST` with JSON `{"to", "body"}`
//! and answers 2xx when it has taken the message; an SMS gateway adapter
//! of the deployment's choosing sits behind it. Only `http://` addresses are
//! spoken to directly: put a TLS-terminating relay in front of anything else.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use chuangkou_store::Store;
use chuangkou_store::cases::OutMessage;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub struct Webhook {
    host: String,
    port: u16,
    path: String,
}

impl Webhook {
    pub fn parse(url: &str) -> Result<Webhook> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("the SMS webhook must be an http:// URL: {url}")
        };
        let (authority, path) =
            rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().context("port")?),
            None => (authority.to_string(), 80),
        };
        Ok(Webhook { host, port, path })
    }

    async fn post(&self, body: &str) -> Result<()> {
        let mut s =
            tokio::time::timeout(Duration::from_secs(5), TcpStream::connect((self.host.as_str(), self.port)))
                .await
                .context("connect timed out")??;
        let req = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.path,
            self.host,
            body.len()
        );
        s.write_all(req.as_bytes()).await?;
        let mut head = vec![0u8; 64];
        let n =
            tokio::time::timeout(Duration::from_secs(10), s.read(&mut head)).await.context("no answer")??;
        let status = String::from_utf8_lossy(&head[..n]);
        match status.split_whitespace().nth(1) {
            Some(code) if code.starts_with('2') => Ok(()),
            _ => bail!("webhook answered {}", status.lines().next().unwrap_or("nothing")),
        }
    }
}

/// Sends what is queued; returns how many were delivered.
pub async fn send_pending(store: &Store, hook: &Webhook) -> Result<usize> {
    let mut sent = 0;
    for OutMessage { id, channel, to, body } in store.claim_outbox("sms", 50).await? {
        let result = match (channel.as_str(), to) {
            ("sms", Some(to)) => {
                let payload = serde_json::json!({"to": to, "body": body}).to_string();
                hook.post(&payload).await.map_err(|e| e.to_string())
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

/// E-mail to staff through an SMTP relay (plain SMTP, as to a relay on the
/// intranet; put TLS in the relay).
#[derive(Debug, Clone)]
pub struct Smtp {
    pub addr: String,
    pub from: String,
}

impl Smtp {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<()> {
        use base64::Engine;
        use tokio::io::{AsyncBufReadExt, BufReader};
        let b64 = base64::engine::general_purpose::STANDARD;
        let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&self.addr))
            .await
            .context("connect timed out")??;
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        // Reads one (possibly multi-line) reply and checks its code.
        async fn expect(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, code: &str) -> Result<()> {
            loop {
                let mut line = String::new();
                if tokio::time::timeout(Duration::from_secs(10), r.read_line(&mut line))
                    .await
                    .context("no reply")??
                    == 0
                {
                    bail!("the SMTP server closed the connection");
                }
                if !line.starts_with(code) {
                    bail!("SMTP: expected {code}, got {}", line.trim_end());
                }
                if line.as_bytes().get(3) != Some(&b'-') {
                    return Ok(());
                }
            }
        }
        if to.contains(['\r', '\n', '<', '>']) || self.from.contains(['\r', '\n', '<', '>']) {
            bail!("bad address");
        }
        expect(&mut r, "220").await?;
        for (cmd, code) in [
            ("EHLO chuangkou\r\n".to_string(), "250"),
            (format!("MAIL FROM:<{}>\r\n", self.from), "250"),
            (format!("RCPT TO:<{to}>\r\n"), "250"),
            ("DATA\r\n".to_string(), "354"),
        ] {
            w.write_all(cmd.as_bytes()).await?;
            expect(&mut r, code).await?;
        }
        let encoded_body = b64.encode(body.as_bytes());
        let lines: Vec<&str> =
            encoded_body.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
        let message = format!(
            "From: <{}>\r\nTo: <{to}>\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n.\r\n",
            self.from,
            b64.encode(subject.as_bytes()),
            lines.join("\r\n")
        );
        w.write_all(message.as_bytes()).await?;
        expect(&mut r, "250").await?;
        w.write_all(b"QUIT\r\n").await?;
        Ok(())
    }
}

/// Sends queued staff e-mails; returns how many were delivered.
pub async fn send_mail(store: &Store, smtp: &Smtp) -> Result<usize> {
    let mut sent = 0;
    for OutMessage { id, to, body, .. } in store.claim_outbox("email", 50).await? {
        let result = match to {
            Some(to) => smtp.send(&to, "窗口服务质量管理 · 通知", &body).await.map_err(|e| e.to_string()),
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
        async fn complaint(&self, by: i64, phone: Option<&str>) -> chuangkou_store::cases::Registered {
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

    /// A one-shot HTTP server that answers `status` and returns what it got.
    async fn gateway(status: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms", l.local_addr().unwrap());
        let h = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            s.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes()).await.unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        (url, h)
    }

    #[tokio::test]
    async fn an_extension_message_reaches_the_reporter_through_the_webhook_once() {
        let w = world().await;
        let (store, org, leader) = (&w.store, &w.org, &w.leader);
        let rules = w.policies.rules("toll").unwrap();
        let r = w.complaint(leader.id, Some("13812345678")).await;
        let who = Actor::User { id: leader.id, role: Role::Leader };
        let mut ask = ActInput::new(Command::RequestExtension);
        ask.extension = chuangkou_domain::calendar::Span::parse("24h");
        ask.reason = "等待路政部门调查".into();
        store.act(org.id, r.id, who, "t", &ask, rules).await.unwrap();
        store
            .act(org.id, r.id, who, "t", &ActInput::new(Command::DecideExtension { approve: true }), rules)
            .await
            .unwrap();

        // A gateway that refuses: the message stays queued.
        let (url, got) = gateway("503 Service Unavailable").await;
        assert_eq!(send_pending(store, &Webhook::parse(&url).unwrap()).await.unwrap(), 0);
        got.await.unwrap();
        assert_eq!(store.pending_messages(org.id).await.unwrap().len(), 1);

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
        let smtp = Smtp { addr, from: "noreply@chuangkou.test".into() };
        assert_eq!(send_mail(store, &smtp).await.unwrap(), 1, "only the leader has an address");
        let log = log.await.unwrap();
        assert!(log.contains("RCPT TO:<leader@example.test>"), "{log}");
        let body_b64: String =
            log.lines().skip_while(|l| !l.is_empty()).skip(1).take_while(|l| *l != ".").collect();
        let body =
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(body_b64).unwrap()).unwrap();
        assert!(body.contains(&r.number) && body.contains("领导小组"), "{body}");
        assert_eq!(send_mail(store, &smtp).await.unwrap(), 0, "sent once");
    }

    #[test]
    fn only_plain_http_webhooks_are_spoken_to() {
        let w = Webhook::parse("http://sms.local:8081/send").unwrap();
        assert_eq!((w.host.as_str(), w.port, w.path.as_str()), ("sms.local", 8081, "/send"));
        assert!(Webhook::parse("https://x").is_err());
    }
}
