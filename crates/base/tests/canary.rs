//! The canary: a secret carrying a unique marker passes through every layer
//! (secret stores, the database, the log, Debug output, error messages), and
//! afterwards the marker is found in no file of the data directory (database,
//! its -wal and -shm, logs, secrets file) and in no Debug or error text.

use std::path::Path;

use base64::Engine;
use fatoora_base::secrets::{
    EncryptedFileStore, KeyringStore, Passphrase, SecretBytes, SecretName, SecretStore, Sensitive,
};
use fatoora_base::{DataDir, Environment, Store, logging};

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[test]
fn the_canary_marker_reaches_no_log_database_page_or_debug_output() {
    let marker = format!(
        "CANARY-{}-{}-MARKER",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let secret_text = format!("-----BEGIN PRIVATE KEY-----\n{marker}\n-----END PRIVATE KEY-----\n");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = DataDir::at(dir.path().join("data"));

    let subscriber = logging::file_subscriber(&data_dir.logs()).unwrap();
    let mut debug_outputs = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        let mut store = Store::open(&data_dir).unwrap();
        store.set_environment(Environment::Simulation).unwrap();
        let secret = SecretBytes::new(secret_text.clone().into_bytes());
        let name = SecretName::new("unit/canary/simulation/private-key").unwrap();

        // Secret stores: the encrypted file always, the keychain when a
        // Secret Service is there.
        let passphrase = Passphrase::new(format!("passphrase-{marker}"));
        let file_store = EncryptedFileStore::open(data_dir.secrets_file(), &passphrase).unwrap();
        let mut stores: Vec<Box<dyn SecretStore>> = vec![Box::new(file_store)];
        let keychain = KeyringStore::new(format!("sa.fatoora-onboard.canary-{}", std::process::id()));
        match fatoora_base::skip::keychain_missing(&keychain) {
            None => stores.push(Box::new(keychain)),
            // The file layer still runs; the keychain layer is reported as skipped.
            Some(reason) => fatoora_base::skip::skip(format_args!("keychain layer: {reason}")),
        }
        for secret_store in &stores {
            secret_store.put(&name, &secret).unwrap();
            let back = secret_store.get(&name).unwrap().unwrap();
            assert_eq!(back.expose(), secret.expose());
            debug_outputs.push(format!(
                "{back:?} {secret_store:?}",
                secret_store = secret_store.backend()
            ));
        }

        // The database: the secret's name and a record about it, never it.
        store
            .transaction(|tx| {
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES ('canary-key-ref', json_quote(?1))",
                    [name.as_str()],
                )
            })
            .unwrap();
        store.set_setting("canary-debug", &format!("{secret:?}")).unwrap();

        // The log: a secret-named field, an ordinary field holding the
        // exposed value, the value in the message, Debug of the wrapper, and
        // the passphrase.
        let exposed = std::str::from_utf8(secret.expose()).unwrap();
        tracing::info!(private_key = exposed, "canary: field named as a secret");
        tracing::info!(note = exposed, "canary: ordinary field");
        tracing::warn!("canary: in the message {exposed}");
        tracing::info!(wrapper = ?secret, "canary: Debug of the wrapper");
        tracing::info!(detail = ?exposed, "canary: Debug of the exposed text");
        tracing::info!(
            b64 = %base64::engine::general_purpose::STANDARD.encode(secret.expose()),
            "canary: base64 of the secret"
        );
        tracing::info!(passphrase = passphrase.expose(), other = %passphrase.expose(), "canary: passphrase");
        let wrapped = Sensitive::new(marker.clone());
        debug_outputs.push(format!("{wrapped:?} {passphrase:?} {store:?}"));

        // Error paths carry no secret either.
        let wrong = EncryptedFileStore::open(data_dir.secrets_file(), &Passphrase::new(format!("wrong-{marker}")));
        let error = wrong.unwrap_err();
        debug_outputs.push(format!("{error:?} {error} {:?}", error.explain()));
        tracing::error!(error = %error, "canary: an error");

        for secret_store in &stores {
            assert!(secret_store.delete(&name).unwrap());
        }
        // Keep the store open: its -wal file is still on disk to be read.
        let files = files_under(dir.path());
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.ends_with("-wal")),
            "no WAL file to check: {names:?}"
        );
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("fatoora-onboard") && n.ends_with(".log")),
            "no log file: {names:?}"
        );
        assert!(names.iter().any(|n| n == "secrets.enc"), "no secrets file: {names:?}");
        check_files(&files, &marker);
        drop(store);
    });

    // And once more after the store closed and checkpointed into the main file.
    check_files(&files_under(dir.path()), &marker);
    let log = files_under(&data_dir.logs())
        .into_iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<String>();
    for line in [
        "field named as a secret",
        "ordinary field",
        "in the message",
        "Debug of the wrapper",
        "base64",
        "passphrase",
        "an error",
    ] {
        assert!(
            log.contains(line),
            "log line {line:?} missing: the canary proved nothing\n{log}"
        );
    }
    assert!(log.contains("[REDACTED]"), "{log}");
    assert!(log.contains("wrapper=Sensitive([REDACTED])"), "{log}");
    assert!(log.contains("canary: in the message [REDACTED]"), "{log}");
    for output in &debug_outputs {
        assert!(!output.contains(&marker), "marker in Debug/error output: {output}");
        assert!(!output.contains("CANARY-"), "{output}");
    }
}

fn check_files(files: &[std::path::PathBuf], marker: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(marker);
    for file in files {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !contains(&bytes, marker.as_bytes()),
            "marker found in {}",
            file.display()
        );
        assert!(
            !contains(&bytes, b"CANARY-"),
            "marker prefix found in {}",
            file.display()
        );
        // Base64 of a marker that starts mid-stream shifts, so look for the
        // encoded marker alone only as a weaker extra check.
        assert!(
            !contains(&bytes, encoded.as_bytes()),
            "base64 marker found in {}",
            file.display()
        );
    }
}
