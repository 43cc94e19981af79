//! `info`: where the data lives and which environment is active, read from
//! the same store the desktop app uses.

use fatoora_base::secrets::SecretBackend;
use fatoora_base::store::StoreError;
use fatoora_base::{DataDir, Localized, Store};

use crate::{Cli, exit};

pub fn run(cli: &Cli) -> anyhow::Result<u8> {
    let version = env!("CARGO_PKG_VERSION");
    let opened = DataDir::resolve(cli.data_dir.as_deref())
        .map_err(|error| error.explain())
        .and_then(|data_dir| {
            Store::open(&data_dir)
                .map(|store| (data_dir, store))
                .map_err(|error| error.explain())
        });
    let (data_dir, store) = match opened {
        Ok(opened) => opened,
        Err(explanation) => return Ok(fail(cli, &explanation)),
    };
    let settings = (|| Ok::<_, StoreError>((store.environment()?, store.language()?, store.schema_version()?)))();
    let (environment, language, schema) = match settings {
        Ok(settings) => settings,
        Err(error) => return Ok(fail(cli, &error.explain())),
    };
    let secret_store = SecretBackend::from_env().map(SecretBackend::id).unwrap_or("invalid");

    if cli.json {
        println!(
            "{}",
            serde_json::json!({
                "version": version,
                "dataDir": data_dir.root(),
                "database": store.path(),
                "logs": data_dir.logs(),
                "schemaVersion": schema,
                "environment": environment,
                "environmentLabel": environment.label(),
                "language": language,
                "secretStore": secret_store,
            })
        );
    } else {
        println!("fatoora-onboard {version}");
        println!("data directory: {}", data_dir.root().display());
        println!("database:       {} (schema {schema})", store.path().display());
        println!("logs:           {}", data_dir.logs().display());
        println!("environment:    {environment} ({})", environment.label().get(language));
        println!("language:       {}", language.code());
        println!("secret store:   {secret_store}");
    }
    Ok(exit::OK)
}

/// Prints the explanation in both languages and returns the failure code.
fn fail(cli: &Cli, explanation: &Localized) -> u8 {
    if cli.json {
        println!("{}", serde_json::json!({ "error": explanation }));
    } else {
        eprintln!("error: {}", explanation.en);
        eprintln!("خطأ: {}", explanation.ar);
    }
    exit::FAILURE
}
