//! A mutation fuzzer for every reader of bytes from outside the program (IDX files, checkpoint
//! records, the JSON files of runs and exports, safetensors, PNGs, the studio's saved state).
//!
//! `cargo run --release --example fuzz -- TARGET --seconds 600 --out fuzz-out` mutates the
//! target's seeds (real data files and the project's own outputs, see `targets.rs`) and runs
//! each mutant through the same function the CLI and the studio call. It keeps every input
//! that panics, hangs (over 60 s) or asks for an allocation over 1 GiB, and reports executions,
//! the share of inputs accepted, the errors seen and the memory the worst input needed.
//! `--list` prints the targets; `--replay FILE` runs one kept input again. RELIABILITY in BENCHMARKS.md records the runs.

mod counting;
mod mutate;
mod targets;

use counting::{Counting, LARGEST, LIVE, PEAK};

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Generous: at nice 19 beside a build on two cores, one slow frame of the studio targets
/// stretched past 10 s of wall time without running any longer.
const HANG_SECS: u64 = 60;
/// Corpus entries kept besides the seeds (inputs that were accepted, to reach deeper checks).
const CORPUS_CAP: usize = 512;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The allocator's limit: save the input, stop the fuzzer.
fn refuse(size: usize) {
    // Saving allocates (a little); the flag stops that from coming back here.
    if REPORTING.swap(true, Ordering::SeqCst) {
        return;
    }
    let message = format!("an allocation of {size} bytes was requested");
    let path = save_finding("oom", &message);
    eprintln!("FINDING: {message}; input kept as {}", path.display());
    std::process::exit(3);
}

/// The input being executed, for the allocator and the watchdog to save.
static CURRENT: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static CURRENT_LEN: AtomicUsize = AtomicUsize::new(0);
/// Milliseconds since START when the current execution began; 0 between executions.
static EXEC_STARTED_MS: AtomicU64 = AtomicU64::new(0);
static START: OnceLock<Instant> = OnceLock::new();
static REPORTING: AtomicBool = AtomicBool::new(false);
static OUT: OnceLock<PathBuf> = OnceLock::new();
static PANIC_MESSAGE: Mutex<String> = Mutex::new(String::new());

fn current_input() -> Vec<u8> {
    let ptr = CURRENT.load(Ordering::SeqCst);
    let len = CURRENT_LEN.load(Ordering::SeqCst);
    if ptr.is_null() {
        return Vec::new();
    }
    // SAFETY: main sets CURRENT to the live input slice for the length of each execution and
    // clears it after; the input outlives every use here, which happens during an execution.
    unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec()
}

fn save_finding(kind: &str, message: &str) -> PathBuf {
    let input = current_input();
    let out = OUT.get().cloned().unwrap_or_else(|| PathBuf::from("."));
    let name = format!("{kind}-{:016x}", fxhash(&input));
    let path = out.join(format!("{name}.bin"));
    let _ = std::fs::write(&path, &input);
    let _ = std::fs::write(out.join(format!("{name}.txt")), message);
    path
}

fn fxhash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn now_ms() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// Errors with their numbers blanked, so "truncated: 12 bytes" and "truncated: 40 bytes" count
/// as one kind of message.
fn error_kind(message: &str) -> String {
    let mut kind = String::new();
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !kind.ends_with('#') {
                kind.push('#');
            }
        } else {
            kind.push(c);
        }
    }
    kind.chars().take(110).collect()
}

struct Args {
    target: String,
    seconds: u64,
    out: PathBuf,
    seed: u64,
    fixtures: PathBuf,
    /// Run these inputs once each and report, instead of fuzzing.
    replay: Vec<PathBuf>,
}

fn parse_args() -> Result<Option<Args>> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        target: String::new(),
        seconds: 600,
        out: PathBuf::from("fuzz-out"),
        seed: 1,
        fixtures: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data"),
        replay: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--list" => {
                for target in targets::targets() {
                    println!("{:20} {}", target.name, target.reads);
                }
                return Ok(None);
            }
            "--seconds" => parsed.seconds = value("--seconds")?.parse()?,
            "--out" => parsed.out = PathBuf::from(value("--out")?),
            "--seed" => parsed.seed = value("--seed")?.parse()?,
            "--fixtures" => parsed.fixtures = PathBuf::from(value("--fixtures")?),
            "--replay" => parsed.replay.push(PathBuf::from(value("--replay")?)),
            name if !name.starts_with('-') => parsed.target = name.to_string(),
            other => bail!("unknown option {other}"),
        }
    }
    if parsed.target.is_empty() {
        bail!("name a target (--list shows them)");
    }
    Ok(Some(parsed))
}

fn main() -> Result<()> {
    // SAFETY: called first thing, before any other thread exists.
    unsafe { gan_studio::device::quiet_headless_vulkan() };
    // The binary's pool: with rayon's 2 MiB default stacks the studio targets overflowed a
    // worker's stack within a minute or two (eval-json, 2026-12-06).
    gan_studio::threads::build_global_pool()?;
    let Some(args) = parse_args()? else {
        return Ok(());
    };
    let target = targets::targets()
        .into_iter()
        .find(|t| t.name == args.target)
        .with_context(|| format!("no target {} (--list shows them)", args.target))?;
    let out = args.out.join(target.name);
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let _ = OUT.set(out.clone());
    counting::on_oversized(refuse);
    START.get_or_init(Instant::now);

    let workspace = targets::Workspace::new(&args.fixtures)?;
    if !args.replay.is_empty() {
        for path in &args.replay {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let started = Instant::now();
            let result = (target.run)(&workspace, &bytes);
            let outcome = match result {
                Ok(()) => "accepted".to_string(),
                Err(e) => format!("error: {e:#}"),
            };
            println!(
                "{}: {outcome} ({:.3} s)",
                path.display(),
                started.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    }
    let seeds = targets::seeds(target.name, &workspace, &args.fixtures)?;
    for (name, bytes) in &seeds {
        (target.run)(&workspace, bytes)
            .with_context(|| format!("seed {name} is not accepted by {}", target.name))?;
    }
    let mut corpus: Vec<Vec<u8>> = seeds.into_iter().map(|(_, bytes)| bytes).collect();
    let seed_count = corpus.len();

    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut message) = PANIC_MESSAGE.lock() {
            *message = info.to_string();
        }
    }));
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let started = EXEC_STARTED_MS.load(Ordering::SeqCst);
            if started != 0 && now_ms().saturating_sub(started) > HANG_SECS * 1000 {
                let message = format!("one input ran over {HANG_SECS} s");
                let path = save_finding("hang", &message);
                eprintln!("FINDING: {message}; input kept as {}", path.display());
                std::process::exit(4);
            }
        }
    });

    let mut rng = StdRng::seed_from_u64(args.seed);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let (mut execs, mut accepted, mut panics) = (0u64, 0u64, 0u64);
    let mut errors: HashMap<String, u64> = HashMap::new();
    let (mut worst_peak, mut worst_peak_input) = (0usize, 0usize);
    let mut biggest_input = 0usize;
    let mut last_report = Instant::now();
    let in_flight = OUT
        .get()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("in-flight.bin");
    while Instant::now() < deadline {
        let base = &corpus[rng.random_range(0..corpus.len())];
        let other = &corpus[rng.random_range(0..corpus.len())];
        let mutant = mutate::mutate(&mut rng, base, other, target.dictionary);
        let input = if target.also_gzip && rng.random_bool(0.3) {
            targets::gzip(&mutant)
        } else {
            mutant
        };
        biggest_input = biggest_input.max(input.len());

        // A stack overflow aborts the process before any handler runs: the input it died on
        // is then the one left in this file, for --replay.
        let _ = std::fs::write(&in_flight, &input);
        CURRENT_LEN.store(input.len(), Ordering::SeqCst);
        CURRENT.store(input.as_ptr() as *mut u8, Ordering::SeqCst);
        let live_before = LIVE.load(Ordering::Relaxed);
        PEAK.store(live_before, Ordering::Relaxed);
        EXEC_STARTED_MS.store(now_ms(), Ordering::SeqCst);
        let result =
            std::panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&workspace, &input)));
        EXEC_STARTED_MS.store(0, Ordering::SeqCst);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(live_before);
        if peak > worst_peak {
            (worst_peak, worst_peak_input) = (peak, input.len());
        }
        execs += 1;
        match result {
            Ok(Ok(())) => {
                accepted += 1;
                if corpus.len() < seed_count + CORPUS_CAP {
                    corpus.push(input.clone());
                }
            }
            Ok(Err(error)) => {
                let message = format!("{error:#}");
                let kind = if message.trim().is_empty() {
                    "(an empty error message)".to_string()
                } else {
                    error_kind(&message)
                };
                if errors.len() < 10_000 || errors.contains_key(&kind) {
                    *errors.entry(kind).or_default() += 1;
                }
            }
            Err(_) => {
                panics += 1;
                let message = PANIC_MESSAGE.lock().map(|m| m.clone()).unwrap_or_default();
                let path = save_finding("panic", &message);
                eprintln!(
                    "FINDING: panic: {message}; input kept as {}",
                    path.display()
                );
            }
        }
        CURRENT.store(std::ptr::null_mut(), Ordering::SeqCst);
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            eprintln!(
                "{}: {execs} executions ({:.0}/s), {accepted} accepted, {panics} panics",
                target.name,
                execs as f64 / started.elapsed().as_secs_f64()
            );
        }
    }

    let secs = started.elapsed().as_secs_f64();
    let mut kinds: Vec<(String, u64)> = errors.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1));
    let summary = serde_json::json!({
        "target": target.name,
        "reads": target.reads,
        "seconds": secs,
        "executions": execs,
        "executions_per_sec": execs as f64 / secs,
        "accepted": accepted,
        "panics": panics,
        "hangs": 0,
        "refused_allocations": 0,
        "largest_input_bytes": biggest_input,
        "worst_peak_bytes": worst_peak,
        "worst_peak_input_bytes": worst_peak_input,
        "largest_single_allocation_bytes": LARGEST.load(Ordering::Relaxed),
        "distinct_errors": kinds.len(),
        "common_errors": kinds.iter().take(12).map(|(k, n)| serde_json::json!({"count": n, "error": k})).collect::<Vec<_>>(),
    });
    let path = out.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("{}", serde_json::to_string(&summary)?);
    if panics > 0 {
        bail!("{panics} inputs panicked; kept in {}", out.display());
    }
    Ok(())
}
