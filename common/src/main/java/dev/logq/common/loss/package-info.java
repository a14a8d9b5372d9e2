/**
 * The training losses of ../shared/LOSSES.md over one local batch of scores: {@link dev.logq.common.loss.NoCorrection}
 * (plain in-batch softmax), {@link dev.logq.common.loss.StandardLogQ} (Yi et al. 2019),
 * {@link dev.logq.common.loss.RefinedLogQ} (Khrylchenko et al. 2025), {@link dev.logq.common.loss.FullSoftmax}
 * (exact softmax over the catalog, small catalogs) and {@link dev.logq.common.loss.UniformBce} (word2vec-style
 * binary cross-entropy with uniform negatives), all behind {@link dev.logq.common.loss.Loss}. Each returns the
 * mean loss over the rows and its gradient with respect to the (temperature-scaled) scores; the towers chain it
 * through the embeddings. Pick one by its configuration name with {@link dev.logq.common.loss.Losses#byName}.
 */
package dev.logq.common.loss;
