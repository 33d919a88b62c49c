//! The studio's saved state, read back also when it was saved before later options existed.
//!
//! burn's `Config` derive gives its configs (`GanConfig`, `TrainConfig`) no serde defaults, so
//! one option added to them made a saved state fail to parse as a whole: the studio started
//! from its defaults and, on closing, saved them over everything the user had set. Here each
//! field RON reports missing is written into the text with its default, and the text read
//! again. Written by hand because RON's own value type drops enum variant names (`Spherical`
//! reads back as `()`), so a merge of values cannot rebuild the state.

use super::app::StudioState;
use crate::model::{GanConfig, ModelKind};
use crate::train::TrainConfig;

/// At most this many missing fields are filled in before giving up.
const MAX_FILLED: usize = 64;

/// The state saved as `text` (RON, as eframe stores it), its missing config fields given
/// their defaults; None when it is not a state at all.
pub fn from_ron(text: &str) -> Option<StudioState> {
    let mut text = text.to_owned();
    for _ in 0..MAX_FILLED {
        let error = match ron::from_str::<StudioState>(&text) {
            Ok(state) => return Some(state),
            Err(error) => error,
        };
        let ron::Error::MissingStructField { field, outer } = &error.code else {
            return None;
        };
        let value = default_field(outer.as_deref()?, field)?;
        // RON reports the field missing at its struct's closing parenthesis.
        let at = byte_offset(&text, error.span.end)?;
        let past = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        let close = text[..past].rfind(')')?;
        let before = text[..close].trim_end();
        let comma = if before.ends_with('(') || before.ends_with(',') {
            ""
        } else {
            ","
        };
        text.insert_str(close, &format!("{comma}{field}:{value}"));
    }
    None
}

/// The RON text of `field`'s default value in the config whose serde struct is `outer`.
fn default_field(outer: &str, field: &str) -> Option<String> {
    let defaults = match outer {
        "GanConfigSerde" => ron::to_string(&GanConfig::new(ModelKind::Cdcgan)).ok()?,
        "TrainConfigSerde" => {
            ron::to_string(&TrainConfig::new(GanConfig::new(ModelKind::Cdcgan))).ok()?
        }
        _ => return None,
    };
    field_text(&defaults, field).map(str::to_owned)
}

/// The text of `field`'s value in `text`, a RON struct `(a:1,b:(c:2),...)`, at its top level.
fn field_text<'a>(text: &'a str, field: &str) -> Option<&'a str> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut key_start = None;
    let mut value_start = None;
    for (i, c) in text.char_indices() {
        if in_string {
            (escaped, in_string) = match (escaped, c) {
                (true, _) => (false, true),
                (false, '\\') => (true, true),
                (false, '"') => (false, false),
                _ => (false, true),
            };
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    key_start = Some(i + 1);
                }
            }
            ')' | ']' | '}' | ',' if depth == 1 => {
                if let Some(start) = value_start.take() {
                    return Some(&text[start..i]);
                }
                if c == ',' {
                    key_start = Some(i + 1);
                } else {
                    depth -= 1;
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ':' if depth == 1 && value_start.is_none() => {
                if let Some(start) = key_start.take()
                    && text[start..i].trim() == field
                {
                    value_start = Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The byte offset of a RON position (1-based line, 1-based column in characters).
fn byte_offset(text: &str, at: ron::error::Position) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..at.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line = &text[line_start..];
    let column = line
        .char_indices()
        .nth(at.col.checked_sub(1)?)
        .map_or(line.len(), |(i, _)| i);
    Some(line_start + column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_saved_before_an_option_existed_keeps_what_it_has() {
        let mut state = StudioState::default();
        state.training.form.run_name = "mine, with (parentheses)".into();
        state.training.form.config.gan.model = ModelKind::Pca;
        state.training.form.config.gan.latent_dim = 44;
        state.training.form.config.gan.info_pair_deskew = true;
        state.training.form.config.warp_stroke = 0.25;
        state.training.form.max_steps = 123;
        state.studies.text = "name = \"ünïcode: λ\"\n".into();
        let text = ron::to_string(&state).unwrap();
        // As a state saved before these options existed: one of GanConfig's (its last) and
        // two of TrainConfig's.
        let old = text
            .replace(",projection_discriminator:false", "")
            .replace("warp_scale:0.0,", "")
            .replace("info_codes_unwarped:false,", "")
            .replace("loss_limit:100.0", "")
            .replace(",)", ")");
        assert_ne!(old, text, "the fields to drop were not found in {text}");
        assert!(
            ron::from_str::<StudioState>(&old).is_err(),
            "eframe's own read fails"
        );
        let read = from_ron(&old).expect("the old state is read");
        // Everything it had, and the defaults for what it lacked.
        assert_eq!(ron::to_string(&read).unwrap(), text);
        assert!(from_ron("not a state").is_none());
        assert!(from_ron("(tab:Explorer,runs_dir:3)").is_none());
    }

    #[test]
    fn a_field_is_found_at_the_top_level_only() {
        let text = r#"(a:1,b:(a:2,c:"x,)y"),c:[1,2],d:Some(0.5))"#;
        assert_eq!(field_text(text, "a"), Some("1"));
        assert_eq!(field_text(text, "b"), Some(r#"(a:2,c:"x,)y")"#));
        assert_eq!(field_text(text, "c"), Some("[1,2]"));
        assert_eq!(field_text(text, "d"), Some("Some(0.5)"));
        assert_eq!(field_text(text, "e"), None);
    }
}
