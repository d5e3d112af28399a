//! The local server's mail and SMS: every message appended as one JSON line to
//! `$OUTBOX_DIR/messages.jsonl`, so a person (or a test) can read what customers would get.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::json;

use paylinks::domain::random_base62;
use paylinks::ports::{Clock, EmailMessage, Mailer, SendError, SmsMessage, SmsSender, SystemClock};

#[derive(Debug)]
pub struct Outbox {
    file: PathBuf,
    // One writer at a time, so lines never interleave.
    lock: Mutex<()>,
}

impl Outbox {
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { file: dir.join("messages.jsonl"), lock: Mutex::new(()) })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.file
    }

    fn append(&self, line: serde_json::Value) -> Result<String, SendError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.file)
            .map_err(|_| SendError::Transient("outbox_unwritable"))?;
        writeln!(file, "{line}").map_err(|_| SendError::Transient("outbox_unwritable"))?;
        Ok(format!("outbox-{}", random_base62(16)))
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send_email(&self, message: &EmailMessage) -> Result<String, SendError> {
        self.append(json!({
            "channel": "email",
            "to": message.to.as_str(),
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "url": message.url,
            "sent_at": SystemClock.now(),
        }))
    }
}

#[async_trait]
impl SmsSender for Outbox {
    async fn send_sms(&self, message: &SmsMessage) -> Result<String, SendError> {
        self.append(json!({
            "channel": "sms",
            "to": message.to.as_str(),
            "subject": null,
            "text": message.text,
            "html": null,
            "url": message.url,
            "sent_at": SystemClock.now(),
        }))
    }
}
