//! Checkpoint files (feature `safetensors`): a network, its optimizer and its trainer's run
//! in one safetensors file, written between epochs and resumed exactly.

mod codec;

#[cfg(test)]
mod tests;
