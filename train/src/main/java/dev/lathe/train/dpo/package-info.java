/**
 * Direct Preference Optimization on causal LMs: preference pairs as token ids, per-sequence completion
 * log-probs, and the micro-batch DPO objective (TRL's conventions) that a trainer loop accumulates.
 */
package dev.lathe.train.dpo;
