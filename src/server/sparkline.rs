//! ASCII sparklines as `LATENCY GRAPH` draws them (Redis's `sparkline.c`):
//! each sample a column, its height in `rows` rows of three steps each
//! (`_`, `o`, `#`, and `|` below the top of a filled column), then its
//! label written downwards under it after one blank line. A sequence wider
//! than the graph continues in blocks below.

/// The three steps of one row, filled style.
const FILL: &[u8; 3] = b"_o#";

/// One column: its value and the label printed under it.
pub struct Sample {
    pub value: f64,
    pub label: String,
}

/// Renders `samples` in blocks of `columns`, `rows` rows high, scaled
/// between the smallest and largest value of the whole sequence.
pub fn render(samples: &[Sample], columns: usize, rows: usize) -> String {
    let min = samples
        .iter()
        .map(|s| s.value)
        .fold(f64::INFINITY, f64::min);
    let max = samples
        .iter()
        .map(|s| s.value)
        .fold(f64::NEG_INFINITY, f64::max);
    // Without a single label there is no label area at all.
    let labelled = samples.iter().any(|s| !s.label.is_empty());
    let mut out = String::new();
    for (i, block) in samples.chunks(columns.max(1)).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_block(&mut out, block, rows, (min, max), labelled);
    }
    out
}

fn render_block(
    out: &mut String,
    block: &[Sample],
    rows: usize,
    (min, max): (f64, f64),
    labelled: bool,
) {
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let steps = (FILL.len() * rows) as i64;
    let step_of =
        |s: &Sample| (((s.value - min) * steps as f64 / relmax) as i64).clamp(0, steps - 1);
    let mut line = vec![b' '; block.len()];
    for row in 0.. {
        line.fill(b' ');
        let mut more = false;
        for (j, s) in block.iter().enumerate() {
            if row < rows {
                more = true;
                let idx = step_of(s) - ((rows - row - 1) * FILL.len()) as i64;
                if (0..FILL.len() as i64).contains(&idx) {
                    line[j] = FILL[idx as usize];
                } else if idx >= FILL.len() as i64 {
                    line[j] = b'|';
                }
            } else if row == rows {
                // The blank line between the graph and the labels.
                more = labelled;
                break;
            } else if let Some(&ch) = s.label.as_bytes().get(row - rows - 1) {
                more = true;
                line[j] = ch;
            }
        }
        if !more {
            break;
        }
        out.push_str(&String::from_utf8_lossy(&line));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(value: f64, label: &str) -> Sample {
        Sample {
            value,
            label: label.to_string(),
        }
    }

    #[test]
    fn one_sample_is_a_floor_and_its_label() {
        assert_eq!(render(&[s(100.0, "0s")], 80, 4), " \n \n \n_\n \n0\ns\n");
    }

    #[test]
    fn heights_scale_between_min_and_max() {
        let out = render(&[s(0.0, "1m"), s(6.0, "3s"), s(12.0, "0s")], 80, 4);
        assert_eq!(out, "  #\n _|\n ||\n_||\n   \n130\nmss\n");
    }

    #[test]
    fn wide_sequences_continue_below() {
        let samples: Vec<Sample> = (0..3).map(|i| s(f64::from(i), "")).collect();
        assert_eq!(render(&samples, 2, 1), "_o\n\n#\n");
    }
}
