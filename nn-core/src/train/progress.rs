use std::io::IsTerminal;

use super::{EpochStats, LogPoint};

/// Where [`Trainer`](super::Trainer) reports progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// A progress bar when standard error is a terminal and the `progress` feature is on;
    /// otherwise [`Lines`](Progress::Lines) (in CI, or when piped).
    #[default]
    Auto,
    /// The book's plain lines on standard output, one per log point:
    /// `| epoch 1 | iter 10 / 10 | loss 1.13`, and after each epoch with a held-out set
    /// `| epoch 1 | eval loss 0.5213 | accuracy 0.833`.
    Lines,
    /// An indicatif progress bar on standard error, with the book's lines printed above it
    /// (needs the `progress` feature; without it this is [`Lines`](Progress::Lines)).
    Bar,
    /// Nothing.
    Silent,
}

impl Progress {
    pub(super) fn start(self, total: usize) -> Output {
        let mode = match self {
            Progress::Auto if cfg!(feature = "progress") && std::io::stderr().is_terminal() => Progress::Bar,
            Progress::Auto => Progress::Lines,
            Progress::Bar if !cfg!(feature = "progress") => Progress::Lines,
            m => m,
        };
        Output {
            mode,
            #[cfg(feature = "progress")]
            bar: (mode == Progress::Bar).then(|| {
                let bar = indicatif::ProgressBar::new(total as u64);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40.cyan/blue} {pos}/{len} iters {elapsed_precise} {msg}",
                    )
                    .expect("a valid indicatif template")
                    .progress_chars("=> "),
                );
                bar
            }),
            #[cfg(not(feature = "progress"))]
            _total: total,
        }
    }
}

pub(super) struct Output {
    mode: Progress,
    #[cfg(feature = "progress")]
    bar: Option<indicatif::ProgressBar>,
    #[cfg(not(feature = "progress"))]
    _total: usize,
}

impl Output {
    #[inline]
    pub(super) fn tick(&mut self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub(super) fn log(&mut self, point: &LogPoint) {
        match self.mode {
            Progress::Lines => println!("{point}"),
            Progress::Bar =>
            {
                #[cfg(feature = "progress")]
                if let Some(bar) = &self.bar {
                    bar.println(point.to_string());
                    bar.set_message(format!("loss {:.2}", point.loss));
                }
            }
            Progress::Auto | Progress::Silent => {}
        }
    }

    /// After an epoch with a held-out evaluation: `| epoch 3 | eval loss 0.52 | accuracy 0.83`.
    pub(super) fn epoch(&mut self, stats: &EpochStats) {
        let Some(e) = stats.eval else { return };
        if !matches!(self.mode, Progress::Lines | Progress::Bar) {
            return;
        }
        let acc = e.accuracy.map(|a| format!(" | accuracy {a:.3}")).unwrap_or_default();
        let line = format!("| epoch {} | eval loss {:.4}{acc}", stats.epoch, e.loss);
        match self.mode {
            Progress::Lines => println!("{line}"),
            Progress::Bar =>
            {
                #[cfg(feature = "progress")]
                if let Some(bar) = &self.bar {
                    bar.println(line);
                }
            }
            Progress::Auto | Progress::Silent => {}
        }
    }

    pub(super) fn finish(&mut self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = self.bar.take() {
            bar.finish();
        }
    }
}
