//! Admin sign-in sessions of the Integration Hub page. A session is a random 256-bit id kept in this
//! process's memory (the cookie carries only the id) with an idle and an absolute expiry, its CSRF
//! synchronizer token, and the one-shot results a POST leaves for the page it redirects to (the
//! "flash": Save & Test results, a mapping preview, a new SCIM token shown once).
//!
//! One replica only, like the sign-in bridge's pending logins: with several replicas the Hub page
//! needs sticky sessions (a restart signs administrators out, which is harmless).

use provider::integration::Report;
use provider::MappingChange;
use rand::RngCore;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "sf_admin_session";

/// A session unused this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// A session ends this long after sign-in, used or not.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(8 * 60 * 60);

/// At most this many live sessions; the oldest is dropped beyond it (bounds memory).
const MAX_SESSIONS: usize = 1000;

/// 32 random bytes from the thread's CSPRNG, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The settings form as submitted, kept to refill the form after a validation error (never the
/// secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsDraft {
    /// Okta Domain as typed.
    pub okta_domain: String,
    /// OIDC Client ID as typed.
    pub oidc_client_id: String,
    /// SCIM Enabled.
    pub scim_enabled: bool,
    /// Group Sync.
    pub group_sync: bool,
    /// Deactivate on Offboard.
    pub deactivate_on_offboard: bool,
}

/// The mapping form as submitted, to prefill it after a preview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingDraft {
    /// The Okta group's display name.
    pub group: String,
    /// The StackFlow role.
    pub role: String,
    /// Replace an existing mapping of the group.
    pub replace: bool,
}

/// What a POST leaves for the next page view; taken (and so shown) once.
#[derive(Default)]
pub struct Flash {
    /// A confirmation, and the page section (its element id) it belongs to.
    pub notice: Option<(&'static str, String)>,
    /// A failure, and the page section it belongs to.
    pub error: Option<(&'static str, String)>,
    /// A settings field the provider refused, and why.
    pub field_error: Option<(String, String)>,
    /// The settings form as submitted (after a refusal).
    pub settings: Option<SettingsDraft>,
    /// Save & Test results.
    pub report: Option<Report>,
    /// A SCIM token just generated: shown once, then gone.
    pub token: Option<SecretString>,
    /// A mapping change made or previewed.
    pub mapping: Option<MappingChange>,
    /// The mapping form as submitted (after a preview or a refusal).
    pub mapping_draft: Option<MappingDraft>,
}

struct Session {
    csrf: String,
    /// Who signed in (an Okta userName, or the bootstrap token), shown on the page.
    who: String,
    created: Instant,
    last_seen: Instant,
    flash: Option<Flash>,
}

/// The live sessions of this process.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        // A panic while the lock was held cannot leave a session half-written: keep serving.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a session for `who` under a new random id (never one the browser offered); returns the
    /// id (for the cookie).
    pub fn create(&self, who: &str) -> String {
        let now = Instant::now();
        let id = random_token();
        let mut sessions = self.lock();
        sessions.retain(|_, s| live(s, now));
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| k.clone()) {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            id.clone(),
            Session { csrf: random_token(), who: who.to_owned(), created: now, last_seen: now, flash: None },
        );
        id
    }

    /// The CSRF token of a live session (and marks it used), `None` when unknown or expired.
    pub fn touch(&self, id: &str) -> Option<String> {
        let now = Instant::now();
        let mut sessions = self.lock();
        match sessions.get_mut(id) {
            Some(s) if live(s, now) => {
                s.last_seen = now;
                Some(s.csrf.clone())
            }
            Some(_) => {
                sessions.remove(id);
                None
            }
            None => None,
        }
    }

    /// Who signed in to the session.
    pub fn who(&self, id: &str) -> Option<String> {
        self.lock().get(id).map(|s| s.who.clone())
    }

    /// Whether `presented` is the session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, id: &str, presented: &str) -> bool {
        let sessions = self.lock();
        sessions.get(id).is_some_and(|s| bool::from(s.csrf.as_bytes().ct_eq(presented.as_bytes())))
    }

    /// Leaves `flash` for the session's next page view (replacing an unseen one).
    pub fn set_flash(&self, id: &str, flash: Flash) {
        if let Some(s) = self.lock().get_mut(id) {
            s.flash = Some(flash);
        }
    }

    /// Takes what the last POST left, if anything.
    pub fn take_flash(&self, id: &str) -> Option<Flash> {
        self.lock().get_mut(id).and_then(|s| s.flash.take())
    }

    /// Ends a session (sign-out).
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}

fn live(s: &Session, now: Instant) -> bool {
    now.duration_since(s.last_seen) < IDLE_TIMEOUT && now.duration_since(s.created) < ABSOLUTE_TIMEOUT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_and_csrf() {
        let sessions = Sessions::default();
        let id = sessions.create("ada@example.com");
        assert_eq!(id.len(), 64);
        assert_eq!(sessions.who(&id).as_deref(), Some("ada@example.com"));
        let csrf = sessions.touch(&id).unwrap();
        assert_ne!(csrf, id);
        assert!(sessions.csrf_matches(&id, &csrf));
        assert!(!sessions.csrf_matches(&id, ""));
        assert!(!sessions.csrf_matches(&id, &csrf[1..]));
        assert!(!sessions.csrf_matches("unknown", &csrf));
        assert!(sessions.touch("unknown").is_none());
        sessions.set_flash(&id, Flash { notice: Some(("settings", "saved".into())), ..Flash::default() });
        assert!(sessions.take_flash(&id).is_some());
        assert!(sessions.take_flash(&id).is_none(), "a flash is shown once");
        sessions.remove(&id);
        assert!(sessions.touch(&id).is_none());
    }
}
