//! Replays what the fuzzer (`examples/fuzz`) kept: every input in tests/fixtures/fuzz/<target>/
//! must get a clear error from its reader, not a panic, and within bounded memory. Also checks
//! each target still accepts its seeds, so the harness itself keeps working.

mod common;
#[allow(dead_code)] // shared with the fuzzer, which uses all of it
#[path = "../examples/fuzz/counting.rs"]
mod counting;
#[allow(dead_code)]
#[path = "../examples/fuzz/targets.rs"]
mod targets;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// Memory one regression input may take on top of what was live: inputs are at most a few
/// kilobytes (and one 65 KB gzip that inflates to 64 MiB), readers keep what the header
/// promises.
const MEMORY_BOUND: usize = 32 << 20;

/// The allocator's peak is one for the whole process: the two tests take turns, so that one
/// test's allocations (decoding the seed pictures) never count against the other's inputs.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn every_input_the_fuzzer_kept_gets_an_error_in_bounded_memory() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let workspace = targets::Workspace::new(&common::fixtures_root()).unwrap();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut replayed = 0;
    for target in targets::targets() {
        let Ok(entries) = std::fs::read_dir(root.join(target.name)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let before = counting::reset_peak();
            let result =
                std::panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&workspace, &bytes)));
            let peak = counting::PEAK
                .load(Ordering::Relaxed)
                .saturating_sub(before);
            let error = result
                .unwrap_or_else(|_| panic!("{}: panicked", path.display()))
                .expect_err(&format!("{}: accepted", path.display()));
            let message = format!("{error:#}");
            eprintln!("{}: {message} (peak {peak} bytes)", path.display());
            assert!(
                !message.trim().is_empty(),
                "{}: an empty error",
                path.display()
            );
            assert!(
                peak < MEMORY_BOUND,
                "{}: took {peak} bytes to refuse",
                path.display()
            );
            replayed += 1;
        }
    }
    assert!(replayed >= 14, "only {replayed} inputs replayed");
}

#[test]
fn every_fuzz_target_accepts_its_seeds() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let fixtures = common::fixtures_root();
    let workspace = targets::Workspace::new(&fixtures).unwrap();
    for target in targets::targets() {
        let seeds = targets::seeds(target.name, &workspace, &fixtures).unwrap();
        assert!(!seeds.is_empty(), "{} has no seeds", target.name);
        for (name, bytes) in seeds {
            if let Err(e) = (target.run)(&workspace, &bytes) {
                panic!("{}: seed {name} refused: {e:#}", target.name);
            }
        }
    }
}
