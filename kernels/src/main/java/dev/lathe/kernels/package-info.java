/**
 * The fused post-training kernels (linear log-probs / masked cross-entropy, DPO loss, PPO clipping) as
 * autograd functions with hand-written backward passes.
 */
package dev.lathe.kernels;
