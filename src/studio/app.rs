//! The studio window: a tab bar, the selected tab, notices and a status bar. Persisted state
//! is plain data; channels, textures and devices are rebuilt at launch.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::compute::{Compute, Preference};
use super::jobs::Waker;
use super::tabs::compare::CompareTab;
use super::tabs::embedding::EmbeddingTab;
use super::tabs::explorer::ExplorerTab;
use super::tabs::metrics::MetricsTab;
use super::tabs::studies::StudiesTab;
use super::tabs::training::TrainingTab;
use super::tabs::translate::TranslateTab;
use super::tabs::{Shared, Tab};
use super::widgets::{ExportSettings, Notices};
use crate::data::dataset::default_data_root;

/// The key the studio saves its state under in eframe's storage.
pub const STORAGE_KEY: &str = "gan-studio";

/// Everything that survives a restart.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct StudioState {
    pub tab: Tab,
    pub runs_dir: PathBuf,
    pub data_dir: PathBuf,
    pub preference: Preference,
    pub export: ExportSettings,
    pub training: TrainingTab,
    pub explorer: ExplorerTab,
    pub metrics: MetricsTab,
    pub embedding: EmbeddingTab,
    pub compare: CompareTab,
    pub studies: StudiesTab,
    pub translate: TranslateTab,
}

impl Default for StudioState {
    fn default() -> Self {
        Self {
            tab: Tab::default(),
            runs_dir: default_runs_dir(),
            data_dir: std::env::var_os(crate::data::dataset::DATA_ENV)
                .map(PathBuf::from)
                .unwrap_or_else(default_data_root),
            preference: Preference::Auto,
            export: ExportSettings::default(),
            training: TrainingTab::default(),
            explorer: ExplorerTab::default(),
            metrics: MetricsTab::default(),
            embedding: EmbeddingTab::default(),
            compare: CompareTab::default(),
            studies: StudiesTab::default(),
            translate: TranslateTab::default(),
        }
    }
}

/// The studio's runs folder on first launch: beside the per-user data folder, so it does not
/// depend on the folder the app was started from (the CLI keeps `./runs`).
pub fn default_runs_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("gan-studio")
        .join("runs")
}

/// Time spent building each frame's UI, for the status bar and the frame-time benchmark.
#[derive(Default)]
pub struct FrameStats {
    pub build_times: Vec<Duration>,
    pub intervals: Vec<Duration>,
    last_frame: Option<Instant>,
    frames: usize,
    /// With GAN_STUDIO_FRAME_STATS set, a summary goes to stderr every 10 s (at the next frame).
    report: bool,
    /// With reporting on: which calls (file:line) asked for the frames since the last summary,
    /// so a UI that never goes idle names what keeps waking it.
    causes: std::collections::BTreeMap<String, usize>,
    /// When the last summary went out (one every [`Self::REPORT_EVERY`]).
    reported: Option<Instant>,
}

impl FrameStats {
    const KEEP: usize = 600;
    const REPORT_EVERY: Duration = Duration::from_secs(10);

    fn record(&mut self, ctx: &egui::Context, started: Instant, built: Duration) {
        if let Some(last) = self.last_frame {
            push_capped(&mut self.intervals, started - last);
        }
        self.last_frame = Some(started);
        push_capped(&mut self.build_times, built);
        self.frames += 1;
        if !self.report {
            return;
        }
        for cause in ctx.repaint_causes() {
            *self
                .causes
                .entry(format!("{}:{}", cause.file, cause.line))
                .or_default() += 1;
        }
        let reported = *self.reported.get_or_insert(started);
        if started - reported >= Self::REPORT_EVERY {
            self.reported = Some(started);
            eprintln!("{}", self.summary());
            let mut causes: Vec<_> = std::mem::take(&mut self.causes).into_iter().collect();
            causes.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
            let named: Vec<String> = causes.iter().map(|(at, n)| format!("{at} x{n}")).collect();
            eprintln!("repaints asked for by: {}", named.join(", "));
        }
    }

    /// Median and 99th percentile of the UI build time and of the frame interval.
    pub fn summary(&self) -> String {
        let (build_median, build_p99) = Self::percentiles(&self.build_times);
        let (gap_median, gap_p99) = Self::percentiles(&self.intervals);
        format!(
            "frames {} | UI build median {build_median:.2} ms, p99 {build_p99:.2} ms | frame interval median {gap_median:.2} ms, p99 {gap_p99:.2} ms (last {})",
            self.frames,
            self.build_times.len()
        )
    }

    /// (median, 99th percentile) of a list of durations, in ms.
    pub fn percentiles(values: &[Duration]) -> (f64, f64) {
        if values.is_empty() {
            return (0.0, 0.0);
        }
        let mut ms: Vec<f64> = values.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        (at(0.5), at(0.99))
    }
}

fn push_capped(values: &mut Vec<Duration>, value: Duration) {
    if values.len() == FrameStats::KEEP {
        values.remove(0);
    }
    values.push(value);
}

pub struct StudioApp {
    pub state: StudioState,
    pub compute: Compute,
    pub notices: Notices,
    pub frames: FrameStats,
    /// Made from the first frame's context, so the app can be built before any context exists:
    /// the waker for answers and the paced one for progress.
    wakers: Option<(Waker, Waker)>,
}

impl StudioApp {
    /// The app as eframe starts it: state from storage, burn on eframe's wgpu device.
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let compute = match &cc.wgpu_render_state {
            Some(render_state) => Compute::from_render_state(render_state),
            None => Compute::cpu_only(),
        };
        Self::with_state(Self::saved_state(cc), compute)
    }

    /// The app on a render device burn must not use (`why` is shown as a notice).
    pub fn new_unshared(cc: &eframe::CreationContext<'_>, why: String) -> Self {
        Self::with_state(Self::saved_state(cc), Compute::unshared(why))
    }

    fn saved_state(cc: &eframe::CreationContext<'_>) -> StudioState {
        // Not eframe::get_value: a state saved before an option existed would be dropped.
        cc.storage
            .and_then(|storage| storage.get_string(STORAGE_KEY))
            .and_then(|text| super::saved_state::from_ron(&text))
            .unwrap_or_default()
    }

    /// The app with given state and devices (tests build it this way).
    pub fn with_state(state: StudioState, mut compute: Compute) -> Self {
        compute.preference = state.preference;
        let mut notices = Notices::default();
        if let Some(e) = &compute.shared_error {
            notices.error(
                "studio",
                format!("burn cannot use the window's GPU device, computing on the CPU: {e}"),
            );
        }
        Self {
            state,
            compute,
            notices,
            frames: FrameStats {
                report: std::env::var_os("GAN_STUDIO_FRAME_STATS").is_some(),
                ..FrameStats::default()
            },
            wakers: None,
        }
    }

    /// Draws one frame of the whole studio.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        let software = self.compute.adapter_is_software;
        let (waker, progress_waker) = self.wakers.get_or_insert_with(|| {
            let ctx = ui.ctx().clone();
            super::pacing::set_gap(&ctx, super::pacing::frame_gap(software));
            let progress = super::pacing::progress_waker(&ctx);
            (Arc::new(move || ctx.request_repaint()), progress)
        });
        let (waker, progress_waker) = (&waker.clone(), &progress_waker.clone());
        let Self {
            state,
            compute,
            notices,
            frames,
            wakers: _,
        } = self;
        compute.preference = state.preference;
        let StudioState {
            tab,
            runs_dir,
            data_dir,
            preference,
            export,
            training,
            explorer,
            metrics,
            embedding,
            compare,
            studies,
            translate,
        } = state;
        let mut shared = Shared {
            runs_dir,
            data_dir,
            compute,
            waker,
            progress_waker,
            notices,
            export,
        };
        // Workers report whatever tab is showing.
        training.drain(&mut shared);
        explorer.drain(&mut shared);
        metrics.drain(&mut shared);
        embedding.drain(&mut shared);
        compare.drain(&mut shared);
        studies.drain(&mut shared);
        translate.drain(&mut shared);

        egui::Panel::top("tabs").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("GAN Studio");
                ui.separator();
                for t in Tab::ALL {
                    ui.selectable_value(tab, t, t.title());
                }
                ui.separator();
                // Clicks inside must not close it: its fields take typed paths.
                egui::containers::menu::MenuButton::new("Settings")
                    .config(
                        egui::containers::menu::MenuConfig::new()
                            .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside),
                    )
                    .ui(ui, |ui| settings_ui(ui, &mut shared, preference));
            });
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            shared.notices.ui(ui);
            let (median, p99) = FrameStats::percentiles(&frames.build_times);
            ui.horizontal(|ui| {
                ui.label(shared.compute.status());
                ui.separator();
                ui.weak(format!("UI {median:.1} ms (p99 {p99:.1})"));
                if training.live.is_running() {
                    ui.separator();
                    ui.label(if training.live.paused {
                        format!("paused: {}", training.live.run)
                    } else {
                        format!("training {}", training.live.run)
                    });
                }
            });
        });
        egui::CentralPanel::default()
            .frame(super::widgets::clear_central(ui.style()))
            .show(ui, |ui| match tab {
                Tab::Training => training.ui(ui, &mut shared),
                Tab::Explorer => explorer.ui(ui, &mut shared),
                Tab::Metrics => metrics.ui(ui, &mut shared),
                Tab::Embedding => {
                    explorer.ensure_loaded(&mut shared);
                    let generator = explorer.generator().cloned();
                    embedding.ui(ui, &mut shared, generator.as_ref());
                }
                Tab::Compare => compare.ui(ui, &mut shared),
                Tab::Translate => translate.ui(ui, &mut shared),
                Tab::Studies => {
                    let busy = training.live.is_running() || training.cyclegan.is_running();
                    if let Some(open) = studies.ui(ui, &mut shared, busy) {
                        explorer.open(
                            crate::explore::GeneratorSource::Run {
                                runs_dir: open.runs_dir,
                                name: open.name,
                            },
                            &mut shared,
                        );
                        *tab = Tab::Explorer;
                    }
                }
            });
        frames.record(ui.ctx(), started, started.elapsed());
    }
}

fn settings_ui(ui: &mut egui::Ui, shared: &mut Shared<'_>, preference: &mut Preference) {
    ui.set_min_width(420.0);
    folder_field(
        ui,
        "Runs folder",
        "Where runs are saved and listed",
        shared.runs_dir,
    );
    folder_field(
        ui,
        "Data folder",
        "A folder holding mnist/ and fashion-mnist/, or the four IDX files of one",
        shared.data_dir,
    );
    ui.separator();
    ui.label("Compute on").on_hover_text(
        "auto: the window's GPU when it is a real one, else the CPU (a software adapter is \
         ~10x slower than burn's CPU backend for training)",
    );
    ui.radio_value(preference, Preference::Auto, "auto");
    ui.radio_value(preference, Preference::Cpu, "CPU (burn flex)");
    ui.radio_value(preference, Preference::Wgpu, "the window's wgpu device");
}

/// A labelled path field; a relative path also shows where it points.
fn folder_field(ui: &mut egui::Ui, label: &str, tip: &str, path: &mut PathBuf) {
    let name = ui.label(label).on_hover_text(tip);
    let mut text = path.display().to_string();
    if ui
        .add(egui::TextEdit::singleline(&mut text).desired_width(400.0))
        .labelled_by(name.id)
        .changed()
    {
        *path = PathBuf::from(text);
    }
    if path.is_relative() {
        ui.weak(super::widgets::export::absolute(path).display().to_string());
    }
}

impl eframe::App for StudioApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    /// The panel colour: panels draw no background of their own (see `widgets::clear_central`).
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.state);
    }

    fn on_exit(&mut self) {
        if self.frames.report {
            eprintln!("{}", self.frames.summary());
        }
    }
}
