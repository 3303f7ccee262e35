//! Where the [`Trainer`](super::Trainer) reports progress: plain lines or a progress bar,
//! both on standard error (standard output stays the program's own).

use std::io::{IsTerminal, Write};

use super::{EpochStats, LogPoint};

/// Where [`Trainer`](super::Trainer) reports progress. Everything goes to standard error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// A progress bar when standard error is a terminal and the `progress` feature is on;
    /// otherwise [`Lines`](Progress::Lines) (in CI, or when piped).
    #[default]
    Auto,
    /// The book's plain lines on standard error, one per log point:
    /// `| epoch 1 | iter 10 / 10 | loss 1.13`, and after each epoch with a held-out set
    /// `| epoch 1 | eval loss 0.5213 | accuracy 0.833`.
    Lines,
    /// An indicatif progress bar on standard error, with the book's lines printed above it;
    /// a finished bar ends its line, so what is printed next starts on a line of its own.
    /// Without the `progress` feature, or when standard error is not a terminal (the bar
    /// would be hidden), this is [`Lines`](Progress::Lines).
    Bar,
    /// Nothing.
    Silent,
}

/// Where an [`Output`] writes: its lines, and (feature `progress`) the bar's terminal. Both
/// standard error, or in tests a buffer.
pub(super) struct Sink {
    /// `None`: standard error through `eprintln!` (which a test harness captures).
    lines: Option<Box<dyn Write>>,
    #[cfg(feature = "progress")]
    bar: indicatif::ProgressDrawTarget,
    /// Whether the bar would be seen (standard error is a terminal).
    terminal: bool,
}

impl Sink {
    pub(super) fn stderr() -> Self {
        Self {
            lines: None,
            #[cfg(feature = "progress")]
            bar: indicatif::ProgressDrawTarget::stderr(),
            terminal: std::io::stderr().is_terminal(),
        }
    }
}

impl Progress {
    /// Output for `total` steps on standard error.
    pub(super) fn start(self, total: usize) -> Output {
        self.start_to(total, Sink::stderr())
    }

    pub(super) fn start_to(self, total: usize, sink: Sink) -> Output {
        let bar_possible = cfg!(feature = "progress") && sink.terminal;
        let mode = match self {
            Progress::Auto | Progress::Bar if bar_possible => Progress::Bar,
            Progress::Auto | Progress::Bar => Progress::Lines,
            m => m,
        };
        Output {
            mode,
            #[cfg(feature = "progress")]
            bar: (mode == Progress::Bar).then(|| {
                let bar = indicatif::ProgressBar::with_draw_target(Some(total as u64), sink.bar);
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
            lines: sink.lines,
        }
    }
}

pub(super) struct Output {
    mode: Progress,
    #[cfg(feature = "progress")]
    bar: Option<indicatif::ProgressBar>,
    #[cfg(not(feature = "progress"))]
    _total: usize,
    lines: Option<Box<dyn Write>>,
}

impl Output {
    #[inline]
    pub(super) fn tick(&mut self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Ends the current line of standard error (or the test's buffer).
    #[cfg(feature = "progress")]
    fn newline(&mut self) {
        match &mut self.lines {
            None => eprintln!(),
            Some(w) => {
                let _ = writeln!(w);
            }
        }
    }

    /// A line of text, above the bar if there is one.
    fn line(&mut self, line: core::fmt::Arguments<'_>) {
        match self.mode {
            Progress::Lines => match &mut self.lines {
                None => eprintln!("{line}"),
                Some(w) => {
                    let _ = writeln!(w, "{line}");
                }
            },
            Progress::Bar =>
            {
                #[cfg(feature = "progress")]
                if let Some(bar) = &self.bar {
                    bar.println(line.to_string());
                }
            }
            Progress::Auto | Progress::Silent => {}
        }
    }

    pub(super) fn log(&mut self, point: &LogPoint) {
        self.line(format_args!("{point}"));
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.set_message(format!("loss {:.2}", point.loss));
        }
    }

    /// After an epoch with a held-out evaluation: `| epoch 3 | eval loss 0.52 | accuracy 0.83`.
    pub(super) fn epoch(&mut self, stats: &EpochStats) {
        let Some(e) = stats.eval else { return };
        if !matches!(self.mode, Progress::Lines | Progress::Bar) {
            return;
        }
        let acc = e.accuracy.map(|a| format!(" | accuracy {a:.3}")).unwrap_or_default();
        self.line(format_args!("| epoch {} | eval loss {:.4}{acc}", stats.epoch, e.loss));
    }

    /// Leaves a bar drawn at its end and ends its line (indicatif leaves the cursor on
    /// it).
    pub(super) fn finish(&mut self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = self.bar.take() {
            bar.finish();
            self.newline();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A shared buffer: the lines' writer and (feature `progress`) the bar's terminal.
    #[derive(Clone, Debug, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Buffer {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[cfg(feature = "progress")]
    impl indicatif::TermLike for Buffer {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            self.write_str(&format!("\x1b[{n}A"))
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.write_str(&format!("\x1b[{n}B"))
        }
        fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
            self.write_str(&format!("\x1b[{n}C"))
        }
        fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
            self.write_str(&format!("\x1b[{n}D"))
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.write_str(&format!("{s}\n"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().extend_from_slice(s.as_bytes());
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.write_str("\r\x1b[2K")
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn sink(buf: &Buffer, terminal: bool) -> Sink {
        Sink {
            lines: Some(Box::new(buf.clone())),
            #[cfg(feature = "progress")]
            bar: indicatif::ProgressDrawTarget::term_like(Box::new(buf.clone())),
            terminal,
        }
    }

    fn point(iter: usize) -> LogPoint {
        LogPoint {
            epoch: 1,
            iter,
            iters: 2,
            loss: 1.5,
            lr: Some(0.1),
        }
    }

    fn stats() -> EpochStats {
        EpochStats {
            epoch: 1,
            train_loss: 1.5,
            eval: Some(super::super::Evaluation {
                loss: 0.5,
                accuracy: Some(0.75),
            }),
        }
    }

    /// Runs two steps with a log point each and an epoch end into a buffer.
    fn run(progress: Progress, terminal: bool) -> String {
        let buf = Buffer::default();
        let mut out = progress.start_to(2, sink(&buf, terminal));
        for i in 1..=2 {
            out.tick();
            out.log(&point(i));
        }
        out.epoch(&stats());
        out.finish();
        buf.text()
    }

    #[test]
    fn lines_are_the_books_lines_in_the_sink() {
        let want = "| epoch 1 | iter 1 / 2 | loss 1.50\n| epoch 1 | iter 2 / 2 | loss 1.50\n| epoch 1 | eval loss 0.5000 | accuracy 0.750\n";
        assert_eq!(run(Progress::Lines, true), want);
        // Auto and Bar fall back to lines when standard error is not a terminal
        assert_eq!(run(Progress::Auto, false), want);
        assert_eq!(run(Progress::Bar, false), want);
        assert_eq!(run(Progress::Silent, true), "");
    }

    #[cfg(feature = "progress")]
    #[test]
    fn a_finished_bar_ends_its_line() {
        let text = run(Progress::Bar, true);
        assert!(text.contains("| epoch 1 | iter 2 / 2 | loss 1.50"), "{text:?}");
        assert!(text.contains("2/2 iters"), "the bar is drawn: {text:?}");
        assert!(text.ends_with('\n'), "{text:?}");
        let last = text.trim_end_matches('\n').rsplit('\n').next().unwrap();
        assert!(last.contains("2/2 iters"), "the bar is the last line: {text:?}");
    }
}
