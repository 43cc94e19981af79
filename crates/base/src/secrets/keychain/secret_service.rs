//! Linux: the Secret Service (GNOME Keyring, KWallet) over D-Bus, through
//! `dbus-secret-service`, with one bus connection and one Secret Service
//! session for the whole process.
//!
//! `keyring` 3 opened a new connection and a new Diffie-Hellman session for
//! every operation (two for a write), which made the keyring daemon the
//! largest CPU cost of a batch (issue 16). Items keep the attributes and the
//! default collection `keyring` 3 used, so keys it stored are found and
//! replaced as before.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use dbus_secret_service::{Collection, EncryptionType, Error, Item, Path, SearchItemsResult, SecretService};

use crate::secrets::{SecretBytes, SecretError, SecretName};

/// The process's session, opened on first use. Secret Service calls are
/// answered one at a time by the daemon anyway, so holding the lock across
/// a call costs no parallelism.
static SESSION: Mutex<Option<Session>> = Mutex::new(None);

const IS_LOCKED: &str = "org.freedesktop.Secret.Error.IsLocked";

struct Session {
    service: SecretService,
    /// Where writes go, asked once per session: each round trip to the
    /// daemon waits for it to be scheduled, which on a busy machine costs
    /// more than the call itself.
    default_collection: Option<Path<'static>>,
}

impl Session {
    fn default_collection(&mut self) -> Result<Collection<'_>, Error> {
        let path = match &self.default_collection {
            Some(path) => path.clone(),
            None => {
                let path = self.service.get_default_collection()?.path.clone();
                self.default_collection = Some(path.clone());
                path
            }
        };
        Ok(Collection::new(&self.service, path))
    }
}

/// What `keyring` 3 wrote on every item; the search uses all but
/// `application`, as it did.
const TARGET: &str = "default";
const APPLICATION: &str = "rust-keyring";

enum Failure {
    Service(Error),
    /// More than one item answers to one name: never written by this app.
    Ambiguous(usize),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Service(error)
    }
}

pub(super) fn put(namespace: &str, name: &SecretName, secret: &[u8]) -> Result<(), SecretError> {
    let label = format!("{name} ({namespace})");
    let mut attributes = search_attributes(namespace, name);
    attributes.insert("application", APPLICATION);
    with_session(|session| {
        let collection = session.default_collection()?;
        // `replace`: an item with the same attributes gets the new secret.
        let create = || collection.create_item(&label, attributes.clone(), secret, true, "text/plain");
        match create() {
            // Unlocked only when it is locked (the daemon may ask the user),
            // rather than asked before every write.
            Err(error) if is_locked(&error) => {
                collection.unlock()?;
                create()?;
            }
            created => {
                created?;
            }
        }
        Ok(())
    })
}

pub(super) fn get(namespace: &str, name: &SecretName) -> Result<Option<SecretBytes>, SecretError> {
    with_session(|session| match unique(session.service.search_items(search_attributes(namespace, name))?)? {
        Some(item) => Ok(Some(SecretBytes::new(item.get_secret()?))),
        None => Ok(None),
    })
}

pub(super) fn delete(namespace: &str, name: &SecretName) -> Result<bool, SecretError> {
    with_session(|session| match unique(session.service.search_items(search_attributes(namespace, name))?)? {
        Some(item) => item.delete().map(|()| true).map_err(Failure::from),
        None => Ok(false),
    })
}

fn search_attributes<'a>(namespace: &'a str, name: &'a SecretName) -> HashMap<&'a str, &'a str> {
    HashMap::from([("target", TARGET), ("service", namespace), ("username", name.as_str())])
}

fn is_locked(error: &Error) -> bool {
    match error {
        Error::Locked => true,
        Error::Dbus(error) => error.name() == Some(IS_LOCKED),
        _ => false,
    }
}

/// The one item found, unlocked (the daemon may ask the user).
fn unique(found: SearchItemsResult<Item<'_>>) -> Result<Option<Item<'_>>, Failure> {
    let count = found.unlocked.len() + found.locked.len();
    if count > 1 {
        return Err(Failure::Ambiguous(count));
    }
    if let Some(item) = found.locked.into_iter().next() {
        item.unlock()?;
        return Ok(Some(item));
    }
    Ok(found.unlocked.into_iter().next())
}

/// Opens the process's session on a thread of its own, unless it is open.
/// A first operation meanwhile waits on the session's lock for this one to
/// finish instead of opening a second session.
pub(in crate::secrets) fn open_ahead() {
    let spawned = std::thread::Builder::new().name("keychain-session".into()).spawn(|| {
        // An error is reported by the operation that needs the session.
        let _ = with_session(|session| session.default_collection().map(drop).map_err(Failure::from));
    });
    drop(spawned);
}

/// Runs `operation` on the process's session, opening it first if needed.
/// A session kept from earlier may have died with a restarted daemon or
/// bus: after a D-Bus error on it, one new session is opened and the
/// operation tried once more (writes replace, so a repeat is harmless).
fn with_session<T>(operation: impl Fn(&mut Session) -> Result<T, Failure>) -> Result<T, SecretError> {
    let mut slot = SESSION.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(session) = slot.as_mut() {
        match operation(session) {
            Err(Failure::Service(Error::Dbus(error))) if error.name() != Some(IS_LOCKED) => {}
            other => return other.map_err(classify),
        }
    }
    *slot = None;
    let service = SecretService::connect(EncryptionType::Dh).map_err(|error| SecretError::KeychainUnavailable {
        detail: error.to_string(),
    })?;
    tracing::debug!("Secret Service session opened");
    let session = slot.insert(Session { service, default_collection: None });
    operation(session).map_err(classify)
}

/// Error texts name D-Bus objects and error names, never a secret.
fn classify(failure: Failure) -> SecretError {
    match failure {
        Failure::Ambiguous(count) => SecretError::Keychain { detail: format!("{count} keychain items match one name") },
        Failure::Service(error @ (Error::Locked | Error::NoResult | Error::Prompt)) => {
            SecretError::KeychainLocked { detail: error.to_string() }
        }
        Failure::Service(Error::Dbus(error)) if error.name() == Some(IS_LOCKED) => {
            SecretError::KeychainLocked { detail: Error::Dbus(error).to_string() }
        }
        Failure::Service(error @ (Error::Dbus(_) | Error::Unavailable)) => {
            SecretError::KeychainUnavailable { detail: error.to_string() }
        }
        Failure::Service(other) => SecretError::Keychain { detail: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{KeyringStore, SecretStore};

    fn store(label: &str) -> Option<KeyringStore> {
        let store = KeyringStore::new(format!("sa.fatoora-onboard.test-{label}-{}", std::process::id()));
        match crate::skip::keychain_missing(&store) {
            Some(reason) => {
                crate::skip::skip(reason);
                None
            }
            None => Some(store),
        }
    }

    fn name(text: &str) -> SecretName {
        SecretName::new(text).unwrap()
    }

    /// The Secret Service sessions open in the daemon, by the object paths
    /// it lists. Asked with dbus-send (Debian's dbus-bin), from another
    /// process, so the question opens no session here.
    fn sessions_in_daemon() -> Vec<String> {
        let output = std::process::Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets/session",
                "org.freedesktop.DBus.Introspectable.Introspect",
            ])
            .output()
            .expect("dbus-send runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8_lossy(&output.stdout);
        let mut sessions: Vec<String> =
            text.split("<node name=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect();
        sessions.sort();
        sessions
    }

    /// Every store handle and thread of the process goes through one
    /// session: the daemon lists the same sessions after dozens of writes,
    /// reads and deletes as after the first call (keyring 3 opened and
    /// closed one per call, so none was left open between calls).
    #[test]
    fn the_whole_process_shares_one_secret_service_session() {
        let Some(store) = store("session") else { return };
        store.probe().unwrap();
        let before = sessions_in_daemon();
        assert!(!before.is_empty(), "the process keeps its session open between calls");
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let namespace = store.namespace().to_owned();
                scope.spawn(move || {
                    let handle = KeyringStore::new(namespace);
                    for round in 0..5 {
                        let secret = name(&format!("unit/t{thread}/local/r{round}"));
                        handle.put(&secret, &SecretBytes::new(vec![b's'; 40])).unwrap();
                        assert_eq!(handle.get(&secret).unwrap().unwrap().expose(), &vec![b's'; 40]);
                        assert!(handle.delete(&secret).unwrap());
                    }
                });
            }
        });
        assert_eq!(sessions_in_daemon(), before, "no session opened or closed by 60 calls from 4 threads");
    }

    /// An item as keyring 3 wrote it (its attributes and label) is read, and
    /// replaced rather than duplicated, so keys stored before this backend
    /// are still the unit's keys.
    #[test]
    fn items_keyring_3_stored_are_read_and_replaced() {
        let Some(store) = store("keyring3") else { return };
        let key = name("unit/old/local/private-key");
        let attributes = || {
            let mut attributes = search_attributes(store.namespace(), &key);
            attributes.insert("application", APPLICATION);
            attributes
        };
        let label = format!("{key}@{}:default (keyring v3.6.3)", store.namespace());
        with_session(|session| {
            session.default_collection()?.create_item(&label, attributes(), b"stored by keyring 3", false, "text/plain")?;
            Ok(())
        })
        .unwrap();
        assert_eq!(store.get(&key).unwrap().unwrap().expose(), b"stored by keyring 3");

        store.put(&key, &SecretBytes::new(b"stored now".to_vec())).unwrap();
        let items = with_session(|session| {
            let found = session.service.search_items(attributes())?;
            Ok(found.unlocked.len() + found.locked.len())
        })
        .unwrap();
        assert_eq!(items, 1, "replaced, not added beside");
        assert_eq!(store.get(&key).unwrap().unwrap().expose(), b"stored now");
        assert!(store.delete(&key).unwrap());
    }
}
