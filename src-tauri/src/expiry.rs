//! CSID expiry reminders: the banner's list, and each newly crossed
//! 30/7/1-day threshold (or expiry) sent once as an OS notification. A
//! notification counts as sent only when the desktop says it showed it; when
//! it does not, the banner says so and the next call tries again.

use chrono::{DateTime, Utc};
use fatoora_batch::expiry::{self, NotShown, Notifier};
use fatoora_base::Store;
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, Manager};

use crate::commands::EnvironmentInfo;
use crate::fleet::{blocking, days};
use crate::shell::{CommandError, LocalizedText, Shell};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ExpiryReminder {
    pub unit_id: String,
    pub common_name: Option<String>,
    pub vat_number: Option<String>,
    pub environment: EnvironmentInfo,
    /// RFC 3339, UTC.
    pub expires_at: String,
    pub days_left: i32,
    /// 30, 7 or 1 (days), 0 once expired.
    pub threshold_days: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct ExpiryReminders {
    /// Soonest first.
    pub reminders: Vec<ExpiryReminder>,
    /// Why the desktop did not show a reminder due as an OS notification
    /// just now, with its answer; none when every due one was shown.
    pub notification_problem: Option<LocalizedText>,
}

/// The OS notification, and the desktop's answer to it.
struct OsNotifier<'a>(&'a AppHandle);

/// How long the desktop's notification server has to answer, so that a hung
/// one cannot hold the store.
#[cfg(target_os = "linux")]
const ANSWER_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Linux: straight to the desktop's notification server over D-Bus, whose
/// answer is the receipt: the notification's id, or an error (D-Bus's
/// ServiceUnknown when no server runs). The notification plugin sends from
/// a task of its own and drops that answer.
#[cfg(target_os = "linux")]
impl Notifier for OsNotifier<'_> {
    fn notify(&self, title: &str, body: &str) -> Result<String, NotShown> {
        let mut notification = notify_rust::Notification::new();
        notification.appname(&self.0.package_info().name).summary(title).body(body);
        match tauri::async_runtime::block_on(tokio::time::timeout(ANSWER_WITHIN, notification.show_async())) {
            Ok(Ok(handle)) => Ok(format!("notification id {}", handle.id())),
            Ok(Err(error)) => Err(NotShown { answer: error.to_string() }),
            Err(_) => Err(NotShown { answer: format!("no answer within {} s", ANSWER_WITHIN.as_secs()) }),
        }
    }
}

/// Windows and macOS: through the notification plugin, which reports only
/// whether it could hand the notification over.
#[cfg(not(target_os = "linux"))]
impl Notifier for OsNotifier<'_> {
    fn notify(&self, title: &str, body: &str) -> Result<String, NotShown> {
        use tauri_plugin_notification::NotificationExt;
        let shown = self.0.notification().builder().title(title).body(body).show();
        shown.map(|()| "handed to the notification plugin".to_owned()).map_err(|error| NotShown { answer: error.to_string() })
    }
}

fn reminders(store: &Store, notifier: &dyn Notifier, now: DateTime<Utc>) -> Result<ExpiryReminders, fatoora_base::store::StoreError> {
    let notified = expiry::notify_due(store, notifier, now)?;
    let expiring = expiry::expiring(store, chrono::Duration::days(expiry::REMINDER_DAYS[0]), now)?;
    Ok(ExpiryReminders {
        reminders: expiring
            .into_iter()
            .filter_map(|unit| {
                Some(ExpiryReminder {
                    threshold_days: days(unit.reminder?),
                    unit_id: unit.unit_id,
                    common_name: unit.common_name,
                    vat_number: unit.vat_number,
                    environment: unit.environment.into(),
                    expires_at: unit.expires_at.to_rfc3339(),
                    days_left: days(unit.days_left),
                })
            })
            .collect(),
        notification_problem: notified.not_shown.first().map(|(_, error)| error.explain().into()),
    })
}

/// The CSIDs that expire within 30 days or have expired, soonest first, for
/// the banner; each newly crossed 30/7/1-day threshold (or expiry) is also
/// sent once as an OS notification. The home screen asks at start-up, so
/// the notifications go out when the app starts. Off the window's thread:
/// the desktop's answer is waited for.
#[tauri::command]
#[specta::specta]
pub async fn expiry_reminders(app: AppHandle) -> Result<ExpiryReminders, CommandError> {
    blocking(move || app.state::<Shell>().with_store(|store| reminders(store, &OsNotifier(&app), Utc::now()))).await
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use fatoora_base::{DataDir, Environment};
    use fatoora_units::state::{self, OnboardingState, Step};

    use super::*;

    /// A desktop that shows notifications, or refuses them all.
    struct Desktop {
        shown: RefCell<Vec<String>>,
        refuses: bool,
    }

    impl Notifier for Desktop {
        fn notify(&self, title: &str, _body: &str) -> Result<String, NotShown> {
            if self.refuses {
                return Err(NotShown { answer: "org.freedesktop.DBus.Error.ServiceUnknown".into() });
            }
            self.shown.borrow_mut().push(title.to_owned());
            Ok(format!("notification id {}", self.shown.borrow().len()))
        }
    }

    #[test]
    fn the_banner_lists_expiring_csids_and_notifies_each_threshold_once_the_desktop_shows_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&DataDir::at(dir.path())).unwrap();
        let now = Utc::now();
        let mut record = OnboardingState::new("u-1", Environment::Local);
        record.step = Step::Issued;
        record.pcsid_expires_at = Some(now + chrono::Duration::days(6));
        state::save(store.connection(), &record).unwrap();

        let refusing = Desktop { shown: RefCell::default(), refuses: true };
        let refused = reminders(&store, &refusing, now).unwrap();
        assert_eq!(refused.reminders.len(), 1, "the banner shows what the desktop did not");
        let problem = refused.notification_problem.expect("the refusal is said");
        assert!(problem.en.contains("ServiceUnknown") && problem.ar.contains("ServiceUnknown"), "{problem:?}");

        let desktop = Desktop { shown: RefCell::default(), refuses: false };
        let first = reminders(&store, &desktop, now).unwrap();
        let reminder = &first.reminders[0];
        assert_eq!((first.reminders.len(), reminder.threshold_days, reminder.days_left), (1, 7, 5));
        assert_eq!(first.notification_problem, None);
        let again = reminders(&store, &desktop, now).unwrap();
        assert_eq!(again.reminders.len(), 1, "the banner stays while the CSID is near expiry");
        assert_eq!(desktop.shown.borrow().len(), 1, "the OS notification does not repeat once shown");
    }
}
