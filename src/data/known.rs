//! Telling data sets apart by content: MNIST and Fashion-MNIST ship as files of the very same
//! names and shapes, so a folder of one chosen as the other would train without a word.

use sha2::{Digest, Sha256};

use super::{DatasetKind, Split};

/// SHA-256 of the decoded payloads (after the IDX headers): train images, train labels, test
/// images, test labels. Raw or gzip files, from any mirror, decode to these bytes. The last two
/// are the slices in tests/fixtures/data (the first 3,000 + 1,000 MNIST and 2,000 + 1,000
/// Fashion-MNIST images of the official files), so a fresh clone's tests see them as what they are.
const KNOWN: [(DatasetKind, [&str; 4]); 4] = [
    (
        DatasetKind::Mnist,
        [
            "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
            "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
            "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
            "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
        ],
    ),
    (
        DatasetKind::Fashion,
        [
            "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
            "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
            "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
            "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
        ],
    ),
    (
        DatasetKind::Mnist,
        [
            "91c2bc2aae0716a3449df39638a595cafa60789f13a087cf9446ed8935f28dc1",
            "a17adb88f60745a3af39c281290f99c718ad9538a8d817348c8e771d6ec4d110",
            "f8f3c5a608a9f7d4bd5e9d69b90c53932b8b99371d9db26121b42f62f3abcd56",
            "d14ba0a1a3818edefa35518ed001ece84b7ac0eabe9394551c73928493175d3f",
        ],
    ),
    (
        DatasetKind::Fashion,
        [
            "31af13ab3663fb9e2c52efe48de909708974c9416b6e08dde8def907f00c4163",
            "efe2b571641c24fa8d0b6f043c130499b4dd29190ad76db9815b225740fab1b8",
            "8d46efb2efae7259de048298adb99140d06082b91c430833a54d7ce30f21c9c9",
            "86fea14d645de73ec2f8e0e859add59c557ccdf73e3e419692220b128c15ec47",
        ],
    ),
];

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Which known data set these splits are, if any. Sets of other content (a user's own IDX
/// files) are not recognised, and a match needs all four payloads.
pub fn identify(train: &Split, test: &Split) -> Option<DatasetKind> {
    // The label files alone rule out nearly every mismatch at a fraction of the cost; the
    // images are hashed only for a set whose labels match.
    let labels = [sha256_hex(&train.labels), sha256_hex(&test.labels)];
    KNOWN
        .iter()
        .filter(|(_, sums)| sums[1] == labels[0] && sums[3] == labels[1])
        .find(|(_, sums)| {
            sums[0] == sha256_hex(&train.images) && sums[2] == sha256_hex(&test.images)
        })
        .map(|(kind, _)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_content_is_not_recognised() {
        let split = Split {
            channels: 1,
            images: vec![0; 4 * 2],
            labels: vec![0, 1],
            rows: 2,
            cols: 2,
        };
        assert_eq!(identify(&split, &split), None);
    }
}
