/** Transformer model families, checkpoints (safetensors, config.json), tokenizers and generation. */
package dev.lathe.models;
