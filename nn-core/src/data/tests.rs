use super::*;
use crate::batch::{batch_from_rows, Batch};

fn csv(text: &str) -> Result<Dataset<f64, 2>, DataError> {
    parse_csv::<f64, 2>(text, "points.csv", CsvOptions::new(3))
}

#[test]
fn csv_reads_features_and_labels() {
    let d = csv("0.5, 1.0, 2\n-1e-3,4,0\n\n").unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d.sample(0), &[0.5, 1.0]);
    assert_eq!(d.sample(1), &[-1e-3, 4.0]);
    assert_eq!(d.labels(), &[2, 0]);
    // label first, header skipped
    let d = parse_csv::<f64, 2>(
        "label,a,b\n1,2,3\n",
        "f.csv",
        CsvOptions::new(2).header(true).label_column_index(0),
    )
    .unwrap();
    assert_eq!((d.sample(0), d.labels()), (&[2.0, 3.0][..], &[1][..]));
}

#[test]
fn csv_wrong_column_count() {
    let e = csv("1,2,0\n1,2\n").unwrap_err();
    assert!(
        matches!(
            e,
            DataError::ColumnCount {
                line: 2,
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "points.csv:2: expected 3 comma-separated fields (2 features and a label) but found 2"
    );
}

#[test]
fn csv_non_numeric_field() {
    let e = csv("1,2,0\n3,abc,1\n").unwrap_err();
    assert!(matches!(e, DataError::NotNumeric { line: 2, column: 2, .. }), "{e:?}");
    assert_eq!(e.to_string(), "points.csv:2: field 2 is `abc`, which is not a number");
}

#[test]
fn csv_label_out_of_range() {
    let e = csv("1,2,0\n1,2,1\n1,2,3\n").unwrap_err();
    assert!(
        matches!(
            e,
            DataError::LabelOutOfRange {
                line: 3,
                column: 3,
                classes: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "points.csv:3: field 3 is the label `3`, which is out of range: expected a class index in 0..3"
    );
    let e = csv("1,2,-1\n").unwrap_err();
    assert!(matches!(e, DataError::BadLabel { line: 1, .. }), "{e:?}");
    let e = csv("1,2,1.5\n").unwrap_err();
    assert!(matches!(e, DataError::BadLabel { line: 1, .. }), "{e:?}");
}

#[test]
fn csv_empty_file() {
    let e = csv("").unwrap_err();
    assert!(matches!(e, DataError::Empty { header: false, .. }), "{e:?}");
    assert_eq!(e.to_string(), "points.csv: no data rows (the file is empty)");
    let e = parse_csv::<f64, 2>("a,b,label\n\n", "h.csv", CsvOptions::new(3).header(true)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "h.csv: no data rows (the file is empty apart from its header)"
    );
}

#[test]
fn csv_a_zero_byte_file_is_empty_even_with_a_header_expected() {
    let e = parse_csv::<f64, 2>("", "h.csv", CsvOptions::new(3).header(true)).unwrap_err();
    assert_eq!(e.to_string(), "h.csv: no data rows (the file is empty)");
}

#[test]
fn csv_a_leading_byte_order_mark_is_dropped() {
    // no header: the mark sits in front of the first number
    let d = csv("\u{feff}0.1,0.2,1\n0.3,0.4,0\n").unwrap();
    assert_eq!((d.sample(0), d.labels()), (&[0.1, 0.2][..], &[1, 0][..]));
    // with a header (the mark is in front of the header, which is skipped)
    let d = parse_csv::<f64, 2>("\u{feff}a,b,label\n1,2,0\n", "h.csv", CsvOptions::new(3).header(true)).unwrap();
    assert_eq!(d.len(), 1);
    // a mark elsewhere is an error, shown escaped rather than invisible
    let e = csv("1,2,0\n\u{feff}0.1,0.2,1\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "points.csv:2: field 1 is `\\u{feff}0.1`, which is not a number"
    );
}

#[test]
fn csv_a_value_too_large_for_f32_is_reported_at_its_line() {
    let e = parse_csv::<f32, 2>("1,2,0\n1e39,2,0\n-3e38,x,y\n", "big.csv", CsvOptions::new(3)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "big.csv:2: field 1 is `1e39`, which is too large for f32"
    );
    // the same value is fine in f64
    let d = parse_csv::<f64, 2>("1e39,2,0\n", "big.csv", CsvOptions::new(3)).unwrap();
    assert_eq!(d.sample(0), &[1e39, 2.0]);
}

#[test]
fn csv_the_first_bad_line_is_reported_without_reading_on() {
    // A reader that fails past the bad line: the parser must stop at line 2.
    struct FailsAfter(&'static [u8]);
    impl std::io::Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("read past the bad line"));
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let reader = std::io::BufReader::with_capacity(8, FailsAfter(b"1,2,0\n1e39,2,0\n"));
    let e = read_csv::<f32, 2, _>(reader, "stream.csv", CsvOptions::new(3)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "stream.csv:2: field 1 is `1e39`, which is too large for f32"
    );
}

#[test]
fn csv_a_huge_field_is_cut_in_the_message() {
    let huge = "7".repeat(1_000_000);
    for text in [
        format!("1,2,0\n1,{huge}x,0\n"),
        format!("1,2,{huge}\n"),
        format!("1,2,0\n{huge}e999,2,0\n"),
    ] {
        let e = csv(&text).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.len() < 200,
            "{} bytes: {}",
            msg.len(),
            msg.get(..300).unwrap_or(&msg)
        );
        assert!(msg.contains(&format!("{}… (", "7".repeat(40))), "{msg}");
    }
    let e = csv(&format!("1,{huge}x,0\n")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "points.csv:1: field 2 is `{}… (1000001 bytes)`, which is not a number",
            "7".repeat(40)
        )
    );
}

#[test]
fn csv_a_line_that_is_not_utf8_is_reported_at_its_line() {
    let e = read_csv::<f32, 2, _>(&b"1,2,0\n1,\xFF,0\n"[..], "bin.csv", CsvOptions::new(3)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bin.csv:2: field 2 is not valid UTF-8 (from byte 3 of the line on)"
    );
}

#[test]
fn csv_nan_and_inf_are_errors() {
    for bad in ["NaN", "inf", "-inf", "1e999"] {
        let e = csv(&format!("1,2,0\n{bad},2,0\n")).unwrap_err();
        assert!(
            matches!(e, DataError::NonFinite { line: 2, column: 1, .. }),
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn csv_file_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("nn-csv-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.csv");
    std::fs::write(&path, "1,2,0\n1,x,0\n").unwrap();
    let e = load_csv::<f32, 2>(&path, CsvOptions::new(3)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{}:2: field 2 is `x`, which is not a number", path.display())
    );
    std::fs::write(&path, "1,2,0\n0,1,1\n").unwrap();
    assert_eq!(load_csv::<f32, 2>(&path, CsvOptions::new(3)).unwrap().len(), 2);
    let missing = dir.join("missing.csv");
    let e = load_csv::<f32, 2>(&missing, CsvOptions::new(3)).unwrap_err();
    assert!(
        matches!(e, DataError::Io { .. }) && e.to_string().contains("missing.csv"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dataset_constructors_validate() {
    let x = batch_from_rows(&[[0.0f64, 1.0], [f64::NAN, 0.0]]);
    let e = Dataset::classification(x, vec![0, 1], 2).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::NonFiniteFeature {
                sample: 1,
                feature: 0,
                ..
            }
        ),
        "{e:?}"
    );
    let x = batch_from_rows(&[[0.0f64, 1.0], [1.0, 0.0]]);
    let e = Dataset::classification(x.clone(), vec![0, 2], 2).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::LabelOfSampleOutOfRange {
                sample: 1,
                label: 2,
                ..
            }
        ),
        "{e:?}"
    );
    let e = Dataset::classification(x.clone(), vec![0], 2).unwrap_err();
    assert!(
        matches!(e, DataError::LengthMismatch { samples: 2, targets: 1 }),
        "{e:?}"
    );
    let y = batch_from_rows(&[[1.0f64], [f64::INFINITY]]);
    let e = Dataset::regression(x, y).unwrap_err();
    assert!(matches!(e, DataError::NonFiniteTarget { sample: 1, .. }), "{e:?}");
}

#[test]
fn spiral_matches_the_books_formula() {
    let d = spiral::<f64>(SPIRAL_SEED);
    assert_eq!(d.len(), 300);
    assert_eq!(&d.labels()[..3], &[0, 0, 0]);
    assert_eq!(d.labels()[100], 1);
    assert_eq!(d.labels()[299], 2);
    // point i of every class lies at radius i / 100 (the noise only turns the angle)
    for j in 0..3 {
        for i in 0..100 {
            let p = d.sample(100 * j + i);
            let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
            assert!((r - i as f64 / 100.0).abs() < 1e-12, "class {j} point {i}: radius {r}");
        }
    }
    // the angle is 4j + 4·rate plus noise of std 0.2: recover the noise and check its spread
    let mut noise = Vec::new();
    for j in 0..3 {
        for i in 1..100 {
            let p = d.sample(100 * j + i);
            let theta = p[0].atan2(p[1]); // x = r sin θ, y = r cos θ
            let expected = 4.0 * j as f64 + 4.0 * i as f64 / 100.0;
            let tau = std::f64::consts::TAU;
            let diff = (theta - expected).rem_euclid(tau);
            noise.push(if diff > tau / 2.0 { diff - tau } else { diff });
        }
    }
    let n = noise.len() as f64;
    let mean = noise.iter().sum::<f64>() / n;
    let sd = (noise.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    assert!(
        mean.abs() < 0.05 && (sd - 0.2).abs() < 0.03,
        "noise mean {mean}, std {sd}"
    );
    // seeded: the same seed gives the same points, another seed others
    assert_eq!(spiral::<f64>(SPIRAL_SEED).x(), d.x());
    assert_ne!(spiral::<f64>(1).x(), d.x());
}

#[test]
fn batches_cover_every_sample_once_per_pass_and_reshuffle() {
    let d = spiral_with::<f32>(7, 3, 1); // 21 samples
    let mut b = Batches::new(d.len(), 5, 42);
    assert_eq!(b.len(), 5); // 4 full batches and one of 1
    let mut orders = Vec::new();
    for _ in 0..3 {
        b.shuffle();
        let mut seen = Vec::new();
        for i in 0..b.len() {
            let idx = b.indices(i).to_vec();
            let (x, t) = b.get(&d, i);
            assert_eq!(x.ncols(), if i == 4 { 1 } else { 5 });
            for (k, &s) in idx.iter().enumerate() {
                assert_eq!(x.column(k).as_slice(), d.sample(s));
                assert_eq!(t[k], d.labels()[s]);
            }
            seen.extend(idx);
        }
        orders.push(seen.clone());
        seen.sort_unstable();
        assert_eq!(seen, (0..21).collect::<Vec<_>>());
    }
    assert_ne!(orders[0], orders[1]);
    assert_ne!(orders[1], orders[2]);
    // the same seed replays the same orders
    let mut again = Batches::<f32, 2>::new(d.len(), 5, 42);
    again.shuffle();
    assert_eq!(
        (0..5).flat_map(|i| again.indices(i).to_vec()).collect::<Vec<_>>(),
        orders[0]
    );
    assert_eq!(Batches::<f32, 2>::new(21, 5, 0).drop_last(true).len(), 4);
}

#[test]
fn batches_reuse_their_buffers() {
    let d = spiral_with::<f64>(10, 3, 3);
    let mut b = Batches::new(d.len(), 8, 0);
    let (x, _) = b.get(&d, 0);
    let ptr = x.as_ptr();
    for _ in 0..3 {
        b.shuffle();
        for i in 0..b.len() {
            let (x, _) = b.get(&d, i);
            assert_eq!(x.as_ptr(), ptr, "batch {i} moved to a new buffer");
        }
    }
}

#[test]
fn split_is_seeded_and_partitions() {
    let d = spiral_with::<f64>(10, 3, 5);
    let (tr, te) = d.split(0.2, 9);
    assert_eq!((tr.len(), te.len()), (24, 6));
    let (tr2, te2) = d.split(0.2, 9);
    assert_eq!((tr.x(), te.labels()), (tr2.x(), te2.labels()));
    let (tr3, _) = d.split(0.2, 10);
    assert_ne!(tr.x(), tr3.x());
    // every sample lands in exactly one part
    let mut all: Vec<Vec<u64>> = tr
        .x()
        .column_iter()
        .chain(te.x().column_iter())
        .map(|c| c.iter().map(|v| v.to_bits()).collect())
        .collect();
    let mut orig: Vec<Vec<u64>> = d
        .x()
        .column_iter()
        .map(|c| c.iter().map(|v| v.to_bits()).collect())
        .collect();
    all.sort();
    orig.sort();
    assert_eq!(all, orig);
}

#[test]
fn standardizer_fits_train_and_applies_to_test() {
    let d = spiral_with::<f64>(20, 3, 2);
    let (mut tr, mut te) = d.split(0.25, 1);
    let s = Standardizer::fit(tr.x());
    tr.standardize(&s).unwrap();
    te.standardize(&s).unwrap();
    for f in 0..2 {
        let row: Vec<f64> = tr.x().row(f).iter().copied().collect();
        let n = row.len() as f64;
        let mean = row.iter().sum::<f64>() / n;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        assert!(
            mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12,
            "feature {f}: mean {mean}, var {var}"
        );
    }
    // the test set uses the train statistics, not its own
    let raw_te = d.split(0.25, 1).1;
    for n in 0..te.len() {
        for f in 0..2 {
            let want = (raw_te.sample(n)[f] - s.mean[f]) / s.std[f];
            assert_eq!(te.sample(n)[f], want);
        }
    }
}

#[test]
fn stratified_split_keeps_class_proportions() {
    let d = spiral_with::<f64>(20, 3, 4); // 20 per class
    let (tr, te) = d.stratified_split(0.25, 3);
    assert_eq!((tr.len(), te.len()), (45, 15));
    for c in 0..3 {
        assert_eq!(te.labels().iter().filter(|&&l| l == c).count(), 5, "class {c}");
        assert_eq!(tr.labels().iter().filter(|&&l| l == c).count(), 15, "class {c}");
    }
    // features travel with their labels (point 0 of every arm is the origin: skip it), and
    // the parts are not sorted by class
    for (part, data) in [(&tr, &d), (&te, &d)] {
        for n in (0..part.len()).filter(|&n| part.sample(n) != [0.0, 0.0]) {
            let k = (0..data.len()).find(|&k| data.sample(k) == part.sample(n)).unwrap();
            assert_eq!(data.labels()[k], part.labels()[n]);
        }
    }
    assert!(te.labels().windows(2).any(|w| w[0] > w[1]));
    let (tr2, _) = d.stratified_split(0.25, 3);
    assert_eq!(tr.x(), tr2.x());
}

#[test]
fn csv_options_name_the_number_of_classes() {
    assert_eq!(CsvOptions::classes(10), CsvOptions::new(10));
    let o = CsvOptions::classes(10);
    assert_eq!((o.classes, o.header, o.label_column), (10, false, LabelColumn::Last));
}

#[test]
#[should_panic(expected = "CsvOptions: expected the number of classes (at least 1), got 0")]
fn csv_options_refuse_zero_classes() {
    let _ = CsvOptions::classes(0);
}

#[test]
#[should_panic(expected = "CsvOptions: expected the number of classes (at least 1) in `classes`, got 0")]
fn csv_readers_refuse_zero_classes_set_by_hand() {
    let opts = CsvOptions {
        classes: 0,
        ..CsvOptions::classes(1)
    };
    let _ = csv_with("1,2,0\n", opts);
}

fn csv_with(text: &str, opts: CsvOptions) -> Result<Dataset<f64, 2>, DataError> {
    parse_csv::<f64, 2>(text, "points.csv", opts)
}

#[test]
fn csv_label_column_by_name_or_index() {
    let text = "x, species ,y\n1,2,3\n4,0,6\n";
    let by_name = csv_with(text, CsvOptions::classes(3).label_column("species")).unwrap();
    let by_index = csv_with(text, CsvOptions::classes(3).header(true).label_column_index(1)).unwrap();
    for d in [&by_name, &by_index] {
        assert_eq!((d.sample(0), d.sample(1)), (&[1.0, 3.0][..], &[4.0, 6.0][..]));
        assert_eq!(d.labels(), &[2, 0]);
    }
    // the name is looked up after the byte-order mark, and in a header of CRLF lines
    let d = csv_with(
        "\u{feff}species,a,b\r\n1,2,3\r\n",
        CsvOptions::classes(3).label_column("species"),
    )
    .unwrap();
    assert_eq!((d.sample(0), d.labels()), (&[2.0, 3.0][..], &[1][..]));
    let d = csv_with(
        "a,b,species\r\n1,2,1\r\n",
        CsvOptions::classes(3).label_column("species"),
    )
    .unwrap();
    assert_eq!((d.sample(0), d.labels()), (&[1.0, 2.0][..], &[1][..]));
}

#[test]
fn csv_a_label_column_name_missing_or_twice_in_the_header_is_an_error() {
    let e = csv_with("a,b,label\n1,2,0\n", CsvOptions::classes(3).label_column("species")).unwrap_err();
    assert!(matches!(e, DataError::NoSuchColumn { line: 1, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "points.csv:1: the header has no column named `species` (the header: `a,b,label`)"
    );
    let e = csv_with(
        "species,b,species\n1,2,0\n",
        CsvOptions::classes(3).label_column("species"),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            DataError::AmbiguousColumn {
                line: 1,
                first: 1,
                second: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "points.csv:1: the header names fields 1 and 3 `species`: which one is the label is ambiguous"
    );
    // a header that does not have the fields of a row cannot say which one is the label
    let e = csv_with("a,species\n1,2,0\n", CsvOptions::classes(3).label_column("species")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "points.csv:1: expected 3 comma-separated fields (2 features and a label) but found 2"
    );
    let e = read_csv::<f64, 2, _>(
        &b"a,\xFF,species\n"[..],
        "h.csv",
        CsvOptions::classes(3).label_column("species"),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "h.csv:1: field 2 is not valid UTF-8 (from byte 3 of the line on)"
    );
}

#[test]
#[should_panic(
    expected = "CsvOptions: the label column is named (`species`), which needs a header line, but `header` is false"
)]
fn csv_a_label_column_name_needs_a_header() {
    let _ = csv_with("1,2,0\n", CsvOptions::classes(3).label_column("species").header(false));
}

#[test]
#[should_panic(
    expected = "CsvOptions: expected a label column index below 3 (a row has 2 features and a label), got 3"
)]
fn csv_a_label_column_index_past_the_row_panics() {
    let _ = csv_with("1,2,0\n", CsvOptions::classes(3).label_column_index(3));
}

#[test]
fn csv_integral_float_labels_are_class_indices() {
    let d = csv("1,2,2.0\n3,4,2e0\n5,6,-0\n7,8,+1\n9,10,0.0e5\n11,12,1.\n").unwrap();
    assert_eq!(d.labels(), &[2, 2, 0, 1, 0, 1]);
    let d = parse_csv::<f64, 1>("1,3e0\n", "f.csv", CsvOptions::classes(4)).unwrap();
    assert_eq!(d.labels(), &[3]);
}

#[test]
fn csv_a_label_that_is_not_a_class_index_names_line_column_and_value() {
    for bad in ["2.5", "-1", "-1.0", "-3e0", "NaN", "inf", "1e-300", "x", ""] {
        let e = csv(&format!("1,2,0\n1,2,{bad}\n")).unwrap_err();
        assert!(
            matches!(e, DataError::BadLabel { line: 2, column: 3, .. }),
            "{bad}: {e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "points.csv:2: field 3 is the label `{bad}`, which is not a class index (expected an integer in 0..3)"
            )
        );
    }
    // the label first
    let e = csv_with("0.5,1,2\n", CsvOptions::classes(3).label_column_index(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "points.csv:1: field 1 is the label `0.5`, which is not a class index (expected an integer in 0..3)"
    );
    for big in ["3", "3.0", "3e0", "1e30", "18446744073709551616", "1e308"] {
        let e = csv(&format!("1,2,0\n\n1,2,{big}\n")).unwrap_err();
        assert!(
            matches!(e, DataError::LabelOutOfRange { line: 3, column: 3, .. }),
            "{big}: {e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "points.csv:3: field 3 is the label `{big}`, which is out of range: expected a class index in 0..3"
            )
        );
    }
}

#[test]
fn csv_a_failed_read_names_the_line() {
    struct FailsAfter(&'static [u8]);
    impl std::io::Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("connection reset"));
            }
            let n = self.0.len().min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    let reader = std::io::BufReader::with_capacity(4, FailsAfter(b"1,2,0\n1,2,1\n3,"));
    let e = read_csv::<f32, 2, _>(reader, "socket.csv", CsvOptions::classes(3)).unwrap_err();
    assert!(matches!(e, DataError::Read { line: 3, .. }), "{e:?}");
    assert_eq!(e.to_string(), "socket.csv:3: cannot read the line: connection reset");
}

#[test]
fn csv_a_zero_byte_file_is_empty_and_a_header_alone_says_so() {
    let dir = std::env::temp_dir().join(format!("nn-csv-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("empty.csv");
    std::fs::write(&path, b"").unwrap();
    let named = CsvOptions::classes(3).label_column("label");
    for opts in [
        CsvOptions::classes(3),
        CsvOptions::classes(3).header(true),
        named.clone(),
    ] {
        let e = load_csv::<f32, 2>(&path, opts.clone()).unwrap_err();
        assert!(matches!(e, DataError::Empty { header: false, .. }), "{opts:?}: {e:?}");
        assert_eq!(
            e.to_string(),
            format!("{}: no data rows (the file is empty)", path.display())
        );
    }
    // nothing but a byte-order mark or blank lines: no header either
    for text in ["\u{feff}", "\n", "\u{feff}\r\n\n  \n"] {
        let e = parse_csv::<f64, 2>(text, "h.csv", CsvOptions::classes(3).header(true)).unwrap_err();
        assert_eq!(e.to_string(), "h.csv: no data rows (the file is empty)", "{text:?}");
    }
    // a header alone, with or without a line end, blank lines after it
    std::fs::write(&path, b"a,b,label").unwrap();
    for opts in [CsvOptions::classes(3).header(true), named] {
        let e = load_csv::<f32, 2>(&path, opts).unwrap_err();
        assert!(matches!(e, DataError::Empty { header: true, .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: no data rows (the file is empty apart from its header)",
                path.display()
            )
        );
    }
    let e = parse_csv::<f64, 2>(
        "\u{feff}a,b,label\r\n\r\n",
        "h.csv",
        CsvOptions::classes(3).header(true),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "h.csv: no data rows (the file is empty apart from its header)"
    );
    // without a header expected, blank lines are an empty file
    let e = csv("\n\n").unwrap_err();
    assert_eq!(e.to_string(), "points.csv: no data rows (the file is empty)");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every error of a bad line names the file and line, and the field where there is one.
#[test]
fn csv_every_line_error_names_file_line_and_field() {
    let named = || CsvOptions::classes(3).label_column("label");
    let cases: [(&[u8], CsvOptions, usize, Option<usize>); 11] = [
        (b"1,2,0\n1,2\n", CsvOptions::classes(3), 2, None),
        (b"1,2,0\n\n1,\xFF,0\n", CsvOptions::classes(3), 3, Some(2)),
        (b"1,x,0\n", CsvOptions::classes(3), 1, Some(2)),
        (b"1,2,0\ninf,2,0\n", CsvOptions::classes(3), 2, Some(1)),
        (b"h\n1,1e39,0\n", CsvOptions::classes(3).header(true), 2, Some(2)),
        (b"1,2,0.5\n", CsvOptions::classes(3), 1, Some(3)),
        (
            b"1,2,0\n7,1,2\n",
            CsvOptions::classes(3).label_column_index(0),
            2,
            Some(1),
        ),
        (b"a,b,c\n", named(), 1, None),
        (b"label,b,label\n", named(), 1, None),
        (b"a,label\n", named(), 1, None),
        (b"a,\xFF,label\n", named(), 1, Some(2)),
    ];
    for (text, opts, line, column) in cases {
        let e = read_csv::<f32, 2, _>(text, "points.csv", opts).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with(&format!("points.csv:{line}: ")), "{msg}");
        if let Some(c) = column {
            assert!(msg.contains(&format!(" field {c} ")), "{msg}");
        }
    }
}

#[test]
fn datasets_record_their_number_of_classes() {
    // 5 classes declared, only 0..3 present: the declared count is kept
    let x = Batch::<f64, 2>::from_fn(12, |r, c| (r + 2 * c) as f64);
    let labels: Vec<usize> = (0..12).map(|n| n % 3).collect();
    let d = Dataset::classification(x.clone(), labels.clone(), 5).unwrap();
    assert_eq!(d.classes(), Some(5));
    assert_eq!(d.select(&[3, 1]).classes(), Some(5));
    assert_eq!(d.select(&[]).classes(), Some(5));
    let (tr, te) = d.split(0.25, 1);
    assert_eq!((tr.classes(), te.classes()), (Some(5), Some(5)));
    let (tr, te) = d.stratified_split(0.5, 2);
    assert_eq!((tr.classes(), te.classes()), (Some(5), Some(5)));
    assert_eq!(d.clone().classes(), Some(5));
    let two = Dataset::classification(x.clone(), vec![1; 12], 2).unwrap();
    assert_eq!(two.classes(), Some(2));
    // without a class count, or with target values
    assert_eq!(Dataset::new(x.clone(), labels).unwrap().classes(), None);
    let r = Dataset::regression(x.clone(), Batch::<f64, 1>::zeros(12)).unwrap();
    assert_eq!((r.classes(), r.split(0.5, 3).0.classes()), (None, None));
    // the loaders and the spiral
    let c = parse_csv::<f64, 2>("1,2,0\n3,4,1\n", "f.csv", CsvOptions::classes(7)).unwrap();
    assert_eq!(c.classes(), Some(7));
    assert_eq!(spiral_with::<f32>(2, 4, 0).classes(), Some(4));
    assert_eq!(spiral::<f32>(SPIRAL_SEED).classes(), Some(3));
}

#[test]
#[should_panic(expected = "Batches::new: expected a batch size of at least 1, got 0")]
fn batches_refuse_a_batch_size_of_zero() {
    let _ = Batches::<f32, 2>::new(10, 0, 0);
}

#[test]
#[should_panic(expected = "Batches::get: expected a batch index below 5 (21 samples in batches of 5), got 5")]
fn batches_get_past_the_last_batch_panics() {
    let d = spiral_with::<f32>(7, 3, 1);
    let _ = Batches::new(d.len(), 5, 0).get(&d, 5);
}

#[test]
#[should_panic(
    expected = "Batches::indices: expected a batch index below 4 (21 samples in batches of 5, the last short one dropped), got 4"
)]
fn batches_indices_of_a_dropped_batch_panic() {
    let _ = Batches::<f32, 2>::new(21, 5, 0).drop_last(true).indices(4);
}

#[test]
#[should_panic(
    expected = "Batches::get_in_place: expected a data set of 20 samples (what these batches were built for), got one of 21"
)]
fn batches_on_another_data_set_panic() {
    let d = spiral_with::<f32>(7, 3, 1);
    let _ = Batches::new(20, 5, 0).get_in_place(&d, 0);
}

#[test]
#[should_panic(expected = "Dataset::split: expected a test fraction in 0..=1, got 1.5")]
fn split_refuses_a_fraction_above_one() {
    let _ = spiral_with::<f32>(2, 2, 0).split(1.5, 0);
}

#[test]
#[should_panic(expected = "Dataset::stratified_split: expected a test fraction in 0..=1, got NaN")]
fn stratified_split_refuses_nan() {
    let _ = spiral_with::<f32>(2, 2, 0).stratified_split(f64::NAN, 0);
}

#[test]
#[should_panic(expected = "Dataset::select: expected sample indices below 6, got 6 (at position 2)")]
fn select_refuses_an_index_out_of_range() {
    let _ = spiral_with::<f32>(3, 2, 0).select(&[0, 5, 6, 1]);
}

#[test]
#[should_panic(expected = "Dataset::sample: expected a sample index below 6, got 6")]
fn sample_refuses_an_index_out_of_range() {
    let _ = spiral_with::<f32>(3, 2, 0).sample(6);
}

#[test]
#[should_panic(expected = "Standardizer::fit: expected at least 1 sample, got 0")]
fn standardizer_fit_refuses_no_samples() {
    let _ = Standardizer::fit(&Batch::<f64, 3>::zeros(0));
}

#[test]
#[should_panic(
    expected = "Standardizer::apply: expected whole samples of 3 values (a length that is a multiple of 3), got 4 values"
)]
fn standardizer_apply_refuses_a_partial_sample() {
    let s = Standardizer::fit(&Batch::<f64, 3>::zeros(2));
    s.apply(&mut [0.0; 4]);
}

#[test]
fn standardize_refuses_to_make_a_value_non_finite_and_leaves_the_data_unchanged() {
    let x = batch_from_rows(&[[1.0f64, 5.0], [f64::MAX, 7.0], [-2.0, 7.0]]);
    let mut d = Dataset::classification(x, vec![0, 1, 0], 2).unwrap();
    let before = d.x().clone();
    let with = |mean: [f64; 2], std: [f64; 2]| Standardizer {
        mean: Box::new(mean),
        std: Box::new(std),
    };
    // (sample, feature) of the first value made non-finite, for each bad standardizer
    let cases = [
        (with([0.0, 0.0], [1.0, 0.0]), (0, 1)),               // std 0
        (with([0.0, 0.0], [1.0, 1e-310]), (0, 1)),            // 5 / 1e-310 overflows
        (with([-f64::MAX, 0.0], [1.0, 1.0]), (1, 0)),         // MAX + MAX overflows
        (with([f64::NAN, 0.0], [1.0, 1.0]), (0, 0)),          // a NaN mean
        (with([0.0, f64::NEG_INFINITY], [1.0, 1.0]), (0, 1)), // 5 + inf
    ];
    for (s, at) in &cases {
        let e = d.standardize(s).unwrap_err();
        match e {
            DataError::NonFiniteStandardized { sample, feature, .. } => assert_eq!((sample, feature), *at, "{e}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(d.x(), &before);
    }
    // an infinite std maps every finite value to 0: accepted
    let mut zeroed = d.clone();
    zeroed.standardize(&with([0.0, 0.0], [1.0, f64::INFINITY])).unwrap();
    assert_eq!(zeroed.x().row(1).iter().copied().collect::<Vec<_>>(), [0.0; 3]);
    let e = d.standardize(&with([0.0, 0.0], [1.0, 0.0])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "standardizing sample 0, feature 1 gives (5 - 0) / 0, which is not finite (the data set is unchanged)"
    );
    // a standardizer fitted on huge values can overflow too (the mean of MAX and MAX)
    let huge = batch_from_rows(&[[f64::MAX], [f64::MAX]]);
    let mut h = Dataset::regression(huge.clone(), batch_from_rows(&[[0.0f64], [1.0]])).unwrap();
    let s = Standardizer::fit(&huge);
    assert!(h.standardize(&s).is_err());
    assert!(h.x().iter().all(|v| v.is_finite()));
    // what is checked is the value written, (x - mean) / std: (MAX - MAX) / 0.5 = 0 is fine
    // although MAX / 0.5 alone would overflow
    h.standardize(&Standardizer {
        mean: Box::new([f64::MAX]),
        std: Box::new([0.5]),
    })
    .unwrap();
    assert_eq!(h.x().as_slice(), &[0.0, 0.0]);
}

#[test]
fn dataset_new_checks_target_values_too() {
    let x = batch_from_rows(&[[0.0f32, 1.0], [1.0, 0.0]]);
    let y = batch_from_rows(&[[0.0f32, 1.0], [f32::NAN, 0.0]]);
    let e = Dataset::new(x.clone(), y).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::NonFiniteTarget {
                sample: 1,
                entry: 0,
                ..
            }
        ),
        "{e:?}"
    );
    let y = batch_from_rows(&[[0.0f32, 1.0], [1.0, f32::NEG_INFINITY]]);
    assert!(matches!(
        Dataset::new(x.clone(), y).unwrap_err(),
        DataError::NonFiniteTarget {
            sample: 1,
            entry: 1,
            ..
        }
    ));
    let y = batch_from_rows(&[[0.0f32, 1.0], [1.0, 0.0]]);
    assert_eq!(Dataset::new(x, y).unwrap().len(), 2);
}

/// A data set whose sample `i` is the feature value `i` (and target `i`).
fn numbered(len: usize) -> Dataset<f32, 1, Batch<f32, 1>> {
    let x = Batch::<f32, 1>::from_fn(len, |_, i| i as f32);
    Dataset::regression(x.clone(), x).unwrap()
}

#[test]
fn sequence_batches_shuffle_whole_sequences_and_lay_them_out_time_major() {
    let data = numbered(15); // 5 sequences of 3 steps
    let mut b = Batches::new(data.len(), 2, 4).layout(Layout::Sequences { steps: 3 });
    b.shuffle();
    assert_eq!(b.len(), 3);
    let mut seen = Vec::new();
    for i in 0..b.len() {
        let seqs = b.indices(i).to_vec();
        assert_eq!(b.sequences(i), seqs.len());
        let (x, y) = b.get(&data, i);
        let n = seqs.len();
        for t in 0..3 {
            for (j, &k) in seqs.iter().enumerate() {
                assert_eq!(x[crate::seq::column(t, j, n)], (k * 3 + t) as f32);
                assert_eq!(y.as_slice()[crate::seq::column(t, j, n)], (k * 3 + t) as f32);
            }
        }
        seen.extend(seqs);
    }
    seen.sort();
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    assert_eq!(
        Batches::<f32, 1>::new(15, 2, 0)
            .drop_last(true)
            .layout(Layout::Sequences { steps: 3 })
            .len(),
        2
    );
}

#[test]
fn stream_batches_walk_contiguous_streams_in_order() {
    let data = numbered(23); // 3 streams of 7 (samples 21, 22 unused)
    let mut b = Batches::new(data.len(), 3, 0).layout(Layout::Streams { steps: 3 });
    b.shuffle(); // no effect on streams
    assert_eq!(b.len(), 3);
    let steps: Vec<usize> = (0..3).map(|i| b.steps(i)).collect();
    assert_eq!(steps, [3, 3, 1]);
    let mut next = [0.0f32, 7.0, 14.0];
    for (i, &len) in steps.iter().enumerate() {
        assert_eq!(b.sequences(i), 3);
        let (x, _) = b.get_in_place(&data, i);
        for t in 0..len {
            for (j, v) in next.iter_mut().enumerate() {
                assert_eq!(x.sample(t * 3 + j)[0], *v, "batch {i} step {t} stream {j}");
                *v += 1.0;
            }
        }
    }
    assert_eq!(
        Batches::<f32, 1>::new(23, 3, 0)
            .drop_last(true)
            .layout(Layout::Streams { steps: 3 })
            .len(),
        2
    );
}

#[test]
#[should_panic(expected = "Batches::layout: 10 samples are not whole sequences of 3 steps")]
fn a_layout_that_does_not_fit_panics() {
    let _ = Batches::<f32, 1>::new(10, 2, 0).layout(Layout::Sequences { steps: 3 });
}
