//! The "Classifier" choice of the tabs that read pictures through a judge (Metrics,
//! Embedding): the classifier bundled for the run's data set, or a classifier run. Pictures of
//! the user's own folder have no bundled judge, so the choice must be offered wherever one
//! reads them.

/// The choice's text for the bundled classifier (`None`).
pub const BUNDLED: &str = "bundled (the run's data set)";

/// A labelled combo box over the bundled classifier and the classifier runs named by
/// `classifiers`; true when the choice changed.
pub fn classifier_combo<'a>(
    ui: &mut egui::Ui,
    id_salt: &str,
    choice: &mut Option<String>,
    classifiers: impl Iterator<Item = &'a str>,
) -> bool {
    let before = choice.clone();
    let name = ui.label("Classifier");
    let combo = egui::ComboBox::from_id_salt(id_salt)
        .selected_text(choice.clone().unwrap_or_else(|| BUNDLED.into()))
        .show_ui(ui, |ui| {
            ui.selectable_value(choice, None, BUNDLED).on_hover_text(
                "The classifier that ships for the run's data set: LeNet-5 for MNIST, a \
                 VGG-style net for Fashion-MNIST and CIFAR-10 (none for a picture folder: \
                 train one with `gan-studio classifier train --dataset folder --data PATH`)",
            );
            for run in classifiers {
                ui.selectable_value(choice, Some(run.to_owned()), run);
            }
        });
    combo.response.labelled_by(name.id);
    *choice != before
}
