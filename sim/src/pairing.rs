//! Linking: QR refs for waiting pages, scans from the phone, link codes.

use std::time::Instant;

use base64::Engine;
use serde_json::{json, Value};

use tokio::sync::mpsc::Sender;

use crate::core::{now_secs, push, Core, Link, Pairing};
use crate::error::SimError;
use crate::state::{Account, Device};
use crate::types::{parse_number, ScanResult};

fn new_ref() -> String {
    let bytes: [u8; 36] = rand::random();
    format!(
        "2@{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Core {
    /// A page without credentials asks for refs: hand it a fresh batch.
    pub fn pair_request(&self, page: u64, keys: [String; 4]) {
        let timing = &self.config.timing;
        let refs: Vec<String> = (0..timing.refs_per_batch.max(1))
            .map(|_| new_ref())
            .collect();
        let mut pages = self.pages();
        let Some(p) = pages.get_mut(&page) else {
            return;
        };
        let mut pairing = match std::mem::replace(&mut p.link, Link::Fresh) {
            Link::Pairing(old) if old.keys == keys => old,
            _ => Pairing::default(),
        };
        pairing.keys = keys;
        pairing.issued.extend(refs.iter().cloned());
        p.link = Link::Pairing(pairing);
        push(
            &p.tx,
            json!({
                "type": "pair-device",
                "refs": refs,
                "firstTtlMs": timing.first_ref_ttl.as_millis() as u64,
                "ttlMs": timing.ref_ttl.as_millis() as u64,
            }),
        );
        drop(pages);
        self.count(|c| c.refs_issued += timing.refs_per_batch as u64);
    }

    /// The page put this QR on screen (or cleared it with an empty ref).
    pub fn qr_shown(&self, page: u64, qr: &str) {
        let mut pages = self.pages();
        let Some(p) = pages.get_mut(&page) else {
            return;
        };
        let Link::Pairing(pairing) = &mut p.link else {
            return;
        };
        if let Some(old) = pairing.current.take() {
            pairing.previous = Some((qr_ref(&old).to_string(), Instant::now()));
        }
        if qr_ref(qr).is_empty() {
            return;
        }
        pairing.current = Some(qr.to_string());
        if let Some(rows) = crate::qr::matrix(qr) {
            push(&p.tx, json!({"type": "qr-matrix", "qr": qr, "rows": rows}));
        }
    }

    /// The page ran out of refs (`UNPAIRED_IDLE`).
    pub fn pairing_idle(&self, page: u64) {
        self.qr_shown(page, "");
    }

    /// QR strings on screen in pages waiting for a scan.
    pub fn current_qrs(&self) -> Vec<String> {
        self.pages()
            .values()
            .filter_map(|p| match &p.link {
                Link::Pairing(pairing) => pairing.current.clone(),
                _ => None,
            })
            .collect()
    }

    /// The phone scanned `qr`: link a new device for `number` and tell the page.
    pub fn scan(&self, qr: &str, number: &str, push_name: &str) -> Result<ScanResult, SimError> {
        let number = parse_number(number)?;
        let result = self.try_scan(qr, &number, push_name);
        if result.is_err() {
            self.count(|c| c.scans_rejected += 1);
        }
        result
    }

    fn try_scan(&self, qr: &str, number: &str, push_name: &str) -> Result<ScanResult, SimError> {
        let parts = parse_qr(qr)?;
        let (page, tx) = self.find_pairing_page(&parts)?;
        Ok(self.link_page(page, &tx, number, push_name, parts[1]))
    }

    /// The phone typed a link code (link by phone number instead of QR).
    pub fn enter_link_code(&self, code: &str, push_name: &str) -> Result<ScanResult, SimError> {
        let wanted = code.replace('-', "").to_ascii_uppercase();
        let found = self.pages().iter().find_map(|(id, p)| match &p.link {
            Link::Pairing(Pairing {
                code: Some((c, number)),
                keys,
                ..
            }) if *c == wanted => Some((*id, p.tx.clone(), number.clone(), keys[0].clone())),
            _ => None,
        });
        let Some((page, tx, number, noise)) = found else {
            self.count(|c| c.scans_rejected += 1);
            return Err(SimError::BadRequest(format!(
                "no page is showing the link code {code:?}"
            )));
        };
        Ok(self.link_page(page, &tx, &number, push_name, &noise))
    }

    /// A page asked for a link code for `phone` (`startAltLinkingFlow`).
    pub fn alt_link(&self, page: u64, phone_wid: &str) -> Value {
        let number = phone_wid.split('@').next().unwrap_or_default();
        if parse_number(number).is_err() {
            return Value::Null;
        }
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTVWXYZ123456789";
        let code: String = (0..8)
            .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
            .collect();
        let mut pages = self.pages();
        let Some(Link::Pairing(pairing)) = pages.get_mut(&page).map(|p| &mut p.link) else {
            return Value::Null;
        };
        pairing.code = Some((code.clone(), number.to_string()));
        json!({"code": code})
    }

    /// Records a new device for `number`, tells the page, and returns what was linked.
    fn link_page(
        &self,
        page: u64,
        tx: &Sender<Value>,
        number: &str,
        push_name: &str,
        noise_key: &str,
    ) -> ScanResult {
        let push_name = if push_name.trim().is_empty() {
            number
        } else {
            push_name.trim()
        };
        let (device, lid, platform) = self.mutate(|world| {
            let lid = world.lid_of(number);
            let account = world
                .accounts
                .entry(number.to_string())
                .or_insert_with(|| Account::new(number, push_name));
            account.push_name = push_name.to_string();
            let device = Device {
                id: account.next_device_id,
                secret: random_secret(),
                noise_key: noise_key.to_string(),
                linked_at: now_secs(),
                pending: Vec::new(),
                offline_since_ms: None,
            };
            account.next_device_id += 1;
            account.devices.push(device.clone());
            (device, lid, account.platform.clone())
        });
        self.set_link(page, Link::Paired);
        self.count(|c| {
            c.scans += 1;
            c.devices_linked += 1;
        });
        let creds = json!({
            "number": number, "deviceId": device.id, "secret": device.secret,
            "noiseKey": device.noise_key, "lid": lid, "pushname": push_name, "platform": platform,
        });
        let delay = self.config.timing.pairing.as_millis() as u64;
        push(
            tx,
            json!({"type": "pair-success", "creds": creds, "delayMs": delay}),
        );
        ScanResult {
            number: number.to_string(),
            wid: format!("{number}@c.us"),
            lid: format!("{lid}@lid"),
            device_id: device.id,
            push_name: push_name.to_string(),
        }
    }

    /// The page showing `parts[0]` as its ref (now, or replaced within the grace period).
    fn find_pairing_page(&self, parts: &[&str]) -> Result<(u64, Sender<Value>), SimError> {
        let grace = self.config.timing.ref_grace;
        let mut stale = false;
        for (id, p) in self.pages().iter() {
            let Link::Pairing(pairing) = &p.link else {
                continue;
            };
            let current = pairing.current.as_deref().map(qr_ref) == Some(parts[0]);
            let recent = matches!(&pairing.previous, Some((r, at)) if r == parts[0] && at.elapsed() <= grace);
            if current || recent {
                if pairing.keys[..3] != [parts[1], parts[2], parts[3]] {
                    return Err(SimError::MalformedQr(
                        "the keys do not belong to the page showing this ref".into(),
                    ));
                }
                return Ok((*id, p.tx.clone()));
            }
            stale |= pairing.issued.iter().any(|r| r == parts[0]);
        }
        Err(if stale {
            SimError::StaleQr
        } else {
            SimError::UnknownQr
        })
    }
}

/// Splits `ref,noise,identity,adv,platform`.
fn parse_qr(qr: &str) -> Result<Vec<&str>, SimError> {
    let parts: Vec<&str> = qr.trim().split(',').collect();
    if parts.len() != 5 {
        return Err(SimError::MalformedQr(format!(
            "expected 5 comma-separated fields (ref,noise,identity,adv,platform), got {}",
            parts.len()
        )));
    }
    if let Some(i) = parts.iter().position(|p| p.is_empty()) {
        return Err(SimError::MalformedQr(format!("field {} is empty", i + 1)));
    }
    if !parts[0].starts_with("2@") {
        return Err(SimError::MalformedQr(
            "the ref must start with \"2@\"".into(),
        ));
    }
    Ok(parts)
}

/// The ref part of a QR string.
fn qr_ref(qr: &str) -> &str {
    qr.split(',').next().unwrap_or("")
}
