//! Downloading the data sets (MNIST, Fashion-MNIST, CIFAR-10's binary release), each file
//! verified by the checksum its publisher gives (SHA-256, or MD5 where only that is published).
//!
//! Each file is streamed to `<name>.part` while being hashed and only renamed
//! to its final name once the hash matches, so a file under the final name is
//! always a verified one.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

/// Mirrors tried in order when none are given.
pub const DEFAULT_MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// Training images file name.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte.gz";
/// Training labels file name.
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte.gz";
/// Test images file name.
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte.gz";
/// Test labels file name.
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte.gz";

/// SHA-256 of [`TRAIN_IMAGES`].
pub const TRAIN_IMAGES_SHA256: &str =
    "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971";
/// SHA-256 of [`TRAIN_LABELS`].
pub const TRAIN_LABELS_SHA256: &str =
    "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203";
/// SHA-256 of [`TEST_IMAGES`].
pub const TEST_IMAGES_SHA256: &str =
    "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be";
/// SHA-256 of [`TEST_LABELS`].
pub const TEST_LABELS_SHA256: &str =
    "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b";

/// Give up on a server that does not accept the connection in this time.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Give up when no bytes arrive for this long; a slow but steady download
/// is never cut off, a stalled one is.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Size of each read from the network.
const CHUNK: usize = 64 * 1024;

/// A file to download and the SHA-256 (lowercase hex) it must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteFile {
    /// File name, appended to each mirror's base URL and used on disk.
    pub name: String,
    /// What the downloaded bytes must hash to.
    pub checksum: Checksum,
}

/// A published checksum, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checksum {
    Sha256(String),
    /// Zalando publishes only MD5s for Fashion-MNIST. MD5 is no defence against a forger, but
    /// it does catch a damaged or wrong file, which is what this check is for.
    Md5(String),
}

impl Checksum {
    fn name(&self) -> &'static str {
        match self {
            Checksum::Sha256(_) => "sha256",
            Checksum::Md5(_) => "md5",
        }
    }

    fn expected(&self) -> String {
        match self {
            Checksum::Sha256(hex) | Checksum::Md5(hex) => hex.to_ascii_lowercase(),
        }
    }

    fn hasher(&self) -> Box<dyn sha2::digest::DynDigest> {
        match self {
            Checksum::Sha256(_) => Box::new(Sha256::new()),
            Checksum::Md5(_) => Box::new(md5::Md5::new()),
        }
    }
}

impl RemoteFile {
    /// A file with the given name and expected SHA-256 hex digest.
    pub fn new(name: impl Into<String>, sha256: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            checksum: Checksum::Sha256(sha256.into()),
        }
    }

    /// A file with the given name and expected MD5 hex digest.
    pub fn md5(name: impl Into<String>, md5: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            checksum: Checksum::Md5(md5.into()),
        }
    }
}

/// Zalando's release of Fashion-MNIST.
pub const FASHION_MIRRORS: [&str; 1] =
    ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"];

/// Fashion-MNIST's four files with the MD5s Zalando publishes.
pub fn fashion_files() -> Vec<RemoteFile> {
    vec![
        RemoteFile::md5(TRAIN_IMAGES, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        RemoteFile::md5(TRAIN_LABELS, "25c81989df183df01b3e8a0aad5dffbe"),
        RemoteFile::md5(TEST_IMAGES, "bef4ecab320f06d8554ea6380940ec79"),
        RemoteFile::md5(TEST_LABELS, "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
}

/// CIFAR-10's publisher.
pub const CIFAR_MIRRORS: [&str; 1] = ["https://www.cs.toronto.edu/~kriz/"];

/// The binary release of CIFAR-10, one tarball read without unpacking.
pub fn cifar_files() -> Vec<RemoteFile> {
    vec![RemoteFile::new(
        crate::data::cifar::TARBALL,
        crate::data::cifar::TARBALL_SHA256,
    )]
}

/// The files and default mirrors of a data set that can be downloaded (not a picture folder).
pub fn remote_set(kind: crate::data::DatasetKind) -> Option<(Vec<RemoteFile>, Vec<String>)> {
    use crate::data::DatasetKind;
    let owned = |m: &[&str]| m.iter().map(|s| s.to_string()).collect();
    match kind {
        DatasetKind::Mnist => Some((mnist_files(), owned(&DEFAULT_MIRRORS))),
        DatasetKind::Fashion => Some((fashion_files(), owned(&FASHION_MIRRORS))),
        DatasetKind::Cifar10 => Some((cifar_files(), owned(&CIFAR_MIRRORS))),
        DatasetKind::Folder => None,
    }
}

/// The default mirror list as owned strings, ready for [`fetch_mnist`].
pub fn default_mirrors() -> Vec<String> {
    DEFAULT_MIRRORS.iter().map(|m| m.to_string()).collect()
}

/// The four MNIST files with their known checksums.
pub fn mnist_files() -> Vec<RemoteFile> {
    vec![
        RemoteFile::new(TRAIN_IMAGES, TRAIN_IMAGES_SHA256),
        RemoteFile::new(TRAIN_LABELS, TRAIN_LABELS_SHA256),
        RemoteFile::new(TEST_IMAGES, TEST_IMAGES_SHA256),
        RemoteFile::new(TEST_LABELS, TEST_LABELS_SHA256),
    ]
}

/// Hears a download as it goes (the studio's progress bar); `cancelled` is asked between
/// chunks, and a cancelled download stops with an error, leaving no partial file.
pub trait FetchProgress: Sync {
    /// File `index` (from 0) of `files` starts; `len` is its size when the server says.
    fn file(&self, name: &str, index: usize, files: usize, len: Option<u64>);
    /// `bytes` more of the current file arrived.
    fn advance(&self, bytes: u64);
    fn cancelled(&self) -> bool {
        false
    }
}

/// [`fetch_files`] reporting to `observer` instead of the terminal.
pub fn fetch_files_reporting(
    dest: &Path,
    mirrors: &[String],
    files: &[RemoteFile],
    observer: &dyn FetchProgress,
) -> anyhow::Result<Vec<PathBuf>> {
    fetch_files_with(
        &build_agent(true),
        dest,
        mirrors,
        files,
        false,
        Some(observer),
    )
}

/// Downloads the four MNIST files into `dest` (skipping ones already present
/// and correct) and returns their paths in the order of [`mnist_files`].
pub fn fetch_mnist(
    dest: &Path,
    mirrors: &[String],
    progress: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    fetch_files(dest, mirrors, &mnist_files(), progress)
}

/// Downloads `files` into `dest`, trying each mirror in turn for each file,
/// and returns the final paths in the order given. Files already present with
/// the right hash are not downloaded again.
pub fn fetch_files(
    dest: &Path,
    mirrors: &[String],
    files: &[RemoteFile],
    progress: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    fetch_files_with(&build_agent(true), dest, mirrors, files, progress, None)
}

/// An agent with timeouts; `env_proxy` decides whether `HTTP(S)_PROXY` is
/// honoured (tests turn it off so loopback requests stay local).
fn build_agent(env_proxy: bool) -> ureq::Agent {
    let mut builder = ureq::Agent::config_builder()
        // The checksums are of the .gz bytes themselves: ask servers not to
        // add a Content-Encoding that ureq would then transparently undo.
        .accept_encoding("identity")
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_recv_response(Some(READ_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT));
    if !env_proxy {
        builder = builder.proxy(None);
    }
    ureq::Agent::new_with_config(builder.build())
}

fn fetch_files_with(
    agent: &ureq::Agent,
    dest: &Path,
    mirrors: &[String],
    files: &[RemoteFile],
    progress: bool,
    observer: Option<&dyn FetchProgress>,
) -> anyhow::Result<Vec<PathBuf>> {
    if mirrors.is_empty() {
        bail!("no download mirrors given");
    }
    fs::create_dir_all(dest)
        .with_context(|| format!("cannot create download directory {}", dest.display()))?;

    let mut paths = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let observed = observer.map(|o| (o, index, files.len()));
        paths.push(fetch_one(agent, dest, mirrors, file, progress, observed)?);
    }
    Ok(paths)
}

/// Makes sure one verified file exists under its final name.
/// An observer with the index of the file and the number of files.
type Observed<'a> = Option<(&'a dyn FetchProgress, usize, usize)>;

fn fetch_one(
    agent: &ureq::Agent,
    dest: &Path,
    mirrors: &[String],
    file: &RemoteFile,
    progress: bool,
    observer: Observed<'_>,
) -> anyhow::Result<PathBuf> {
    check_plain_name(&file.name)?;
    let expected = file.checksum.expected();
    let final_path = dest.join(&file.name);
    let part_path = dest.join(format!("{}.part", file.name));

    if final_path.exists() {
        let actual = hash_file(&final_path, &file.checksum)
            .with_context(|| format!("cannot read existing {}", final_path.display()))?;
        if actual == expected {
            return Ok(final_path);
        }
        // A wrong file under the final name would be trusted later; it can
        // only be a stale or damaged download, so it goes.
        fs::remove_file(&final_path).with_context(|| {
            format!(
                "{} has the wrong checksum and cannot be removed",
                final_path.display()
            )
        })?;
    }

    let mut failures = Vec::new();
    for mirror in mirrors {
        let url = join_url(mirror, &file.name);
        match download(
            agent,
            &url,
            &part_path,
            &file.checksum,
            &file.name,
            progress,
            observer,
        ) {
            Ok(()) => {
                fs::rename(&part_path, &final_path).with_context(|| {
                    format!(
                        "cannot rename {} to {}",
                        part_path.display(),
                        final_path.display()
                    )
                })?;
                return Ok(final_path);
            }
            Err(err) => {
                remove_if_present(&part_path);
                if observer.is_some_and(|(o, ..)| o.cancelled()) {
                    bail!("download cancelled; nothing of {} was kept", file.name);
                }
                failures.push(format!("{url}: {err:#}"));
            }
        }
    }
    bail!(
        "could not download {} from any mirror:\n  {}",
        file.name,
        failures.join("\n  ")
    )
}

/// Streams `url` into `part_path`, hashing as it goes; errors if the request
/// fails or the hash is not `expected`.
fn download(
    agent: &ureq::Agent,
    url: &str,
    part_path: &Path,
    checksum: &Checksum,
    label: &str,
    progress: bool,
    observer: Observed<'_>,
) -> anyhow::Result<()> {
    let mut response = agent.get(url).call()?;
    let len = response.body().content_length();
    let bar = progress_bar(progress, len, label);
    if let Some((o, index, files)) = observer {
        o.file(label, index, files, len);
    }
    let mut reader = response.body_mut().as_reader();
    let mut out = fs::File::create(part_path)
        .with_context(|| format!("cannot create {}", part_path.display()))?;

    let mut hasher = checksum.hasher();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bar.abandon();
                return Err(anyhow::Error::new(e).context("download interrupted"));
            }
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .with_context(|| format!("cannot write {}", part_path.display()))?;
        bar.inc(n as u64);
        if let Some((o, ..)) = observer {
            o.advance(n as u64);
            if o.cancelled() {
                bar.abandon();
                bail!("download cancelled");
            }
        }
    }
    out.sync_all()
        .with_context(|| format!("cannot write {}", part_path.display()))?;

    let actual = hex(&hasher.finalize());
    let expected = checksum.expected();
    if actual != expected {
        bar.abandon_with_message(format!("{label}: checksum mismatch"));
        bail!(
            "checksum mismatch: expected {} {expected}, got {actual}",
            checksum.name()
        );
    }
    bar.finish_with_message(format!("{label} ok"));
    Ok(())
}

/// A byte-count bar when the length is known, a spinner otherwise, or a
/// hidden bar when progress output is off.
fn progress_bar(enabled: bool, len: Option<u64>, label: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = match len {
        Some(len) => ProgressBar::new(len).with_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{msg} {spinner} {bytes} {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message(label.to_string());
    bar
}

/// Rejects names that could escape the destination directory.
fn check_plain_name(name: &str) -> anyhow::Result<()> {
    let plain = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && Path::new(name).file_name().is_some();
    if plain {
        Ok(())
    } else {
        bail!("invalid download file name {name:?}")
    }
}

fn join_url(mirror: &str, name: &str) -> String {
    if mirror.ends_with('/') {
        format!("{mirror}{name}")
    } else {
        format!("{mirror}/{name}")
    }
}

fn hash_file(path: &Path, checksum: &Checksum) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = checksum.hasher();
    let mut buf = vec![0u8; CHUNK];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn remove_if_present(path: &Path) {
    // Best effort cleanup: a leftover .part is never mistaken for a real file.
    let _ = fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::BufRead;
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;
    use std::time::Instant;

    /// A loopback HTTP/1.1 server for one test: serves `files` by path,
    /// 404 otherwise, handles at most `max_requests`, and stops when dropped.
    struct TestServer {
        base: String,
        requests: Arc<Mutex<Vec<String>>>,
        stop: Arc<AtomicBool>,
        handle: Option<JoinHandle<()>>,
    }

    impl TestServer {
        fn start(files: &[(&str, &[u8])], max_requests: usize) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
            listener
                .set_nonblocking(true)
                .expect("nonblocking listener");
            let addr = listener.local_addr().expect("local addr");
            let files: HashMap<String, Vec<u8>> = files
                .iter()
                .map(|(name, body)| (format!("/{name}"), body.to_vec()))
                .collect();
            let requests = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let (req_log, stop_flag) = (Arc::clone(&requests), Arc::clone(&stop));
            let handle = std::thread::spawn(move || {
                // Also bounded in time, so a test that fails early cannot hang.
                let deadline = Instant::now() + Duration::from_secs(30);
                let mut served = 0;
                while served < max_requests
                    && !stop_flag.load(Ordering::Relaxed)
                    && Instant::now() < deadline
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            served += 1;
                            handle_connection(stream, &files, &req_log);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            });
            Self {
                base: format!("http://{addr}/"),
                requests,
                stop,
                handle: Some(handle),
            }
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().expect("request log").clone()
        }
    }

    impl Drop for TestServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
            if let Some(handle) = self.handle.take() {
                let _ = handle.join();
            }
        }
    }

    /// Answers one request on `stream`, logging its path first: logged after the answer, a
    /// test reading the log the moment its download ends could miss the last request.
    fn handle_connection(
        stream: TcpStream,
        files: &HashMap<String, Vec<u8>>,
        log: &Mutex<Vec<String>>,
    ) -> Option<()> {
        // Accepted sockets may inherit non-blocking mode on some platforms.
        stream.set_nonblocking(false).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut reader = io::BufReader::new(stream.try_clone().ok()?);
        let mut request_line = String::new();
        reader.read_line(&mut request_line).ok()?;
        // Drain headers up to the blank line.
        loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).ok()?;
            if n == 0 || line == "\r\n" || line == "\n" {
                break;
            }
        }
        let path = request_line.split_whitespace().nth(1)?.to_string();
        log.lock().ok()?.push(path.clone());
        let mut stream = stream;
        let response = match files.get(&path) {
            Some(body) => {
                let mut r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                r.extend_from_slice(body);
                r
            }
            None => {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            }
        };
        let _ = stream.write_all(&response);
        let _ = stream.flush();
        let _ = stream.shutdown(std::net::Shutdown::Write);
        Some(())
    }

    fn sha_hex(bytes: &[u8]) -> String {
        hex(&Sha256::digest(bytes))
    }

    fn fetch(
        dest: &Path,
        mirrors: &[&TestServer],
        files: &[RemoteFile],
    ) -> anyhow::Result<Vec<PathBuf>> {
        let mirrors: Vec<String> = mirrors.iter().map(|s| s.base.clone()).collect();
        fetch_files_with(&build_agent(false), dest, &mirrors, files, false, None)
    }

    /// Records what a download reports; cancels once `cancel_after` bytes have arrived.
    #[derive(Default)]
    struct Recorder {
        files: std::sync::Mutex<Vec<(String, usize, usize, Option<u64>)>>,
        bytes: std::sync::atomic::AtomicU64,
        cancel_after: Option<u64>,
    }

    impl FetchProgress for Recorder {
        fn file(&self, name: &str, index: usize, files: usize, len: Option<u64>) {
            self.files
                .lock()
                .unwrap()
                .push((name.to_owned(), index, files, len));
        }
        fn advance(&self, bytes: u64) {
            self.bytes
                .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        }
        fn cancelled(&self) -> bool {
            self.cancel_after
                .is_some_and(|limit| self.bytes.load(std::sync::atomic::Ordering::Relaxed) >= limit)
        }
    }

    #[test]
    fn an_observer_hears_every_file_and_byte_and_can_cancel() {
        let server = TestServer::start(&[("a.gz", GOOD), ("b.gz", EVIL)], 4);
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [
            RemoteFile::new("a.gz", sha_hex(GOOD)),
            RemoteFile::new("b.gz", sha_hex(EVIL)),
        ];
        let mirrors = vec![server.base.clone()];
        let heard = Recorder::default();
        let agent = build_agent(false);
        fetch_files_with(&agent, dir.path(), &mirrors, &files, false, Some(&heard)).unwrap();
        let seen = heard.files.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![
                ("a.gz".to_owned(), 0, 2, Some(GOOD.len() as u64)),
                ("b.gz".to_owned(), 1, 2, Some(EVIL.len() as u64)),
            ]
        );
        assert_eq!(
            heard.bytes.load(std::sync::atomic::Ordering::Relaxed),
            (GOOD.len() + EVIL.len()) as u64
        );

        let server = TestServer::start(&[("a.gz", GOOD)], 2);
        let dir = tempfile::tempdir().expect("tempdir");
        let cancel = Recorder {
            cancel_after: Some(1),
            ..Recorder::default()
        };
        let err = fetch_files_with(
            &agent,
            dir.path(),
            &[server.base.clone()],
            &files[..1],
            false,
            Some(&cancel),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("cancelled"), "{err:#}");
        assert!(
            listing(dir.path()).is_empty(),
            "nothing kept after a cancel"
        );
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("list dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    const GOOD: &[u8] = b"the real file contents, pretend this is gzip";
    const EVIL: &[u8] = b"something else entirely";

    #[test]
    fn downloads_and_verifies() {
        let server = TestServer::start(&[("a.gz", GOOD), ("b.gz", EVIL)], 4);
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [
            RemoteFile::new("a.gz", sha_hex(GOOD)),
            RemoteFile::new("b.gz", sha_hex(EVIL).to_uppercase()),
        ];
        let paths = fetch(dir.path(), &[&server], &files).expect("fetch");
        assert_eq!(
            paths,
            vec![dir.path().join("a.gz"), dir.path().join("b.gz")]
        );
        assert_eq!(fs::read(&paths[0]).expect("read a"), GOOD);
        assert_eq!(fs::read(&paths[1]).expect("read b"), EVIL);
        assert_eq!(listing(dir.path()), vec!["a.gz", "b.gz"]);
        assert_eq!(server.requests(), vec!["/a.gz", "/b.gz"]);
    }

    #[test]
    fn bad_mirror_is_skipped_for_next() {
        let bad = TestServer::start(&[("a.gz", EVIL)], 2);
        let missing = TestServer::start(&[], 2);
        let good = TestServer::start(&[("a.gz", GOOD)], 2);
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [RemoteFile::new("a.gz", sha_hex(GOOD))];
        let paths = fetch(dir.path(), &[&bad, &missing, &good], &files).expect("fetch");
        assert_eq!(fs::read(&paths[0]).expect("read"), GOOD);
        assert_eq!(bad.requests(), vec!["/a.gz"]);
        assert_eq!(missing.requests(), vec!["/a.gz"]);
        assert_eq!(good.requests(), vec!["/a.gz"]);
        assert_eq!(listing(dir.path()), vec!["a.gz"]);
    }

    #[test]
    fn all_mirrors_bad_is_an_error_naming_file_and_checksum() {
        let one = TestServer::start(&[("a.gz", EVIL)], 2);
        let two = TestServer::start(&[("a.gz", EVIL)], 2);
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [RemoteFile::new("a.gz", sha_hex(GOOD))];
        let err = fetch(dir.path(), &[&one, &two], &files).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("a.gz"), "{msg}");
        assert!(msg.contains("checksum"), "{msg}");
        assert!(msg.contains(&one.base) && msg.contains(&two.base), "{msg}");
        // Neither a wrong final file nor a leftover .part remains.
        assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    }

    #[test]
    fn not_found_everywhere_names_status() {
        let server = TestServer::start(&[], 2);
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [RemoteFile::new("a.gz", sha_hex(GOOD))];
        let msg = format!("{:#}", fetch(dir.path(), &[&server], &files).unwrap_err());
        assert!(msg.contains("a.gz") && msg.contains("404"), "{msg}");
    }

    #[test]
    fn existing_correct_file_is_not_downloaded_again() {
        let server = TestServer::start(&[("a.gz", GOOD)], 1);
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("a.gz"), GOOD).expect("seed file");
        let files = [RemoteFile::new("a.gz", sha_hex(GOOD))];
        fetch(dir.path(), &[&server], &files).expect("fetch");
        assert!(server.requests().is_empty());
    }

    #[test]
    fn existing_wrong_file_is_replaced() {
        let server = TestServer::start(&[("a.gz", GOOD)], 1);
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("a.gz"), EVIL).expect("seed file");
        let files = [RemoteFile::new("a.gz", sha_hex(GOOD))];
        let paths = fetch(dir.path(), &[&server], &files).expect("fetch");
        assert_eq!(fs::read(&paths[0]).expect("read"), GOOD);
    }

    #[test]
    fn an_md5_checked_file_is_kept_only_when_its_md5_matches() {
        use md5::Digest as _;
        let md5_hex = |bytes: &[u8]| hex(&md5::Md5::digest(bytes));
        let server = TestServer::start(&[("f.gz", GOOD)], 4);
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [RemoteFile::md5("f.gz", md5_hex(GOOD))];
        let paths = fetch(dir.path(), &[&server], &files).expect("fetch");
        assert_eq!(fs::read(&paths[0]).expect("read"), GOOD);
        let wrong = [RemoteFile::md5("f.gz", md5_hex(b"something else"))];
        let other = tempfile::tempdir().expect("tempdir");
        let err = format!("{:#}", fetch(other.path(), &[&server], &wrong).unwrap_err());
        assert!(err.contains("expected md5"), "{err}");
        assert!(!other.path().join("f.gz").exists());
    }

    #[test]
    fn every_data_set_lists_well_formed_published_checksums() {
        use crate::data::DatasetKind;
        for kind in [
            DatasetKind::Mnist,
            DatasetKind::Fashion,
            DatasetKind::Cifar10,
        ] {
            let (files, mirrors) = remote_set(kind).expect("downloadable");
            assert!(!mirrors.is_empty());
            for f in &files {
                let (hex, len) = match &f.checksum {
                    Checksum::Sha256(hex) => (hex, 64),
                    Checksum::Md5(hex) => (hex, 32),
                };
                assert_eq!(hex.len(), len, "{}", f.name);
                assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
            }
        }
        assert!(remote_set(DatasetKind::Folder).is_none());
        assert_eq!(fashion_files().len(), 4);
        assert_eq!(join_url("http://h/m", "x"), "http://h/m/x");
        assert_eq!(join_url("http://h/m/", "x"), "http://h/m/x");
        assert!(check_plain_name("../x").is_err());
    }
}
