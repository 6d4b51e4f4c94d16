//! Archives as GitHub's codeload serves them: gzipped tar, one top-level folder
//! `{owner}-{repo}-{shortsha}/`, a leading `pax_global_header` carrying the commit id, and
//! `git archive`'s modes (0664 files, 0775 executables and folders, uid/gid 0).
//!
//! Also a raw builder for hostile archives (names and link targets written verbatim) and a
//! gzip bomb generator that never holds more than a few KiB.

use std::{
    collections::BTreeSet,
    io::{self, Write},
};

use axum::body::{Body, Bytes};
use flate2::{Compress, Compression, FlushCompress, write::GzEncoder};
use tar::{EntryType, Header};
use tokio::sync::mpsc;

use super::repo::FakeFile;

/// Chunk size of streamed archive bodies.
const CHUNK: usize = 64 * 1024;

/// Top-level folder GitHub puts every entry under.
pub fn archive_prefix(owner: &str, repo: &str, sha: &str) -> String {
    let short = &sha[..sha.len().min(7)];
    format!("{owner}-{repo}-{short}")
}

/// Builds a tar.gz entry by entry, writing names and link targets exactly as given (no
/// validation), so tests can produce the archives a safe extractor must refuse.
pub struct TarGzBuilder {
    tar: tar::Builder<GzEncoder<Vec<u8>>>,
    mtime: u64,
}

impl Default for TarGzBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TarGzBuilder {
    pub fn new() -> Self {
        Self {
            tar: tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default())),
            mtime: 1_700_000_000,
        }
    }

    /// A `pax_global_header` entry with `comment=<sha>`, as GitHub archives start.
    pub fn pax_global_comment(mut self, sha: &str) -> Self {
        let _ = append_global_comment(&mut self.tar, sha, self.mtime);
        self
    }

    pub fn dir(mut self, name: &str) -> Self {
        let _ = append_raw(
            &mut self.tar,
            EntryType::Directory,
            name.as_bytes(),
            None,
            0o775,
            &[],
            self.mtime,
        );
        self
    }

    pub fn file(mut self, name: &str, data: impl AsRef<[u8]>) -> Self {
        let _ = append_raw(
            &mut self.tar,
            EntryType::Regular,
            name.as_bytes(),
            None,
            0o664,
            data.as_ref(),
            self.mtime,
        );
        self
    }

    pub fn symlink(mut self, name: &str, target: &str) -> Self {
        let _ = append_raw(
            &mut self.tar,
            EntryType::Symlink,
            name.as_bytes(),
            Some(target.as_bytes()),
            0o777,
            &[],
            self.mtime,
        );
        self
    }

    pub fn hardlink(mut self, name: &str, target: &str) -> Self {
        let _ = append_raw(
            &mut self.tar,
            EntryType::Link,
            name.as_bytes(),
            Some(target.as_bytes()),
            0o664,
            &[],
            self.mtime,
        );
        self
    }

    /// A character device entry (`major`, `minor`), e.g. 1,3 for /dev/null.
    pub fn char_device(mut self, name: &str, major: u32, minor: u32) -> Self {
        let mut h = base_header(EntryType::Char, name.as_bytes(), None, 0o666, 0, self.mtime);
        let _ = h.set_device_major(major);
        let _ = h.set_device_minor(minor);
        h.set_cksum();
        let _ = self.tar.append(&h, io::empty());
        self
    }

    /// Finishes the tar and gzip streams. Writing to a `Vec` cannot fail, so errors only
    /// come from the tar crate's own bookkeeping; they surface as a truncated archive,
    /// which is itself a fine hostile input.
    pub fn finish(self) -> Vec<u8> {
        self.tar
            .into_inner()
            .and_then(|gz| gz.finish())
            .unwrap_or_default()
    }
}

fn base_header(
    kind: EntryType,
    name: &[u8],
    link: Option<&[u8]>,
    mode: u32,
    size: u64,
    mtime: u64,
) -> Header {
    let mut h = Header::new_ustar();
    if let Some(ustar) = h.as_ustar_mut() {
        let n = name.len().min(ustar.name.len());
        ustar.name[..n].copy_from_slice(&name[..n]);
        if let Some(link) = link {
            let n = link.len().min(ustar.linkname.len());
            ustar.linkname[..n].copy_from_slice(&link[..n]);
        }
    }
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(mtime);
    h.set_uid(0);
    h.set_gid(0);
    let _ = h.set_username("root");
    let _ = h.set_groupname("root");
    h.set_cksum();
    h
}

/// Appends one entry with its name written verbatim; names or targets longer than the
/// ustar fields get a pax extended header first, as `git archive` does.
fn append_raw<W: Write>(
    tar: &mut tar::Builder<W>,
    kind: EntryType,
    name: &[u8],
    link: Option<&[u8]>,
    mode: u32,
    data: &[u8],
    mtime: u64,
) -> io::Result<()> {
    let mut pax: Vec<(&str, &[u8])> = Vec::new();
    if name.len() > 100 {
        pax.push(("path", name));
    }
    if let Some(link) = link.filter(|l| l.len() > 100) {
        pax.push(("linkpath", link));
    }
    if !pax.is_empty() {
        tar.append_pax_extensions(pax)?;
    }
    let h = base_header(kind, name, link, mode, data.len() as u64, mtime);
    tar.append(&h, data)
}

fn append_global_comment<W: Write>(
    tar: &mut tar::Builder<W>,
    sha: &str,
    mtime: u64,
) -> io::Result<()> {
    let record = pax_record("comment", sha);
    let h = base_header(
        EntryType::XGlobalHeader,
        b"pax_global_header",
        None,
        0o666,
        record.len() as u64,
        mtime,
    );
    tar.append(&h, record.as_bytes())
}

/// `"<len> key=value\n"` where `<len>` counts the whole record, itself included.
fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while len.to_string().len() + body.len() != len {
        len = len.to_string().len() + body.len();
    }
    format!("{len}{body}")
}

/// Writes the archive of `files` the way GitHub does to `out`.
pub(crate) fn write_tree_archive<W: Write>(
    out: W,
    prefix: &str,
    sha: &str,
    files: &[FakeFile],
    mtime: u64,
) -> io::Result<W> {
    let gz = GzEncoder::new(out, Compression::default());
    let mut tar = tar::Builder::new(gz);
    append_global_comment(&mut tar, sha, mtime)?;
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    let dir_entry = |tar: &mut tar::Builder<GzEncoder<W>>, dir: &str| {
        append_raw(
            tar,
            EntryType::Directory,
            format!("{dir}/").as_bytes(),
            None,
            0o775,
            &[],
            mtime,
        )
    };
    dir_entry(&mut tar, prefix)?;
    for file in files {
        // Parent folders first, once each, like git archive.
        let mut parent = String::new();
        let parts: Vec<&str> = file.path.split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(part);
            if dirs.insert(parent.clone()) {
                dir_entry(&mut tar, &format!("{prefix}/{parent}"))?;
            }
        }
        let name = format!("{prefix}/{}", file.path);
        if file.is_symlink() {
            append_raw(
                &mut tar,
                EntryType::Symlink,
                name.as_bytes(),
                Some(&file.content),
                0o777,
                &[],
                mtime,
            )?;
        } else {
            let mode = if file.is_executable() { 0o775 } else { 0o664 };
            append_raw(
                &mut tar,
                EntryType::Regular,
                name.as_bytes(),
                None,
                mode,
                &file.content,
                mtime,
            )?;
        }
    }
    tar.into_inner()?.finish()
}

/// The whole archive in memory (small trees, tests).
pub fn tree_archive_bytes(prefix: &str, sha: &str, files: &[FakeFile], mtime: u64) -> Vec<u8> {
    write_tree_archive(Vec::new(), prefix, sha, files, mtime).unwrap_or_default()
}

/// `io::Write` that ships chunks to an HTTP body; fails once the client went away, which
/// stops the generator.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn ship(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.ship()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.ship()
    }
}

fn body_from_channel(rx: mpsc::Receiver<io::Result<Bytes>>) -> Body {
    Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Streams a tree archive: generated on a blocking thread as the client reads, so large
/// repositories never sit in memory as one buffer.
pub(crate) fn stream_tree_archive(
    prefix: String,
    sha: String,
    files: Vec<FakeFile>,
    mtime: u64,
) -> Body {
    let (tx, rx) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let result =
            write_tree_archive(writer, &prefix, &sha, &files, mtime).and_then(|mut w| w.flush());
        if let Err(e) = result
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            // Surfaces as a broken body on the client side.
            let _ = tx.blocking_send(Err(e));
        }
    });
    body_from_channel(rx)
}

/// A gzip bomb streamed with constant memory: a tar header for `{prefix}/bomb/SKILL.md` of
/// `uncompressed` bytes, then zeros. Deflate output after a full flush does not depend on
/// earlier data, so one compressed MiB of zeros is computed once and repeated.
pub(crate) fn stream_gzip_bomb(prefix: &str, uncompressed: u64, mtime: u64) -> Body {
    const MIB: usize = 1024 * 1024;
    let zeros = vec![0u8; MIB];
    let header = base_header(
        EntryType::Regular,
        format!("{prefix}/bomb/SKILL.md").as_bytes(),
        None,
        0o664,
        uncompressed,
        mtime,
    );
    let mut comp = Compress::new(Compression::best(), false);
    let head = deflate(&mut comp, header.as_bytes(), FlushCompress::Full);
    let block = deflate(&mut comp, &zeros, FlushCompress::Full);
    // File data padded to 512, then two zero records end the tar; all zeros.
    let tail_zeros = (512 - (uncompressed % 512) as usize) % 512 + 1024;
    let partial = (uncompressed % MIB as u64) as usize;
    let mut tail_input = vec![0u8; partial];
    tail_input.extend(std::iter::repeat_n(0u8, tail_zeros));
    let tail = deflate(&mut comp, &tail_input, FlushCompress::Finish);

    let full_blocks = uncompressed / MIB as u64;
    let total = 512 + uncompressed + tail_zeros as u64;
    let mut crc = crc32fast::Hasher::new();
    crc.update(header.as_bytes());
    let mut block_crc = crc32fast::Hasher::new();
    block_crc.update(&zeros);
    for _ in 0..full_blocks {
        crc.combine(&block_crc);
    }
    crc.update(&tail_input);
    let mut trailer = Vec::with_capacity(8);
    trailer.extend_from_slice(&crc.finalize().to_le_bytes());
    trailer.extend_from_slice(&(total as u32).to_le_bytes());

    // Minimal gzip header: magic, deflate, no flags, no mtime, unknown OS.
    let mut first = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    first.extend_from_slice(&head);
    let block = Bytes::from(block);
    let mut last = tail;
    last.extend_from_slice(&trailer);

    let chunks = std::iter::once(Bytes::from(first))
        .chain((0..full_blocks).map(move |_| block.clone()))
        .chain(std::iter::once(Bytes::from(last)))
        .map(Ok::<_, io::Error>);
    Body::from_stream(futures::stream::iter(chunks))
}

fn deflate(comp: &mut Compress, input: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 100 + 1024);
    let mut consumed = 0usize;
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(64 * 1024);
        }
        let before_in = comp.total_in();
        let status = comp.compress_vec(&input[consumed..], &mut out, flush);
        consumed += (comp.total_in() - before_in) as usize;
        match status {
            Ok(flate2::Status::StreamEnd) => break,
            Ok(_) if consumed == input.len() && out.len() < out.capacity() => break,
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn pax_record_length_counts_itself() {
        let r = pax_record("comment", &"a".repeat(40));
        assert_eq!(r.len().to_string(), r.split(' ').next().unwrap());
        assert_eq!(r, format!("52 comment={}\n", "a".repeat(40)));
    }

    #[test]
    fn tree_archive_looks_like_githubs() {
        let files = vec![
            FakeFile::new("skills/a/SKILL.md", "hi", 0o644),
            FakeFile::new("skills/a/run.sh", "#!/bin/sh", 0o755),
            FakeFile::new("skills/a/link", "SKILL.md", 0o120000),
            FakeFile::new(format!("deep/{}/f", "x".repeat(120)), "long", 0o644),
        ];
        let bytes = tree_archive_bytes("o-r-abcdef0", &"ab".repeat(20), &files, 1);
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let kind = e.header().entry_type();
            if kind.is_pax_global_extensions() {
                let mut s = String::new();
                e.read_to_string(&mut s).unwrap();
                assert!(s.contains(&format!("comment={}", "ab".repeat(20))));
                seen.push("<global>".to_string());
                continue;
            }
            seen.push(format!(
                "{} {:o}",
                e.path().unwrap().to_string_lossy(),
                e.header().mode().unwrap()
            ));
        }
        assert_eq!(seen[0], "<global>");
        assert_eq!(seen[1], "o-r-abcdef0/ 775");
        assert!(seen.contains(&"o-r-abcdef0/skills/a/run.sh 775".to_string()));
        assert!(seen.contains(&"o-r-abcdef0/skills/a/SKILL.md 664".to_string()));
        assert!(seen.contains(&format!("o-r-abcdef0/deep/{}/f 664", "x".repeat(120))));
    }

    #[test]
    fn raw_builder_keeps_hostile_names() {
        let bytes = TarGzBuilder::new()
            .file("p/../../evil", "x")
            .symlink("p/s", "/etc/passwd")
            .hardlink("p/h", "/etc/passwd")
            .finish();
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                String::from_utf8_lossy(&e.path_bytes()).into_owned()
            })
            .collect();
        assert_eq!(names, ["p/../../evil", "p/s", "p/h"]);
    }

    #[tokio::test]
    async fn gzip_bomb_is_valid_and_tiny() {
        use http_body_util_shim::collect;
        let size = 64 * 1024 * 1024 + 100;
        let body = stream_gzip_bomb("o-r-0000000", size, 1);
        let compressed = collect(body).await;
        assert!(compressed.len() < 200 * 1024, "{}", compressed.len());
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&compressed[..]));
        let mut entries = ar.entries().unwrap();
        let mut e = entries.next().unwrap().unwrap();
        assert_eq!(e.header().size().unwrap(), size);
        let n = io::copy(&mut e, &mut io::sink()).unwrap();
        assert_eq!(n, size);
        drop(e);
        assert!(entries.next().is_none());
        // The gzip trailer (CRC, size) must check out too.
        let mut all = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut all)
            .unwrap();
        assert_eq!(
            all.len() as u64,
            512 + size + (512 - size % 512) % 512 + 1024
        );
    }

    /// Minimal body collector without another dependency.
    mod http_body_util_shim {
        use axum::body::Body;
        use futures::StreamExt;

        pub async fn collect(body: Body) -> Vec<u8> {
            let mut stream = body.into_data_stream();
            let mut out = Vec::new();
            while let Some(chunk) = stream.next().await {
                out.extend_from_slice(&chunk.unwrap());
            }
            out
        }
    }
}
