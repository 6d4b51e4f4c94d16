//! A deterministic, realistic skill folder for benchmarks: Markdown-like text that
//! compresses about like prose, spread over nested folders, plus a few scripts.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

const WORDS: &[&str] = &[
    "the",
    "skill",
    "agent",
    "file",
    "use",
    "when",
    "to",
    "and",
    "of",
    "a",
    "for",
    "with",
    "data",
    "output",
    "input",
    "reference",
    "script",
    "run",
    "check",
    "build",
    "test",
    "error",
    "value",
    "table",
    "format",
    "example",
    "request",
    "response",
    "model",
    "tool",
    "call",
    "document",
    "section",
    "step",
    "before",
    "after",
    "always",
    "never",
    "return",
    "string",
    "number",
    "list",
    "object",
    "field",
    "name",
    "description",
    "license",
    "metadata",
    "page",
    "image",
    "render",
    "convert",
    "extract",
    "merge",
    "split",
    "read",
    "write",
    "update",
];

/// Writes about `total_bytes` of text into `dir` (created), deterministically.
pub fn generate(dir: &Path, total_bytes: usize) -> io::Result<()> {
    let mut state: u64 = 0x5eed_1234_abcd_ef01;
    let mut next = move || {
        // xorshift64*: fast and reproducible across platforms.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    fs::create_dir_all(dir)?;
    fs::write(
        dir.join("SKILL.md"),
        "---\nname: bench-skill\ndescription: Benchmark skill. Use when measuring packaging.\nlicense: MIT\n---\n# Bench\n",
    )?;
    let files = 48usize;
    let per_file = total_bytes / files;
    for i in 0..files {
        let sub = match i % 4 {
            0 => "references".to_owned(),
            1 => format!("references/topic-{}", i % 5),
            2 => "assets".to_owned(),
            _ => "scripts".to_owned(),
        };
        let ext = if i % 4 == 3 { "py" } else { "md" };
        fs::create_dir_all(dir.join(&sub))?;
        let mut f = io::BufWriter::new(fs::File::create(
            dir.join(&sub).join(format!("file-{i:02}.{ext}")),
        )?);
        let mut written = 0;
        let mut line_len = 0;
        while written < per_file {
            let r = next();
            let word = WORDS[(r % WORDS.len() as u64) as usize];
            f.write_all(word.as_bytes())?;
            written += word.len();
            line_len += word.len();
            let sep: &[u8] = if line_len > 72 {
                line_len = 0;
                if r >> 60 == 0 { b".\n\n" } else { b"\n" }
            } else if (r >> 32) % 11 == 0 {
                b", "
            } else {
                b" "
            };
            f.write_all(sep)?;
            written += sep.len();
        }
        f.flush()?;
    }
    Ok(())
}
