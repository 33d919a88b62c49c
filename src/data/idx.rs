//! The IDX file format used by MNIST and Fashion-MNIST.
//!
//! Files may be raw or gzip-compressed; compression is detected from the
//! gzip magic bytes rather than the file name, so renamed files still load.
//! Every error names the file and says what is wrong with it.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

use flate2::read::GzDecoder;

/// Magic number of an IDX file holding u8 data in 3 dimensions (images).
const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file holding u8 data in 1 dimension (labels).
const LABELS_MAGIC: u32 = 0x0000_0801;
/// Header sizes: the magic number plus one big-endian u32 per dimension.
const IMAGES_HEADER_LEN: usize = 16;
const LABELS_HEADER_LEN: usize = 8;
/// Largest image side accepted; anything bigger is a corrupt header, not a digit.
const MAX_SIDE: usize = 1024;
/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A stack of greyscale images read from an IDX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Height of each image in pixels.
    pub rows: usize,
    /// Width of each image in pixels.
    pub cols: usize,
    /// `count * rows * cols` bytes, image after image, each row-major.
    pub pixels: Vec<u8>,
}

/// Class labels read from an IDX file, one byte per example.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxLabels {
    /// One label per example, each below the class count given when reading.
    pub labels: Vec<u8>,
}

/// Why an IDX file could not be read or written. The message always starts
/// with the file's name.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// The file could not be opened, read or written.
    // The io error is shown in the message rather than exposed as `source()`,
    // so `{:#}` chains do not print it twice.
    #[error("{file}: cannot {action}: {error}")]
    Io {
        file: String,
        action: &'static str,
        error: io::Error,
    },
    /// The file starts like gzip but does not decompress.
    #[error("{file}: corrupt gzip data: {error}")]
    Gzip { file: String, error: io::Error },
    /// The first four bytes are not the magic number of the expected kind of file.
    #[error("{file}: wrong magic number {found:#010x} (expected {expected:#010x}, {what})")]
    Magic {
        file: String,
        found: u32,
        expected: u32,
        what: &'static str,
    },
    /// The header is cut short or describes impossible dimensions.
    #[error("{file}: bad header: {problem}")]
    Header { file: String, problem: String },
    /// The payload is shorter than the header promises.
    #[error(
        "{file}: truncated: header says {shape} = {expected} bytes of {what} but the file has {actual}"
    )]
    Truncated {
        file: String,
        shape: String,
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    /// The payload is longer than the header promises.
    #[error(
        "{file}: {extra} trailing bytes after the {expected} bytes of {what} the header describes ({shape})"
    )]
    TrailingBytes {
        file: String,
        shape: String,
        what: &'static str,
        expected: usize,
        extra: usize,
    },
    /// A label is not a valid class index.
    #[error("{file}: label {label} at index {index} is out of range 0..{num_classes}")]
    LabelRange {
        file: String,
        label: u8,
        index: usize,
        num_classes: u8,
    },
}

/// Reads an IDX images file (raw or gzip) from disk.
pub fn read_images(path: &Path) -> Result<IdxImages, IdxError> {
    let name = path.display().to_string();
    let bytes = read_file(path, &name)?;
    read_images_from_bytes(&name, &bytes)
}

/// Reads an IDX labels file (raw or gzip) from disk, checking every label is
/// below `num_classes`.
pub fn read_labels(path: &Path, num_classes: u8) -> Result<IdxLabels, IdxError> {
    let name = path.display().to_string();
    let bytes = read_file(path, &name)?;
    read_labels_from_bytes(&name, &bytes, num_classes)
}

/// Parses IDX images from the bytes of a file (raw or gzip); `name` is used
/// in error messages.
pub fn read_images_from_bytes(name: &str, bytes: &[u8]) -> Result<IdxImages, IdxError> {
    let (data, drained) = decompress_if_gzip(name, bytes, IMAGES_HEADER_LEN, images_payload_len)?;
    check_magic(name, &data, IMAGES_MAGIC, "IDX images of u8")?;
    if data.len() < IMAGES_HEADER_LEN {
        return Err(short_header(name, IMAGES_HEADER_LEN, data.len()));
    }
    let count = be_u32(&data, 4);
    let rows = be_u32(&data, 8);
    let cols = be_u32(&data, 12);
    let shape = format!("{count}x{rows}x{cols}");

    if count == 0 || rows == 0 || cols == 0 {
        return Err(header(name, format!("dimensions {shape} include a zero")));
    }
    if rows > MAX_SIDE || cols > MAX_SIDE {
        return Err(header(
            name,
            format!("image size {rows}x{cols} is larger than {MAX_SIDE}x{MAX_SIDE}"),
        ));
    }
    let expected = count
        .checked_mul(rows)
        .and_then(|n| n.checked_mul(cols))
        .ok_or_else(|| header(name, format!("dimensions {shape} overflow")))?;

    let payload = &data[IMAGES_HEADER_LEN..];
    check_payload_len(name, &shape, "pixels", expected, payload.len() + drained)?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: payload.to_vec(),
    })
}

/// Parses IDX labels from the bytes of a file (raw or gzip), checking every
/// label is below `num_classes`; `name` is used in error messages.
pub fn read_labels_from_bytes(
    name: &str,
    bytes: &[u8],
    num_classes: u8,
) -> Result<IdxLabels, IdxError> {
    let (data, drained) = decompress_if_gzip(name, bytes, LABELS_HEADER_LEN, labels_payload_len)?;
    check_magic(name, &data, LABELS_MAGIC, "IDX labels of u8")?;
    if data.len() < LABELS_HEADER_LEN {
        return Err(short_header(name, LABELS_HEADER_LEN, data.len()));
    }
    let count = be_u32(&data, 4);
    if count == 0 {
        return Err(header(name, "label count is zero".to_string()));
    }
    let payload = &data[LABELS_HEADER_LEN..];
    check_payload_len(
        name,
        &count.to_string(),
        "labels",
        count,
        payload.len() + drained,
    )?;
    if let Some((index, &label)) = payload
        .iter()
        .enumerate()
        .find(|&(_, &label)| label >= num_classes)
    {
        return Err(IdxError::LabelRange {
            file: name.to_string(),
            label,
            index,
            num_classes,
        });
    }
    Ok(IdxLabels {
        labels: payload.to_vec(),
    })
}

/// Writes images as a raw (uncompressed) IDX file. The file appears under its
/// final name only once complete, so a crash never leaves half a file.
pub fn write_images(path: &Path, images: &IdxImages) -> Result<(), IdxError> {
    let name = path.display().to_string();
    let expected = images
        .count
        .checked_mul(images.rows)
        .and_then(|n| n.checked_mul(images.cols));
    if expected != Some(images.pixels.len()) {
        return Err(header(
            &name,
            format!(
                "refusing to write {} bytes of pixels for {}x{}x{} images",
                images.pixels.len(),
                images.count,
                images.rows,
                images.cols
            ),
        ));
    }
    let mut head = Vec::with_capacity(IMAGES_HEADER_LEN);
    head.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for dim in [images.count, images.rows, images.cols] {
        head.extend_from_slice(&dim_to_u32(&name, dim)?.to_be_bytes());
    }
    crate::fsutil::write_parts_atomic(path, &[&head, &images.pixels]).map_err(|error| {
        IdxError::Io {
            file: name,
            action: "write",
            error,
        }
    })
}

/// Magic number of an IDX file holding u8 data in 4 dimensions: colour images (N, H, W, 3).
const COLOUR_MAGIC: u32 = 0x0000_0804;

/// Writes colour images as a raw IDX file of shape (count, rows, cols, channels), the layout
/// NumPy and PIL use (`pixels` interleaved: each pixel's channels together), atomically like
/// [`write_images`].
pub fn write_colour_images(
    path: &Path,
    [count, rows, cols, channels]: [usize; 4],
    pixels: &[u8],
) -> Result<(), IdxError> {
    let name = path.display().to_string();
    if count * rows * cols * channels != pixels.len() {
        return Err(header(
            &name,
            format!(
                "refusing to write {} bytes of pixels for {count}x{rows}x{cols}x{channels} images",
                pixels.len()
            ),
        ));
    }
    let mut head = Vec::with_capacity(20);
    head.extend_from_slice(&COLOUR_MAGIC.to_be_bytes());
    for dim in [count, rows, cols, channels] {
        head.extend_from_slice(&dim_to_u32(&name, dim)?.to_be_bytes());
    }
    crate::fsutil::write_parts_atomic(path, &[&head, pixels]).map_err(|error| IdxError::Io {
        file: name,
        action: "write",
        error,
    })
}

/// Reads colour images written by [`write_colour_images`]: (count, rows, cols, channels) and the
/// pixels, channels together.
pub fn read_colour_images(path: &Path) -> Result<([usize; 4], Vec<u8>), IdxError> {
    let name = path.display().to_string();
    let bytes = read_file(path, &name)?;
    if bytes.len() < 20 {
        return Err(short_header(&name, 20, bytes.len()));
    }
    check_magic(&name, &bytes, COLOUR_MAGIC, "IDX colour images of u8")?;
    let dim = |i: usize| {
        let at = 4 + 4 * i;
        u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
    };
    let dims = [dim(0), dim(1), dim(2), dim(3)];
    if dims[1..].contains(&0) {
        return Err(header(
            &name,
            format!(
                "images of {}x{} with {} channels hold no pixels",
                dims[1], dims[2], dims[3]
            ),
        ));
    }
    let expected = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    if expected != Some(bytes.len() - 20) {
        return Err(header(
            &name,
            format!(
                "{}x{}x{}x{} images need {} bytes of pixels, the file holds {}",
                dims[0],
                dims[1],
                dims[2],
                dims[3],
                expected.map_or("too many".to_owned(), |n| n.to_string()),
                bytes.len() - 20
            ),
        ));
    }
    Ok((dims, bytes[20..].to_vec()))
}

/// Writes labels as a raw (uncompressed) IDX file, atomically like
/// [`write_images`].
pub fn write_labels(path: &Path, labels: &[u8]) -> Result<(), IdxError> {
    let name = path.display().to_string();
    let mut head = Vec::with_capacity(LABELS_HEADER_LEN);
    head.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    head.extend_from_slice(&dim_to_u32(&name, labels.len())?.to_be_bytes());
    crate::fsutil::write_parts_atomic(path, &[&head, labels]).map_err(|error| IdxError::Io {
        file: name,
        action: "write",
        error,
    })
}

fn read_file(path: &Path, name: &str) -> Result<Vec<u8>, IdxError> {
    fs::read(path).map_err(|error| IdxError::Io {
        file: name.to_string(),
        action: "read",
        error,
    })
}

/// Returns the decompressed bytes for gzip input (or the input unchanged) and, for gzip, how
/// many bytes followed the payload its header describes. Only the header and at most one byte
/// more than the payload it promises are kept in memory: a header claiming billions of images,
/// or a small gzip that inflates to gigabytes, allocates nothing of that size. `payload_len`
/// reads the expected payload size from a header (None for one that is wrong anyway).
fn decompress_if_gzip<'a>(
    name: &str,
    bytes: &'a [u8],
    header_len: usize,
    payload_len: fn(&[u8]) -> Option<usize>,
) -> Result<(Cow<'a, [u8]>, usize), IdxError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok((Cow::Borrowed(bytes), 0));
    }
    let gzip = |error| IdxError::Gzip {
        file: name.to_string(),
        error,
    };
    let mut decoder = GzDecoder::new(bytes);
    let mut out = Vec::new();
    (&mut decoder)
        .take(header_len as u64)
        .read_to_end(&mut out)
        .map_err(gzip)?;
    let wanted = match payload_len(&out) {
        Some(n) if out.len() == header_len => n.saturating_add(1),
        _ => 0,
    };
    (&mut decoder)
        .take(wanted as u64)
        .read_to_end(&mut out)
        .map_err(gzip)?;
    // Whatever is left is only counted, for the "trailing bytes" message.
    let drained = io::copy(&mut decoder, &mut io::sink()).map_err(gzip)?;
    Ok((Cow::Owned(out), drained as usize))
}

/// The pixel bytes an images header promises, if it is a plausible one.
fn images_payload_len(header: &[u8]) -> Option<usize> {
    if header.len() < IMAGES_HEADER_LEN || be_u32(header, 0) != IMAGES_MAGIC as usize {
        return None;
    }
    let (rows, cols) = (be_u32(header, 8), be_u32(header, 12));
    if rows > MAX_SIDE || cols > MAX_SIDE {
        return None;
    }
    be_u32(header, 4).checked_mul(rows)?.checked_mul(cols)
}

/// The label bytes a labels header promises.
fn labels_payload_len(header: &[u8]) -> Option<usize> {
    if header.len() < LABELS_HEADER_LEN || be_u32(header, 0) != LABELS_MAGIC as usize {
        return None;
    }
    Some(be_u32(header, 4))
}

fn check_magic(name: &str, data: &[u8], expected: u32, what: &'static str) -> Result<(), IdxError> {
    // Too short for a magic number: report the short header, not a bogus magic.
    let Some(first) = data.get(..4) else {
        let header_len = if expected == IMAGES_MAGIC {
            IMAGES_HEADER_LEN
        } else {
            LABELS_HEADER_LEN
        };
        return Err(short_header(name, header_len, data.len()));
    };
    let found = u32::from_be_bytes([first[0], first[1], first[2], first[3]]);
    if found == expected {
        Ok(())
    } else {
        Err(IdxError::Magic {
            file: name.to_string(),
            found,
            expected,
            what,
        })
    }
}

fn check_payload_len(
    name: &str,
    shape: &str,
    what: &'static str,
    expected: usize,
    actual: usize,
) -> Result<(), IdxError> {
    if actual < expected {
        Err(IdxError::Truncated {
            file: name.to_string(),
            shape: shape.to_string(),
            what,
            expected,
            actual,
        })
    } else if actual > expected {
        Err(IdxError::TrailingBytes {
            file: name.to_string(),
            shape: shape.to_string(),
            what,
            expected,
            extra: actual - expected,
        })
    } else {
        Ok(())
    }
}

/// Reads a big-endian u32 at `offset`; callers have checked the length.
fn be_u32(data: &[u8], offset: usize) -> usize {
    let b = [
        data[offset],
        data[offset + 1],
        data[offset + 2],
        data[offset + 3],
    ];
    // u32 always fits in usize on the 32- and 64-bit targets we build for.
    u32::from_be_bytes(b) as usize
}

fn dim_to_u32(name: &str, dim: usize) -> Result<u32, IdxError> {
    u32::try_from(dim).map_err(|_| header(name, format!("dimension {dim} does not fit in 32 bits")))
}

fn header(name: &str, problem: String) -> IdxError {
    IdxError::Header {
        file: name.to_string(),
        problem,
    }
}

fn short_header(name: &str, needed: usize, actual: usize) -> IdxError {
    header(
        name,
        format!("truncated header: need {needed} bytes but the file has {actual}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn image_bytes(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
        for d in [count, rows, cols] {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(pixels);
        out
    }

    fn label_bytes(labels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
        out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
        out.extend_from_slice(labels);
        out
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).expect("gzip into memory");
        enc.finish().expect("finish gzip")
    }

    fn sample_images() -> IdxImages {
        IdxImages {
            count: 3,
            rows: 2,
            cols: 4,
            pixels: (0..24).collect(),
        }
    }

    #[test]
    fn gzip_headers_claiming_billions_of_images_are_refused_from_what_is_there() {
        // 4,000,000,000 images of 28x28 claimed, 100 pixels present: the message gives both.
        let mut bytes = image_bytes(1, 28, 28, &[0; 100]);
        bytes[4..8].copy_from_slice(&4_000_000_000u32.to_be_bytes());
        let err = read_images_from_bytes("big.gz", &gzip(&bytes)).expect_err("truncated");
        assert!(
            err.to_string().contains(
                "header says 4000000000x28x28 = 3136000000000 bytes of pixels but the file has 100"
            ),
            "{err}"
        );
        // A small gzip that inflates far past its header's one image: counted, not kept.
        let mut big = image_bytes(1, 2, 2, &[7; 4]);
        big.extend(std::iter::repeat_n(0u8, 50 << 20));
        let gz = gzip(&big);
        assert!(gz.len() < 1 << 20, "{} bytes compressed", gz.len());
        let err = read_images_from_bytes("bomb.gz", &gz).expect_err("trailing bytes");
        assert!(
            err.to_string()
                .contains(&format!("{} trailing bytes", 50 << 20)),
            "{err}"
        );
    }

    #[test]
    fn round_trip_raw_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let images = sample_images();
        let img_path = dir.path().join("imgs-idx3-ubyte");
        write_images(&img_path, &images).expect("write images");
        assert_eq!(read_images(&img_path).expect("read images"), images);

        let labels: Vec<u8> = vec![0, 9, 3];
        let lab_path = dir.path().join("labels-idx1-ubyte");
        write_labels(&lab_path, &labels).expect("write labels");
        assert_eq!(
            read_labels(&lab_path, 10).expect("read labels").labels,
            labels
        );

        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "unexpected files: {names:?}");
    }

    #[test]
    fn round_trip_gzip_bytes() {
        let images = sample_images();
        let gz = gzip(&image_bytes(3, 2, 4, &images.pixels));
        assert_eq!(
            read_images_from_bytes("x.gz", &gz).expect("gz images"),
            images
        );

        let gz = gzip(&label_bytes(&[1, 2, 3]));
        let labels = read_labels_from_bytes("y.gz", &gz, 10).expect("gz labels");
        assert_eq!(labels.labels, vec![1, 2, 3]);
    }

    #[test]
    fn gzip_detected_by_magic_not_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("no-extension");
        fs::write(&path, gzip(&label_bytes(&[4, 5]))).expect("write");
        assert_eq!(read_labels(&path, 10).expect("read").labels, vec![4, 5]);
    }

    fn assert_err_mentions(err: IdxError, name: &str, word: &str) {
        let msg = err.to_string();
        assert!(msg.contains(name), "{msg:?} does not name {name:?}");
        assert!(msg.contains(word), "{msg:?} does not mention {word:?}");
    }

    #[test]
    fn wrong_magic() {
        let err = read_images_from_bytes("x", &label_bytes(&[1])).unwrap_err();
        assert!(matches!(err, IdxError::Magic { .. }));
        assert_eq!(
            err.to_string(),
            "x: wrong magic number 0x00000801 (expected 0x00000803, IDX images of u8)"
        );

        let err = read_labels_from_bytes("y", &image_bytes(1, 1, 1, &[0]), 10).unwrap_err();
        assert_err_mentions(err, "y", "wrong magic");
    }

    #[test]
    fn truncated_payload() {
        let err = read_images_from_bytes("imgs.gz", &image_bytes(2, 3, 3, &[0; 10])).unwrap_err();
        assert!(matches!(err, IdxError::Truncated { .. }));
        assert_eq!(
            err.to_string(),
            "imgs.gz: truncated: header says 2x3x3 = 18 bytes of pixels but the file has 10"
        );
    }

    #[test]
    fn truncated_header() {
        let bytes = &image_bytes(2, 3, 3, &[])[..7];
        let err = read_images_from_bytes("short", bytes).unwrap_err();
        assert_err_mentions(err, "short", "truncated header");

        let err = read_labels_from_bytes("tiny", &[0, 0], 10).unwrap_err();
        assert_err_mentions(err, "tiny", "truncated header");
    }

    #[test]
    fn count_mismatch_between_header_and_payload() {
        // Header claims 5 images of 2x2 but only 3 are present.
        let err = read_images_from_bytes("five", &image_bytes(5, 2, 2, &[7; 12])).unwrap_err();
        assert_err_mentions(err, "five", "5x2x2 = 20");

        let mut bytes = label_bytes(&[1, 2, 3]);
        bytes[7] = 4; // header now claims 4 labels
        let err = read_labels_from_bytes("labs", &bytes, 10).unwrap_err();
        assert_err_mentions(err, "labs", "truncated");
    }

    #[test]
    fn trailing_bytes() {
        let err = read_images_from_bytes("extra", &image_bytes(1, 2, 2, &[0; 5])).unwrap_err();
        assert!(matches!(err, IdxError::TrailingBytes { extra: 1, .. }));
        assert_err_mentions(err, "extra", "trailing");
    }

    #[test]
    fn label_out_of_range() {
        let err = read_labels_from_bytes(
            "t10k-labels-idx1-ubyte.gz",
            &label_bytes(&[0, 1, 2, 3, 4, 12, 5]),
            10,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t10k-labels-idx1-ubyte.gz: label 12 at index 5 is out of range 0..10"
        );
    }

    #[test]
    fn corrupt_gzip() {
        // A valid gzip member header followed by bytes that are not deflate data
        // (0xff starts a block of the reserved type 3).
        let mut bytes = vec![0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];
        bytes.extend_from_slice(&[0xff; 32]);
        let err = read_images_from_bytes("x.gz", &bytes).unwrap_err();
        assert!(matches!(err, IdxError::Gzip { .. }));
        assert_err_mentions(err, "x.gz", "corrupt gzip");
    }

    #[test]
    fn zero_and_oversized_dims() {
        let err = read_images_from_bytes("z", &image_bytes(0, 2, 2, &[])).unwrap_err();
        assert_err_mentions(err, "z", "zero");
        let err = read_images_from_bytes("big", &image_bytes(1, 2000, 2, &[])).unwrap_err();
        assert_err_mentions(err, "big", "larger than");
    }

    #[test]
    fn missing_file_names_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("absent-idx3-ubyte");
        let err = read_images(&path).unwrap_err();
        assert_err_mentions(err, "absent-idx3-ubyte", "cannot read");
    }

    #[test]
    fn write_rejects_inconsistent_images() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad");
        let images = IdxImages {
            count: 2,
            rows: 2,
            cols: 2,
            pixels: vec![0; 3],
        };
        assert!(write_images(&path, &images).is_err());
        assert!(!path.exists());
    }
}
