//! The member token: in the OS keyring where one works, else in `<data dir>/sharing-token`
//! (mode 0600). Never in config.toml, the settings file or a log.

use std::io::Write;
use std::path::Path;

use crate::settings::{private_file, TokenStore, TOKEN_FILE};
use crate::Error;

const SERVICE: &str = "tokenworth-board";

fn account(device_id: &str) -> String {
    format!("device-{device_id}")
}

/// Saves the token; returns where, and (for the file) why the keyring was not used.
pub fn save(
    dir: &Path,
    use_keyring: bool,
    device_id: &str,
    token: &str,
) -> Result<(TokenStore, Option<String>), Error> {
    let why = if use_keyring {
        match keyring_save(device_id, token) {
            Ok(()) => return Ok((TokenStore::Keyring, None)),
            Err(e) => format!("the OS keyring refused the token ({e})"),
        }
    } else {
        "the OS keyring is turned off (TOKENWORTH_KEYRING=off)".to_string()
    };
    let path = dir.join(TOKEN_FILE);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut f = private_file(&path)?;
        // An existing file keeps its mode through create(): make sure it is 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(token.as_bytes())?;
        f.sync_all()
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&path);
        Error::Local(format!("{why}, and {} cannot be written: {e}", path.display()))
    })?;
    Ok((
        TokenStore::File,
        Some(format!("{why}; the token is kept in {} (readable by you only)", path.display())),
    ))
}

pub fn load(dir: &Path, store: TokenStore, device_id: &str) -> Result<String, Error> {
    match store {
        TokenStore::Keyring => keyring_load(device_id).map_err(|e| {
            Error::Local(format!(
                "the board token is not in the OS keyring ({e}); `tokenworth share leave` cannot reach the \
                 board without it: join again with a new invite"
            ))
        }),
        TokenStore::File => {
            let path = dir.join(TOKEN_FILE);
            let t = std::fs::read_to_string(&path).map_err(|e| {
                Error::Local(format!("the board token cannot be read from {}: {e}", path.display()))
            })?;
            Ok(t.trim().to_string())
        }
    }
}

/// Removes the token wherever it is (both places, to leave nothing behind).
pub fn forget(dir: &Path, store: TokenStore, device_id: &str) {
    if store == TokenStore::Keyring {
        let _ = keyring_delete(device_id);
    }
    let _ = std::fs::remove_file(dir.join(TOKEN_FILE));
}

fn keyring_save(device_id: &str, token: &str) -> Result<(), String> {
    let entry = keyring::Entry::new(SERVICE, &account(device_id)).map_err(|e| e.to_string())?;
    entry.set_password(token).map_err(|e| e.to_string())?;
    // A keyring that says yes but keeps nothing is a refusal too.
    match entry.get_password() {
        Ok(t) if t == token => Ok(()),
        Ok(_) => {
            let _ = entry.delete_credential();
            Err("it did not give the token back".into())
        }
        Err(e) => {
            let _ = entry.delete_credential();
            Err(e.to_string())
        }
    }
}

fn keyring_load(device_id: &str) -> Result<String, String> {
    let entry = keyring::Entry::new(SERVICE, &account(device_id)).map_err(|e| e.to_string())?;
    entry.get_password().map_err(|e| e.to_string())
}

fn keyring_delete(device_id: &str) -> Result<(), String> {
    let entry = keyring::Entry::new(SERVICE, &account(device_id)).map_err(|e| e.to_string())?;
    entry.delete_credential().map_err(|e| e.to_string())
}
