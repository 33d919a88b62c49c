//! Messages for the user in the bottom bar. Each comes from a source (a tab's job, exports,
//! the studio); a new message from a source replaces that source's older ones, so the bar shows
//! what is true now rather than a pile of old failures. Information lines fade after a few
//! seconds; errors stay until their source speaks again or the user dismisses them.

use std::time::{Duration, Instant};

/// How long an information line stays.
const INFO_LIFETIME: Duration = Duration::from_secs(10);

pub struct Notice {
    pub text: String,
    pub is_error: bool,
    pub source: &'static str,
    pub shown_at: Instant,
}

#[derive(Default)]
pub struct Notices {
    pub items: Vec<Notice>,
}

impl Notices {
    pub fn error(&mut self, source: &'static str, text: impl Into<String>) {
        self.push(source, text.into(), true);
    }

    pub fn info(&mut self, source: &'static str, text: impl Into<String>) {
        self.push(source, text.into(), false);
    }

    /// Forgets `source`'s messages (its job started again, so they are out of date).
    pub fn clear(&mut self, source: &'static str) {
        self.items.retain(|n| n.source != source);
    }

    fn push(&mut self, source: &'static str, text: String, is_error: bool) {
        self.clear(source);
        self.items.push(Notice {
            text,
            is_error,
            source,
            shown_at: Instant::now(),
        });
    }

    /// The current errors' texts (tests and the status bar read them).
    pub fn errors(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter(|n| n.is_error)
            .map(|n| n.text.as_str())
            .collect()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.items
            .retain(|n| n.is_error || n.shown_at.elapsed() < INFO_LIFETIME);
        if self.items.iter().any(|n| !n.is_error) {
            // Repaint once the oldest information line is due to go.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        let mut dismiss = None;
        for (i, notice) in self.items.iter().enumerate() {
            ui.horizontal(|ui| {
                if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                    dismiss = Some(i);
                }
                // One line each, however long: the tab concerned shows the whole message, and
                // hovering here shows it too.
                let text = if notice.is_error {
                    egui::RichText::new(format!("Error: {}", notice.text))
                        .color(ui.visuals().error_fg_color)
                } else {
                    egui::RichText::new(&notice.text)
                };
                ui.add(egui::Label::new(text).truncate());
            });
        }
        if let Some(i) = dismiss {
            self.items.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_keeps_only_its_latest_message() {
        let mut notices = Notices::default();
        notices.error("training", "no data");
        notices.error("export", "cannot write");
        notices.error("training", "still no data");
        assert_eq!(notices.errors(), vec!["cannot write", "still no data"]);
        notices.info("training", "started");
        assert_eq!(notices.errors(), vec!["cannot write"]);
        notices.clear("export");
        assert!(notices.errors().is_empty());
    }
}
