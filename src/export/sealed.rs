//! Self-checking binary files for state that blocsim reads back: a shard's partial result
//! (`partial.bin`) and a batch's checkpoint (`.blocsim-progress/checkpoint.bin`).
//!
//! Layout, all integers little-endian:
//!
//! ```text
//! "blocsim <kind>\n"         magic line naming what the file holds
//! u32                        format version of that kind
//! u64, bytes                 header: JSON (what the body belongs to, human-readable with `strings`)
//! u64, bytes                 body: opaque bytes (an aggregator state)
//! [u8; 32]                   SHA-256 of everything above
//! ```
//!
//! A file that is truncated, altered, of another kind or of another format version is refused with
//! a message saying which, so a damaged or foreign file is never read as valid state.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// Encode `header` (as JSON) and `body` into a sealed file's bytes.
pub fn seal<H: Serialize>(kind: &str, version: u32, header: &H, body: &[u8]) -> Vec<u8> {
    let header = serde_json::to_vec(header).unwrap_or_default();
    let mut out = Vec::with_capacity(64 + header.len() + body.len());
    out.extend_from_slice(format!("blocsim {kind}\n").as_bytes());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

/// Decode a sealed file of `kind` and `version`: its header and body. The error says what is wrong
/// (not this kind of file, another format version, damaged), without the path.
pub fn unseal<H: DeserializeOwned>(kind: &str, version: u32, bytes: &[u8]) -> Result<(H, Vec<u8>), String> {
    let magic = format!("blocsim {kind}\n");
    let rest = bytes
        .strip_prefix(magic.as_bytes())
        .ok_or_else(|| format!("not a blocsim {kind} file"))?;
    if bytes.len() < magic.len() + 4 + 8 + 8 + 32 {
        return Err(format!("damaged {kind} file (truncated)"));
    }
    let (content, digest) = bytes.split_at(bytes.len() - 32);
    if Sha256::digest(content).as_slice() != digest {
        return Err(format!("damaged {kind} file (checksum mismatch)"));
    }
    let mut r = &rest[..rest.len() - 32];
    let found = u32::from_le_bytes(take(&mut r, 4)?.try_into().map_err(|_| "truncated")?);
    if found != version {
        return Err(format!(
            "{kind} file of format version {found}; this blocsim reads version {version}"
        ));
    }
    let header_len = read_len(&mut r)?;
    let header = take(&mut r, header_len)?;
    let header: H = serde_json::from_slice(header).map_err(|e| format!("damaged {kind} header: {e}"))?;
    let body_len = read_len(&mut r)?;
    let body = take(&mut r, body_len)?.to_vec();
    if !r.is_empty() {
        return Err(format!("damaged {kind} file (trailing bytes)"));
    }
    Ok((header, body))
}

fn read_len(r: &mut &[u8]) -> Result<usize, String> {
    let raw: [u8; 8] = take(r, 8)?.try_into().map_err(|_| "truncated".to_string())?;
    usize::try_from(u64::from_le_bytes(raw)).map_err(|_| "length out of range".to_string())
}

fn take<'a>(r: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if r.len() < n {
        return Err("damaged file (truncated)".into());
    }
    let (head, tail) = r.split_at(n);
    *r = tail;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let bytes = seal("partial", 1, &serde_json::json!({"seed": 7}), b"body");
        let (h, body): (serde_json::Value, Vec<u8>) = unseal("partial", 1, &bytes).expect("round trip");
        assert_eq!(h["seed"], 7);
        assert_eq!(body, b"body");
        assert_eq!(
            unseal::<serde_json::Value>("checkpoint", 1, &bytes).unwrap_err(),
            "not a blocsim checkpoint file"
        );
        assert_eq!(
            unseal::<serde_json::Value>("partial", 2, &bytes).unwrap_err(),
            "partial file of format version 1; this blocsim reads version 2"
        );
        let mut flipped = bytes.clone();
        let at = flipped.len() - 40;
        flipped[at] ^= 1;
        assert_eq!(
            unseal::<serde_json::Value>("partial", 1, &flipped).unwrap_err(),
            "damaged partial file (checksum mismatch)"
        );
        assert!(unseal::<serde_json::Value>("partial", 1, &bytes[..bytes.len() - 1]).is_err());
        assert!(unseal::<serde_json::Value>("partial", 1, &bytes[..20]).is_err());
    }
}
