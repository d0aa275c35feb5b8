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
    for OutMessage { id, channel, to, body } in store.claim_outbox(50).await? {
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

pub fn spawn(store: Store, hook: Webhook) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Err(e) = send_pending(&store, &hook).await {
                tracing::error!(error = %e, "outbox sender failed; will retry");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chuangkou_domain::Role;
    use chuangkou_domain::cases::{Actor, CaseKind, Channel, Command};
    use chuangkou_domain::policy::PolicySet;
    use chuangkou_store::cases::{ActInput, NewCase};
    use chuangkou_store::users::NewUser;

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
        let store = chuangkou_store::testing::sqlite().await;
        let policies = PolicySet::builtin();
        let org = store.create_organisation("t", "TY", "太原高速", "toll", None).await.unwrap();
        let leader = store
            .create_user(
                org.id,
                "t",
                &NewUser {
                    username: "l",
                    display_name: "l",
                    password_hash: "-",
                    role: Role::Leader,
                    staff_id: None,
                },
            )
            .await
            .unwrap();
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
            reporter_phone: Some("13812345678".into()),
            registered_by: Some(leader.id),
            issue_tracking_code: true,
        };
        let rules = policies.rules("toll").unwrap();
        let r = store.register_case(&org, rules, &nc, "t").await.unwrap();
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
        assert_eq!(send_pending(&store, &Webhook::parse(&url).unwrap()).await.unwrap(), 0);
        got.await.unwrap();
        assert_eq!(store.pending_messages(org.id).await.unwrap().len(), 1);

        let (url, got) = gateway("200 OK").await;
        assert_eq!(send_pending(&store, &Webhook::parse(&url).unwrap()).await.unwrap(), 1);
        let request = got.await.unwrap();
        assert!(request.starts_with("POST /sms HTTP/1.1"), "{request}");
        assert!(
            request.contains("\"to\":\"13812345678\"") && request.contains("等待路政部门调查"),
            "{request}"
        );
        assert!(store.pending_messages(org.id).await.unwrap().is_empty(), "sent once, not again");
    }

    #[test]
    fn only_plain_http_webhooks_are_spoken_to() {
        let w = Webhook::parse("http://sms.local:8081/send").unwrap();
        assert_eq!((w.host.as_str(), w.port, w.path.as_str()), ("sms.local", 8081, "/send"));
        assert!(Webhook::parse("https://x").is_err());
    }
}
