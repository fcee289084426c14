//! Content-Security-Policy of each output mode. The single file allows only its own inline
//! scripts (by SHA-256 hash) and WebAssembly compilation, and no network request at all.

use base64::Engine;
use sha2::{Digest, Sha256};

/// `'sha256-…'` source expression of an inline script's exact text.
pub fn script_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Policy of the single file: nothing may be fetched, only the hashed scripts run.
pub fn single_file(script_hashes: &[String]) -> String {
    format!(
        "default-src 'none'; script-src {} 'wasm-unsafe-eval'; style-src 'unsafe-inline'; \
         img-src data: blob:; font-src data:; connect-src 'none'; worker-src 'none'; \
         frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'",
        script_hashes.join(" ")
    )
}

/// Policy of the multi-file site: scripts, styles and data only from the site itself.
pub fn multi_file() -> String {
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; \
     img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'none'; \
     frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
        .to_string()
}

/// Makes script text safe to place between `<script>` and `</script>`: the HTML parser
/// ends the element at the first `</script`, so that sequence is written `<\/script`,
/// which means the same in every JavaScript context where it can occur.
pub fn inline_script_text(js: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut rest = js;
    while let Some(at) = find_ascii_case_insensitive(rest, "</script") {
        out.push_str(&rest[..at]);
        out.push_str("<\\/");
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out.replace("<!--", "<\\!--")
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_script_text_cannot_close_the_element() {
        let js = "let a = '</script><script>alert(1)</SCRIPT>'; // <!-- x";
        let safe = inline_script_text(js);
        assert!(!safe.to_ascii_lowercase().contains("</script"));
        assert!(!safe.contains("<!--"));
        assert_eq!(
            safe,
            "let a = '<\\/script><script>alert(1)<\\/SCRIPT>'; // <\\!-- x"
        );
    }

    #[test]
    fn hash_matches_the_csp_spec_example_form() {
        // sha256 of the empty string, base64.
        assert_eq!(
            script_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }

    /// The template writes the policy into a double-quoted attribute unescaped (so the
    /// page reads as the policy it is); that is sound only while it holds no markup bytes.
    #[test]
    fn policies_are_safe_in_a_double_quoted_attribute_as_they_are() {
        let hashes = [script_hash("a"), script_hash("</script>\"&")];
        for policy in [single_file(&hashes), multi_file()] {
            assert!(!policy.contains(['"', '<', '>', '&']), "{policy}");
        }
    }
}
