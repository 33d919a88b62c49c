//! Messages for the user: errors stay until dismissed, so nothing goes unseen.

pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

#[derive(Default)]
pub struct Notices {
    pub items: Vec<Notice>,
}

impl Notices {
    pub fn error(&mut self, text: impl Into<String>) {
        self.items.push(Notice {
            text: text.into(),
            is_error: true,
        });
    }

    pub fn info(&mut self, text: impl Into<String>) {
        // Only the latest information line matters; errors accumulate.
        self.items.retain(|n| n.is_error);
        self.items.push(Notice {
            text: text.into(),
            is_error: false,
        });
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let mut dismiss = None;
        for (i, notice) in self.items.iter().enumerate() {
            ui.horizontal(|ui| {
                if notice.is_error {
                    ui.colored_label(
                        ui.visuals().error_fg_color,
                        format!("Error: {}", notice.text),
                    );
                } else {
                    ui.label(&notice.text);
                }
                if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                    dismiss = Some(i);
                }
            });
        }
        if let Some(i) = dismiss {
            self.items.remove(i);
        }
    }
}
